"""The participant's own pages: plan, appointments, contacts, home, access log."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_appointment
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    ChecklistSubmission,
    ChecklistTemplate,
    Goal,
    GoalComment,
    OpenSupportContact,
    Plan,
    Step,
)
from webapp.models.base import utcnow
from webapp.timeutil import local_today


def make_goal(participant, words="Jag vill laga mat hemma.", steps=(("Köpa en kastrull",
              "participant", ""), ("Boka tid hos banken", "staff", "Anna"))):
    plan = db.session.scalar(db.select(Plan).where(Plan.participant_id == participant.id))
    goal = Goal(plan_id=plan.id, life_area="daily_life", own_words=words)
    db.session.add(goal)
    db.session.flush()
    made = []
    for position, (text, who, name) in enumerate(steps):
        step = Step(goal_id=goal.id, text=text, who=who, who_name=name, position=position,
                    due_date=local_today() + timedelta(days=1))
        db.session.add(step)
        made.append(step)
    db.session.commit()
    return goal, made


def audit_rows(**where):
    query = db.select(AuditEvent)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return db.session.scalars(query).all()


# --- Din plan ------------------------------------------------------------------------------

def test_plan_shows_own_goals_in_own_words_with_who_helps(world, client, login_as):
    make_goal(world.participant)
    make_goal(world.other, words="Olles hemliga mål")
    login_as("participant")
    page = client.get("/me/plan").get_data(as_text=True)
    assert "Jag vill laga mat hemma." in page
    assert "Köpa en kastrull" in page and "Boka tid hos banken" in page
    assert "<strong>Du</strong>" in page and "<strong>Anna</strong>" in page
    assert "Imorgon" in page or "imorgon" in page
    assert "Olles hemliga mål" not in page


def test_plan_shows_own_crisis_plan_with_or_without_a_plan(world, client, login_as):
    """The crisis plan is read with the plan in one statement; without a plan it still shows,
    and another participant's never does."""
    from webapp.models import CrisisPlan

    make_goal(world.participant)
    db.session.add(CrisisPlan(participant_id=world.participant.id, signals="Sover dåligt",
                              whom_to_call="Ring Anna"))
    db.session.add(CrisisPlan(participant_id=world.other.id, signals="Olles tecken"))
    db.session.commit()
    login_as("participant")
    page = client.get("/me/plan").get_data(as_text=True)
    assert "Om det blir svårt" in page and "Sover dåligt" in page and "Ring Anna" in page
    assert "Olles tecken" not in page and "Jag vill laga mat hemma." in page
    db.session.execute(db.delete(Step))
    db.session.execute(db.delete(Goal))
    db.session.execute(db.delete(Plan).where(Plan.participant_id == world.participant.id))
    db.session.commit()
    page = client.get("/me/plan").get_data(as_text=True)
    assert "Sover dåligt" in page and "Olles tecken" not in page


def test_participant_ticks_own_step_and_it_is_audited(world, client, login_as):
    _goal, (own, _staff_step) = make_goal(world.participant)
    user = login_as("participant")
    response = client.post(f"/me/steps/{own.id}/done", data={"done": "1"})
    assert response.status_code == 302
    db.session.refresh(own)
    assert own.done and own.done_by_id == user.id and own.done_at is not None
    rows = audit_rows(object_type="step", object_id=own.id)
    assert rows and rows[0].participant_id == world.participant.id
    assert rows[0].user_id == user.id
    # and back again
    client.post(f"/me/steps/{own.id}/done", data={"done": "0"})
    db.session.refresh(own)
    assert not own.done and own.done_by_id is None


def test_tick_with_htmx_returns_only_the_step(world, client, login_as):
    _goal, (own, _s) = make_goal(world.participant)
    login_as("participant")
    response = client.post(f"/me/steps/{own.id}/done", data={"done": "1"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li id="step-{own.id}"')
    assert "<html" not in body and "Klart! Du bockade av det." in body


def test_participant_cannot_tick_staff_only_step(world, client, login_as):
    _goal, (_own, staff_step) = make_goal(world.participant)
    login_as("participant")
    page = client.get("/me/plan").get_data(as_text=True)
    assert f"/me/steps/{staff_step.id}/done" not in page
    response = client.post(f"/me/steps/{staff_step.id}/done", data={"done": "1"})
    assert response.status_code == 403
    db.session.refresh(staff_step)
    assert not staff_step.done


def test_together_step_can_be_ticked(world, client, login_as):
    _goal, (together,) = make_goal(world.participant, steps=(("Handla", "together", "Anna"),))
    login_as("participant")
    assert client.post(f"/me/steps/{together.id}/done", data={"done": "1"}).status_code == 302
    db.session.refresh(together)
    assert together.done


def test_other_participants_steps_and_goals_are_404(world, client, login_as):
    other_goal, (other_step, _s) = make_goal(world.other)
    login_as("participant")
    assert client.post(f"/me/steps/{other_step.id}/done", data={"done": "1"}).status_code == 404
    assert client.post(f"/me/goals/{other_goal.id}/comments",
                       data={f"g{other_goal.id}-kind": "wish",
                             f"g{other_goal.id}-text": "hej"}).status_code == 404
    db.session.refresh(other_step)
    assert not other_step.done
    assert db.session.scalar(db.select(db.func.count(GoalComment.id))) == 0


def test_comment_and_wish_are_saved_and_audited(world, client, login_as):
    goal, _steps = make_goal(world.participant)
    user = login_as("participant")
    response = client.post(f"/me/goals/{goal.id}/comments",
                           data={f"g{goal.id}-kind": "wish",
                                 f"g{goal.id}-text": "Jag vill ha en röd kastrull."})
    assert response.status_code == 302
    comment = db.session.scalar(db.select(GoalComment))
    assert comment.kind == "wish" and comment.author_id == user.id
    assert comment.text == "Jag vill ha en röd kastrull."
    assert audit_rows(object_type="goal_comment", object_id=comment.id,
                      participant_id=world.participant.id)
    page = client.get("/me/plan").get_data(as_text=True)
    assert "Du önskar:" in page and "Jag vill ha en röd kastrull." in page


def test_comment_with_htmx_returns_the_comment_block(world, client, login_as):
    goal, _steps = make_goal(world.participant)
    login_as("participant")
    response = client.post(f"/me/goals/{goal.id}/comments",
                           data={f"g{goal.id}-kind": "comment", f"g{goal.id}-text": "Bra plan"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div class="me-comments" id="comments-{goal.id}"')
    assert "Tack! Din kommentar är sparad." in body and "Bra plan" in body


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_comment_is_422_and_keeps_the_choice(world, client, login_as, htmx):
    goal, _steps = make_goal(world.participant)
    login_as("participant")
    response = client.post(f"/me/goals/{goal.id}/comments",
                           data={f"g{goal.id}-kind": "wish", f"g{goal.id}-text": "   "},
                           headers={"HX-Request": "true"} if htmx else {})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Skriv något först." in body
    assert f'checked id="g{goal.id}-kind-1"' in body  # "En önskan" stays chosen
    assert ("<html" in body) is not htmx
    assert db.session.scalar(db.select(db.func.count(GoalComment.id))) == 0


# --- Dina tider ----------------------------------------------------------------------------

def test_appointments_show_visible_booked_in_plain_words(world, client, login_as):
    staff = world.users["staff"]
    staff.display_name = "Anna Andersson"
    soon = utcnow() + timedelta(days=2)
    make_appointment(world.participant, staff, soon, kind="home_visit")
    make_appointment(world.participant, staff, soon + timedelta(hours=3), kind="healthcare",
                     location="Vårdcentralen Hjärtat")
    make_appointment(world.participant, staff, soon + timedelta(hours=5), kind="meeting",
                     location="Kontoret Hemligt", visible_to_participant=False)
    make_appointment(world.participant, staff, soon + timedelta(hours=6), kind="phone",
                     status="cancelled")
    make_appointment(world.other, staff, soon, kind="phone", location="Olles plats")
    db.session.commit()
    login_as("participant")
    page = client.get("/me/appointments").get_data(as_text=True)
    assert "Anna kommer hem till dig" in page
    assert "Anna följer med dig till Vårdcentralen Hjärtat" in page
    assert "Kontoret Hemligt" not in page
    assert "ringer dig" not in page  # cancelled, and Olle's
    assert "Olles plats" not in page
    assert "webcal://" in page and "Lägg till i kalendern" in page


def _feed(client, token):
    return client.get(f"/calendar/{token}.ics")


def test_calendar_feed_has_only_visible_appointments_without_details(world, client):
    staff = world.users["staff"]
    soon = utcnow() + timedelta(days=1)
    shown = make_appointment(world.participant, staff, soon, kind="home_visit",
                             location="Kallegatan 1", note="Privat anteckning")
    hidden = make_appointment(world.participant, staff, soon, kind="meeting",
                              visible_to_participant=False)
    cancelled = make_appointment(world.participant, staff, soon, status="cancelled")
    other = make_appointment(world.other, staff, soon)
    db.session.commit()
    response = _feed(client, world.users["participant"].calendar_token)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data(as_text=True)
    assert f"appointment-{shown.id}@bofast" in body
    for missing in (hidden, cancelled, other):
        assert f"appointment-{missing.id}@bofast" not in body
    assert "SUMMARY:Hembesök" in body
    for secret in ("Kallegatan", "Privat anteckning", "Kalle", "Svensson", staff.display_name):
        assert secret not in body
    from icalendar import Calendar

    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) == 1


def test_calendar_feed_unknown_token_is_404(world, client):
    assert _feed(client, "not-a-real-token").status_code == 404
    assert _feed(client, "").status_code == 404


def test_calendar_feed_of_a_non_participant_is_404(world, client):
    assert _feed(client, world.users["staff"].calendar_token).status_code == 404


def test_new_calendar_link_rotates_the_token(world, client, login_as):
    user = login_as("participant")
    old = user.calendar_token
    response = client.post("/me/calendar/new-link")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.calendar_token != old
    assert _feed(client, old).status_code == 404
    assert _feed(client, user.calendar_token).status_code == 200
    page = client.get("/me/appointments").get_data(as_text=True)
    assert user.calendar_token in page and old not in page


def test_calendar_feed_read_is_audited_for_the_owner(world, client):
    _feed(client, world.users["participant"].calendar_token)
    rows = audit_rows(object_type="calendar_feed")
    assert rows and rows[0].user_id == world.users["participant"].id
    assert rows[0].participant_id == world.participant.id


# --- Kontakter -----------------------------------------------------------------------------

def _open_support(world):
    db.session.add_all([
        OpenSupportContact(organisation_id=world.org.id, kind="phone", label="Öppna stödet",
                           phone="031-12 34 56", hours="Vardagar 9–16"),
        OpenSupportContact(organisation_id=world.org.id, kind="dropin", label="Drop-in",
                           address="Kungsgatan 12", hours="Tisdagar 13–15", position=1),
    ])
    world.users["staff"].phone = "070-111 22 33"
    world.users["staff"].display_name = "Anna Andersson"
    db.session.commit()


def test_contacts_show_worker_and_oncall_with_tap_to_call(world, client, login_as):
    _open_support(world)
    login_as("participant")
    page = client.get("/me/contacts").get_data(as_text=True)
    assert "Anna Andersson" in page
    assert 'href="tel:070-1112233"' in page
    assert 'href="tel:020-000000"' in page  # the organisation's on-call number
    assert "Öppna stödet" in page and "Kungsgatan 12" in page
    # not fas 4: the open support comes after the worker
    assert page.index("Anna Andersson") < page.index("Öppet stöd")
    assert "is-first" not in page


def test_contacts_put_open_support_first_in_fas_4(world, client, login_as):
    _open_support(world)
    world.participant.phase = 4
    db.session.commit()
    login_as("participant")
    page = client.get("/me/contacts").get_data(as_text=True)
    assert "is-first" in page
    assert page.index("Öppet stöd") < page.index("Anna Andersson")
    assert 'href="tel:031-123456"' in page


# --- Min lägenhet --------------------------------------------------------------------------

def _submission(world, participant, month, version=1, supersedes=None, held=None):
    template = db.session.scalar(db.select(ChecklistTemplate))
    row = ChecklistSubmission(participant_id=participant.id, template_id=template.id,
                              month=month, held_on=held or date.fromisoformat(month + "-15"),
                              submitted_by_id=world.users["staff"].id, version_no=version,
                              supersedes_id=supersedes.id if supersedes else None)
    db.session.add(row)
    db.session.commit()
    return row


def test_home_shows_apartment_contract_and_progress(world, client, login_as):
    login_as("participant")
    page = client.get("/me/home").get_data(as_text=True)
    assert "Svenssongatan 1" in page
    assert "Andrahandskontrakt – Bostad först hyr ut till dig." in page
    assert "<progress" in page and "av 18 månader" in page
    assert "style=" not in page


def test_home_shows_first_hand_contract_in_words(world, client, login_as):
    world.participant.contracts[0].kind = "first_hand"
    db.session.commit()
    login_as("participant")
    page = client.get("/me/home").get_data(as_text=True)
    assert "Förstahandskontrakt – lägenheten är din." in page
    assert "<progress" not in page


def test_home_lists_latest_checklist_version_per_month_only_own(world, client, login_as):
    first = _submission(world, world.participant, "2026-02")
    _submission(world, world.participant, "2026-02", version=2, supersedes=first,
                held=date(2026, 2, 20))
    _submission(world, world.participant, "2026-03")
    _submission(world, world.other, "2025-11")
    login_as("participant")
    page = client.get("/me/home").get_data(as_text=True)
    assert page.count("Februari 2026") == 1
    assert "20 februari" in page and "15 februari" not in page
    assert "Mars 2026" in page
    assert "November 2025" not in page


def test_home_links_each_checklist(app, world, client, login_as):
    row = _submission(world, world.participant, "2026-03")
    login_as("participant")
    page = client.get("/me/home").get_data(as_text=True)
    assert f'href="/me/checklists/{row.id}"' in page


# --- Vem har tittat ------------------------------------------------------------------------

def test_access_log_shows_names_and_roles_not_ips(world, client, login_as):
    staff = world.users["staff"]
    staff.display_name = "Anna Andersson"
    db.session.add_all([
        AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                   participant_id=world.participant.id, ip="203.0.113.77"),
        AuditEvent(user_id=world.users["housing"].id, role="housing", action="read",
                   object_type="tenancy", participant_id=world.participant.id,
                   ip="198.51.100.9"),
        AuditEvent(user_id=world.users["other_staff"].id, role="staff", action="read",
                   object_type="plan", participant_id=world.other.id),
        AuditEvent(user_id=world.users["participant"].id, role="participant", action="update",
                   object_type="step", participant_id=world.participant.id),
    ])
    db.session.commit()
    login_as("participant")
    page = client.get("/me/access-log").get_data(as_text=True)
    assert "Anna Andersson" in page and "(Stödpersonal)" in page
    assert "(Bostadsförvaltningen)" in page
    assert "Tittade på din plan" in page and "Tittade på tiden i lägenheten" in page
    assert "203.0.113.77" not in page and "198.51.100.9" not in page
    assert "Otherstaff" not in page  # the other participant's log
    assert "Ändrade din plan" not in page  # their own actions are not listed


def test_access_log_is_paginated(world, client, login_as):
    staff = world.users["staff"]
    start = utcnow() - timedelta(days=70)
    db.session.add_all([
        # One a day: the log is grouped per person and day (issue 16.8), so 60 days page.
        AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                   participant_id=world.participant.id, at=start + timedelta(days=i))
        for i in range(60)
    ])
    db.session.commit()
    login_as("participant")
    first = client.get("/me/access-log").get_data(as_text=True)
    assert "page=2" in first
    second = client.get("/me/access-log?page=2").get_data(as_text=True)
    assert "Tittade på din plan" in second and "page=3" not in second
    assert client.get("/me/access-log?page=bogus").status_code == 200
