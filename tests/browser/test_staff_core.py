"""Staff pages in Chromium at phone size: htmx with real CSRF, no CSP violations."""
from __future__ import annotations

from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, screenshot, sign_in
from webapp.demo import DEMO_PASSWORD, DEMO_TOTP, seed_demo
from webapp.extensions import db
from webapp.models import Appointment, Participant, VisitOutcome
from webapp.timeutil import local_today


def _sign_in(page) -> None:
    sign_in(page, "anna", DEMO_PASSWORD, DEMO_TOTP)
    # The boosted TOTP form may still be on its way when sign_in returns.
    page.wait_for_url("**/today")


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return problems


def test_staff_records_a_visit_inline_on_today(app, phone):
    seed_demo()
    problems = _watch_console(phone)
    _sign_in(phone)
    screenshot(phone, "staff-today")
    before = db.session.query(VisitOutcome).count()
    item = phone.locator("li.appt").filter(has=phone.locator("details.quick")).first
    item.locator("summary").click()
    item.locator("input[value=done]").check()
    item.locator("textarea[name=note]").fill("Vi fikade.")
    item.locator("button[type=submit]").click()
    item.locator("text=Registrerat: Genomfört").wait_for()
    assert phone.url.endswith("/today")  # swapped in place, no navigation
    db.session.expire_all()
    assert db.session.query(VisitOutcome).count() == before + 1
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_live_search_and_participant_pages(app, phone):
    seed_demo()
    problems = _watch_console(phone)
    _sign_in(phone)
    phone.goto("/participants")
    screenshot(phone, "staff-participants")
    phone.fill("#q", "mar")
    expect(phone.locator("#results li")).to_have_count(1)
    assert "Maria Lind" in phone.inner_text("#results")
    assert phone.url.endswith("/participants?q=mar")
    kalle = db.session.scalar(db.select(Participant).where(Participant.first_name == "Kalle"))
    phone.goto(f"/participants/{kalle.id}")
    screenshot(phone, "staff-participant")
    phone.click("text=Ge deltagaren en aktiveringskod")
    phone.locator(".activation-code").wait_for()
    screenshot(phone, "staff-activation-code")
    phone.goto(f"/participants/{kalle.id}/appointments")
    phone.click("summary:has-text('Boka en ny tid')")
    phone.fill("#time", "")  # no time: a 422 fragment with the message, nothing lost
    phone.fill("#location", "Kaféet")
    phone.click("#appointments button:has-text('Boka')")
    phone.locator("text=Välj ett klockslag.").wait_for()
    assert phone.input_value("#location") == "Kaféet"
    phone.fill("#day", (local_today() + timedelta(days=1)).isoformat())
    phone.fill("#time", "10:00")
    phone.click("#appointments button:has-text('Boka')")
    phone.locator("text=Tiden är bokad.").wait_for()
    screenshot(phone, "staff-appointments")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways ({width}px)"
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_staff_pages_pass_axe_and_fit_a_phone(app, browser, live_server):
    seed_demo()
    # axe is injected by evaluating its source, which the strict CSP would refuse.
    context = browser.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    _sign_in(page)
    kalle = db.session.scalar(db.select(Participant).where(Participant.first_name == "Kalle"))
    visit = db.session.scalar(db.select(Appointment).where(Appointment.participant_id == kalle.id))
    base = f"/participants/{kalle.id}"
    violations = []

    def check(label):
        for details in page.locator("details").all():
            details.evaluate("element => { element.open = true; }")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            violations.append((label, "scrolls sideways", [f"{width}px"]))
        result = Axe().run(page).response
        assert result["passes"], "axe did not run"
        for found in result["violations"]:
            violations.append((label, found["id"], [n["html"][:120] for n in found["nodes"][:3]]))

    for url in ("/today", "/participants", base, f"{base}/appointments",
                f"{base}/appointments/new", f"{base}/appointments/{visit.id}/edit",
                f"{base}/appointments/{visit.id}/outcome"):
        page.goto(url)
        check(url)
    page.goto(base)
    page.click("text=Ge deltagaren en aktiveringskod")
    page.locator(".activation-code").wait_for()
    check("activation code")
    context.close()
    assert not violations, violations
