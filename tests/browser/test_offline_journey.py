"""The real offline journey (DESIGN §5): a staff member in a basement with no signal.

Loads today's list and the forms while online, goes offline, fills the monthly checklist and a
visit outcome, reloads, comes back online: the server then holds exactly one of each, and
replaying the outbox changes nothing.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import checklist_ready, screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET, make_appointment
from webapp.extensions import db
from webapp.models import ChecklistSubmission, ChecklistTemplate, VisitOutcome
from webapp.timeutil import local_now, local_today, to_utc


def count(model) -> int:
    db.session.rollback()  # see what the server thread committed
    return db.session.scalar(select(func.count()).select_from(model))


def todays_appointment(world):
    """An appointment earlier today (so recording its outcome makes sense)."""
    now = local_now().replace(tzinfo=None)
    midnight = datetime.combine(local_today(), time(0, 1))
    starts = max(midnight, now - timedelta(minutes=30))
    appointment = make_appointment(world.participant, world.users["staff"], to_utc(starts))
    db.session.commit()
    return appointment


def template_keys(world) -> list[str]:
    template = db.session.scalar(
        select(ChecklistTemplate).where(ChecklistTemplate.organisation_id == world.org.id)
        .order_by(ChecklistTemplate.version.desc())
    )
    return [item.key for item in template.items]


def wait_until_stored(page, paths: list[str]) -> None:
    page.wait_for_function("""async (paths) => {
        const cache = await caches.open("bofast-pages");
        for (const path of paths) {
            if (!(await cache.match(location.origin + path, {ignoreVary: true}))) return false;
        }
        return true;
    }""", arg=paths)


def check(page, selector: str) -> None:
    """Tick a radio or checkbox the way a person would (its label if the input is styled away)."""
    box = page.locator(selector).first
    if box.is_visible():
        box.check()
    else:
        box.evaluate("(el) => (el.labels && el.labels[0] ? el.labels[0].click() : el.click())")
    assert box.is_checked()


def test_checklist_and_visit_recorded_offline_arrive_exactly_once(world, phone):
    appointment = todays_appointment(world)
    pid = world.participant.id
    today_path = "/today"
    checklist_path = f"/participants/{pid}/checklists/new"
    outcome_path = f"/participants/{pid}/appointments/{appointment.id}/outcome"

    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.wait_for_function("""() => navigator.serviceWorker.controller !== null
        && navigator.serviceWorker.controller.state === "activated" """)
    for path in (today_path, checklist_path, outcome_path):
        phone.goto(path)
    wait_until_stored(phone, [today_path, checklist_path, outcome_path])

    phone.context.set_offline(True)
    phone.goto(today_path)
    expect(phone.locator(".offline-saved")).to_contain_text("du är offline")

    # The monthly checklist, offline.
    phone.goto(checklist_path)
    expect(phone.locator(".offline-saved")).to_contain_text("Sparad kl")
    checklist_ready(phone)
    form = phone.locator('form[data-outbox="checklist"]')
    for key in template_keys(world):
        check(phone, f'form[data-outbox="checklist"] input[name="answer-{key}"][value="ok"]')
    form.locator('[name="held_on"]').fill(local_today().isoformat())
    form.locator('[name="present"]').fill("Hyresgästen och Anna")
    check(phone, 'form[data-outbox="checklist"] input[name="tenant_agrees"]')
    form.locator('button[type="submit"], input[type="submit"]').first.click()
    expect(phone.locator("#outbox-status")).to_have_text("1 väntar på att skickas")

    # The visit outcome, offline.
    phone.goto(outcome_path)
    visit = phone.locator('form[data-outbox="visit"]')
    outcome = visit.locator('[name="outcome"]')
    if outcome.first.evaluate("(el) => el.tagName") == "SELECT":
        outcome.select_option("done")
    else:
        check(phone, 'form[data-outbox="visit"] input[name="outcome"][value="done"]')
    visit.locator('[name="note"]').fill("Träffades hemma, allt lugnt.")
    visit.locator('button[type="submit"], input[type="submit"]').first.click()
    expect(phone.locator("#outbox-status")).to_have_text("2 väntar på att skickas")
    screenshot(phone, "offline-journey-waiting")

    phone.reload()
    expect(phone.locator("#outbox-status")).to_have_text("2 väntar på att skickas")
    assert count(ChecklistSubmission) == 0 and count(VisitOutcome) == 0

    phone.context.set_offline(False)
    phone.wait_for_function("""async () => {
        const items = await BofastOutbox.allItems();
        return items.length === 2 && items.every((item) => item.status === "sent");
    }""")
    expect(phone.locator("#outbox-status")).to_contain_text("Skickat")
    screenshot(phone, "offline-journey-sent")
    assert count(ChecklistSubmission) == 1
    assert count(VisitOutcome) == 1

    assert phone.evaluate("BofastOutbox.replayAll()") == ["sent", "sent"]
    assert phone.evaluate("BofastOutbox.replayAll()") == ["sent", "sent"]
    assert count(ChecklistSubmission) == 1
    assert count(VisitOutcome) == 1
