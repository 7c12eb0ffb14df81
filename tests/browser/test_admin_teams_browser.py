"""The team pages and the first-day guide: real forms (CSRF), axe-clean at 390 px, fit 320 px."""
from __future__ import annotations

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET, make_org, make_user
from webapp.extensions import db

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _fits_320(page) -> bool:
    page.set_viewport_size({"width": 320, "height": 700})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 390, "height": 844})
    return width <= 320


def test_new_admin_creates_a_team_from_the_guide(app, phone):
    from axe_playwright_python.sync_playwright import Axe

    org = make_org("Nystad")
    org.oncall_phone = ""
    make_user(org, "admin", "nyadmin")
    make_user(org, "staff", "nystaff")
    db.session.commit()
    sign_in(phone, "nyadmin", PASSWORD, TOTP_SECRET)
    axe, problems = Axe(), []

    def check(name):
        violations = axe.run(phone, options=AXE_OPTIONS).response.get("violations", [])
        problems.extend(f"{name}: {v['id']}" for v in violations)
        if not _fits_320(phone):
            problems.append(f"{name}: wider than 320 px")
        screenshot(phone, f"admin-{name}")

    phone.goto("/admin/users")
    assert phone.locator("#first-day-heading").is_visible()
    check("first-day-guide")
    phone.click(".steps a[href='/admin/teams']")  # one tap from the guide
    phone.wait_for_url("**/admin/teams")
    check("teams")
    phone.fill("#name", "Stödteam Norr")
    phone.click("button:has-text('Skapa team')")
    phone.wait_for_url("**/admin/teams/*")
    assert phone.locator("h1").inner_text() == "Stödteam Norr"
    phone.select_option("#user_id", label="Nystaff (nystaff)")
    phone.click("button:has-text('Lägg till i teamet')")
    phone.wait_for_load_state("load")
    assert "Nystaff" in phone.locator("#members-heading + p + ul").inner_text()
    check("team")
    phone.click("button:has-text('Arkivera teamet')")
    phone.wait_for_url("**/admin/teams")
    assert "Arkiverade team" in phone.content()
    assert not problems, "\n".join(problems)
