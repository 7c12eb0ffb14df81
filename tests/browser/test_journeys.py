"""Whole journeys in Chromium at 390×844, a screenshot per step in artifacts/screenshots/.

(a) A support worker signs in with TOTP, opens Idag, records a visit and submits the monthly
    checklist. (b) A participant activates with a code, chooses a password and sees the
    appointment and the plan. (c) Housing administration sees the submitted checklist and
    cannot open the plan.
Each journey fails early, naming the route, when one of its screens is renamed or missing.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta

from tests.browser.conftest import checklist_ready, screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET, make_appointment
from webapp.extensions import db
from webapp.models import (
    ChecklistItem,
    ChecklistSubmission,
    ChecklistTemplate,
    Goal,
    Plan,
    VisitOutcome,
    utcnow,
)
from webapp.timeutil import local_today, to_local

NEW_PASSWORD = "min egen nyckel 42"
GOAL_WORDS = "Jag vill laga middag hemma varje söndag"


def _rule(app, shape: str):
    """The rule whose text matches `shape` with every <converter:name> written as <>."""
    for rule in app.url_map.iter_rules():
        if re.sub(r"<[^>]+>", "<>", rule.rule) == shape:
            return rule
    return None


def _phone_if(request, app, *shapes):
    """The phone page; a renamed or missing route fails before the browser starts."""
    missing = [shape for shape in shapes if _rule(app, shape) is None]
    assert not missing, f"no route for {', '.join(missing)}"
    return request.getfixturevalue("phone")


def _url(app, shape, participant=None, appointment=None) -> str:
    rule = _rule(app, shape)
    values = {}
    for arg in rule.arguments:
        values[arg] = appointment.id if "appointment" in arg else participant.id
    return rule.build(values, append_unknown=False)[1]


def _wait_for(query, timeout=10.0):
    """Poll the database until the browser's write is there (the outbox posts in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.commit()  # end the snapshot so the server's commit is visible
        found = db.session.scalar(query)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _choose(page, selector):
    """Tick a radio/checkbox even when it is styled as a button over a hidden input."""
    box = page.locator(selector).first
    if box.is_visible():
        box.check()
        return
    element_id = box.get_attribute("id")
    label = page.locator(f"label[for='{element_id}']") if element_id else None
    if label is not None and label.count():
        label.first.click()
    else:
        box.evaluate("el => { el.checked = true; el.dispatchEvent(new Event('change')) }")


def _submit(page, form_selector):
    page.locator(form_selector).locator("button[type=submit], input[type=submit]").last.click()


def test_staff_records_a_visit_and_submits_the_monthly_checklist(app, world, request):
    phone = _phone_if(request, app, "/today", "/participants/<>/appointments/<>/outcome",
                      "/participants/<>/checklists/new")
    staff, person = world.users["staff"], world.participant
    appointment = make_appointment(person, staff, utcnow() + timedelta(minutes=30))
    db.session.commit()

    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.goto("/today")
    assert phone.url.endswith("/today")
    screenshot(phone, "journey-a-1-today")

    phone.goto(_url(app, "/participants/<>/appointments/<>/outcome", person, appointment))
    _choose(phone, "input[name=outcome][value=done]")
    phone.fill("[name=note]", "Vi drack kaffe och pratade om veckan.")
    screenshot(phone, "journey-a-2-visit-form")
    _submit(phone, "form:has(input[name=outcome])")
    outcome = _wait_for(db.select(VisitOutcome).where(
        VisitOutcome.appointment_id == appointment.id))
    assert outcome is not None and outcome.outcome == "done"
    phone.wait_for_load_state("networkidle")
    screenshot(phone, "journey-a-3-visit-recorded")

    template = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id, ChecklistTemplate.active.is_(True)
    ).order_by(ChecklistTemplate.version.desc()))
    items = db.session.scalars(db.select(ChecklistItem).where(
        ChecklistItem.template_id == template.id).order_by(ChecklistItem.position)).all()
    phone.goto(_url(app, "/participants/<>/checklists/new", person))
    checklist_ready(phone)
    for number, item in enumerate(items):
        answer = "na" if number == len(items) - 1 else "ok"
        _choose(phone, f"input[name='answer-{item.key}'][value={answer}]")
    phone.fill("[name=held_on]", local_today().isoformat())
    phone.fill("[name=present]", "Kalle och Staff")
    _choose(phone, "input[name=tenant_agrees]")
    screenshot(phone, "journey-a-4-checklist-filled")
    _submit(phone, "form:has([name=held_on])")
    submission = _wait_for(db.select(ChecklistSubmission).where(
        ChecklistSubmission.participant_id == person.id))
    assert submission is not None
    assert submission.tenant_agrees is True
    assert len(submission.answers) == len(items)
    phone.wait_for_load_state("networkidle")
    screenshot(phone, "journey-a-5-checklist-submitted")


def test_participant_activates_and_sees_appointment_and_plan(app, world, request):
    phone = _phone_if(request, app, "/activate", "/me/appointments", "/me/plan")
    from webapp.auth.credentials import issue_activation_code

    person, staff = world.participant, world.users["staff"]
    starts = (utcnow() + timedelta(days=1)).replace(minute=35, second=0, microsecond=0)
    make_appointment(person, staff, starts, visible_to_participant=True)
    plan = db.session.scalar(db.select(Plan).where(Plan.participant_id == person.id))
    db.session.add(Goal(plan_id=plan.id, life_area="daily_life", own_words=GOAL_WORDS))
    code = issue_activation_code(world.users["participant"], staff)
    db.session.commit()

    phone.goto("/activate")
    phone.fill("[name=code]", code)
    screenshot(phone, "journey-b-1-code")
    _submit(phone, "form:has([name=code])")
    phone.wait_for_selector("[name=password]")
    phone.fill("[name=password]", NEW_PASSWORD)
    phone.fill("[name=confirm]", NEW_PASSWORD)
    screenshot(phone, "journey-b-2-choose-password")
    _submit(phone, "form:has([name=password])")
    # With the service worker in control, "networkidle" can come before the boosted post has
    # even started: wait for the page to leave /activate instead.
    phone.wait_for_url(lambda url: "/activate" not in url, timeout=15000)

    phone.goto("/me/appointments")
    assert to_local(starts).strftime("%H:%M").replace(":", ".") in phone.content().replace(
        ":", "."), "the appointment's time is on the participant's list"
    screenshot(phone, "journey-b-3-my-appointments")
    phone.goto("/me/plan")
    assert GOAL_WORDS in phone.content()
    screenshot(phone, "journey-b-4-my-plan")


def test_housing_sees_submitted_checklist_and_cannot_open_the_plan(app, world, request):
    phone = _phone_if(request, app, "/housing/checklists", "/participants/<>/plan")
    person = world.participant
    template = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id))
    contract = person.contracts[0]
    today = local_today()
    db.session.add(ChecklistSubmission(
        participant_id=person.id, apartment_id=contract.apartment_id, template_id=template.id,
        month=today.strftime("%Y-%m"), held_on=today, present="Kalle och Staff",
        tenant_agrees=True, submitted_by_id=world.users["staff"].id))
    db.session.commit()

    sign_in(phone, "housing", PASSWORD, TOTP_SECRET)
    phone.goto(f"/housing/checklists?month={today:%Y-%m}")
    assert "Svensson" in phone.content(), "the submitted checklist is listed with the tenant"
    screenshot(phone, "journey-c-1-housing-checklists")
    response = phone.goto(_url(app, "/participants/<>/plan", person))
    assert response.status == 403
    assert GOAL_WORDS not in phone.content()
    screenshot(phone, "journey-c-2-plan-refused")
