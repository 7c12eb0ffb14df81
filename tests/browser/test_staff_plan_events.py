"""The plan and events pages in Chromium at phone size: htmx tick, htmx 422 panel, no axe issues."""
from __future__ import annotations

from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET
from webapp.extensions import db
from webapp.models import Disturbance, Goal, GoalComment, Plan, Step, utcnow
from webapp.timeutil import local_today


def _seed(world):
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == world.participant.id))
    goal = Goal(plan_id=plan.id, life_area="housing", own_words="Jag vill ha det hemtrevligt.")
    db.session.add(goal)
    db.session.flush()
    db.session.add_all([
        Step(goal_id=goal.id, text="Köpa gardiner", who="together", who_name="Anna",
             due_date=local_today() + timedelta(days=7)),
        GoalComment(goal_id=goal.id, author_id=world.users["participant"].id, kind="wish",
                    text="Gärna gröna gardiner."),
        Disturbance(participant_id=world.participant.id, occurred_on=local_today(),
                    # A week ago: overdue whatever the day (the deadline is the next working day).
                    received_at=utcnow() - timedelta(days=7), source="landlord",
                    severity="rattelse", description="Hög musik."),
    ])
    db.session.commit()


def _axe_violations(page):
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [v["id"] for v in results.response["violations"]]


def test_staff_ticks_a_step_and_records_events_on_a_phone(world, phone):
    _seed(world)
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.wait_for_url("**/today")  # sign_in returns before the TOTP post has navigated
    pid = world.participant.id

    phone.goto(f"/participants/{pid}/plan")
    assert phone.locator(".own-words").inner_text().startswith("Jag vill ha det hemtrevligt")
    assert _axe_violations(phone) == []
    phone.click("button.tick")
    phone.wait_for_selector("button.tick[aria-pressed=true]")
    assert phone.locator("#followup-version").get_attribute("value") == "2"
    screenshot(phone, "staff-plan")

    phone.goto(f"/participants/{pid}/events")
    assert "Försenad" in phone.content()
    phone.click("#disturbance-panel summary")
    phone.fill("#description", "")
    phone.click("#disturbance-panel button[type=submit]")
    phone.wait_for_selector("#disturbance-panel .field-error")
    assert phone.locator("#disturbance-panel").get_attribute("open") is not None
    assert _axe_violations(phone) == []
    screenshot(phone, "staff-events")
