"""Every participant page passes axe-core WCAG 2.1 AA at 390×844 and fits 320 px wide."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_appointment
from tests.test_me_pages import _open_support, _submission, make_goal
from webapp.extensions import db
from webapp.models import AuditEvent, GoalComment
from webapp.models.base import utcnow

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
ME_PAGES = ["/me/plan", "/me/appointments", "/me/contacts", "/me/home", "/me/access-log"]


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


def fits_320(page) -> bool:
    page.set_viewport_size({"width": 320, "height": 700})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 390, "height": 844})
    return width <= 320


@pytest.fixture
def participant_data(world):
    goal, (own, _staff) = make_goal(world.participant)
    own.done, own.done_by_id, own.done_at = True, world.users["participant"].id, utcnow()
    make_goal(world.participant, words="Jag vill börja träna igen, kanske simma på onsdagar.",
              steps=(("Fråga om simhallens tider", "together", "Anna"),))
    db.session.add(GoalComment(goal_id=goal.id, author_id=world.users["participant"].id,
                               kind="wish", text="Jag vill laga soppa först."))
    staff = world.users["staff"]
    for days, kind, place in ((0, "home_visit", ""), (1, "healthcare", "Vårdcentralen Centrum"),
                              (3, "meeting", "Kontoret"), (5, "phone", "")):
        make_appointment(world.participant, staff, utcnow() + timedelta(days=days, hours=2),
                         kind=kind, location=place)
    _open_support(world)
    _submission(world, world.participant, "2026-02")
    _submission(world, world.participant, "2026-03")
    db.session.add(AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                              participant_id=world.participant.id, ip="203.0.113.5"))
    db.session.commit()
    return world


def sign_in_participant(page) -> None:
    sign_in(page, "deltagare", PASSWORD)
    # The login form is hx-boosted: wait for the swap, networkidle alone can come first.
    page.wait_for_url("**/me/plan")


def test_participant_pages_pass_axe_and_fit_320(participant_data, phone):
    sign_in_participant(phone)
    problems = {}
    for path in ME_PAGES:
        phone.goto(path)
        phone.wait_for_load_state("networkidle")
        found = axe_violations(phone)
        if not fits_320(phone):
            found.append("horizontal overflow at 320 px")
        if found:
            problems[path] = found
        screenshot(phone, "me" + path.replace("/", "-"))
    assert not problems, problems


def test_participant_plan_with_open_comment_form_and_error_passes_axe(participant_data, phone):
    sign_in_participant(phone)
    phone.locator("details.me-comment-form summary").first.click()
    phone.locator("details.me-comment-form button[type=submit]").first.click()
    phone.wait_for_selector(".field-error")
    assert axe_violations(phone) == []
    assert fits_320(phone)


def test_participant_ticks_a_step_with_htmx(participant_data, phone):
    sign_in_participant(phone)
    button = phone.get_by_role("button", name="Jag har gjort det").first
    button.click()
    phone.wait_for_selector("text=Klart! Du bockade av det.")
    assert phone.url.endswith("/me/plan")


def test_activation_pages_pass_axe_and_land_on_plan(world, phone):
    from webapp.auth.credentials import issue_activation_code

    user = world.users["participant"]
    code = issue_activation_code(user, world.users["staff"])
    db.session.commit()
    phone.goto("/activate")
    assert axe_violations(phone) == []
    assert fits_320(phone)
    phone.click("button[type=submit]")  # empty: the error state must pass too
    phone.wait_for_selector(".field-error")
    assert axe_violations(phone) == []
    phone.fill("#code", code)
    phone.click("button[type=submit]")
    phone.wait_for_selector("#password")
    assert axe_violations(phone) == []
    assert fits_320(phone)
    screenshot(phone, "me-choose-password")
    phone.fill("#password", "blå cykel på taket")
    phone.fill("#confirm", "blå cykel på taket")
    phone.get_by_role("button", name="Visa lösenordet").click()
    assert phone.get_attribute("#password", "type") == "text"
    phone.click("button.primary[type=submit]")
    phone.wait_for_url("**/me/plan")
