"""Weekly visits that end (DESIGN §1d): an ended fas-2 period without the minimum stays as
missed until someone records why, housing gets a notice without note text, visits can be
recorded after the fact. And push planning agrees with Idag (the same domain rules)."""
from __future__ import annotations

from datetime import date, datetime

import time_machine
from sqlalchemy import select

from tests.factories import local_at, make_appointment, make_outcome
from webapp.models import Absence, Appointment, HousingNotice, MissedVisit, Reminder
from webapp.reminders import plan_daily

TUESDAY = "2026-11-24 10:00 +01:00"  # ISO week 48; week 47 (16–22 Nov) has ended


def _html(response) -> str:
    return response.get_data(as_text=True)


def _scheduler_pass(db):
    """The reminder scheduler's pass records ended periods (no page view writes them)."""
    plan_daily(db.session)
    db.session.commit()


def _visit_in_every_week_but(world, db, skip: date):
    """A done home visit on each Monday from 28 Sep to 23 Nov 2026, except the week of `skip`."""
    staff = world.users["staff"]
    monday = date(2026, 9, 28)
    while monday <= date(2026, 11, 23):
        if monday != skip:
            make_outcome(make_appointment(world.participant, staff, local_at(monday, 10)), staff)
        monday = date.fromordinal(monday.toordinal() + 7)
    db.session.commit()


@time_machine.travel(TUESDAY, tick=False)
def test_an_ended_week_without_a_visit_stays_and_tells_housing(client, world, login_as, db):
    _visit_in_every_week_but(world, db, skip=date(2026, 11, 16))
    login_as("staff")
    client.get("/today")
    assert db.session.query(MissedVisit).count() == 0  # a page view never writes (issue 13)
    _scheduler_pass(db)
    page = _html(client.get("/today"))
    assert "gick utan besök. Skriv varför." in page
    missed = db.session.scalars(select(MissedVisit).where(
        MissedVisit.participant_id == world.participant.id)).all()
    assert [m.period_start for m in missed] == [date(2026, 11, 16)]
    notice = db.session.get(HousingNotice, missed[0].housing_notice_id)
    assert notice.kind == "period_without_visit" and notice.visit_outcome_id is None
    notices = db.session.query(HousingNotice).count()
    _scheduler_pass(db)  # a second pass creates nothing new
    assert db.session.query(HousingNotice).count() == notices
    login_as("housing")
    housing = _html(client.get("/housing"))
    assert "gick utan det överenskomna hembesöket" in housing


@time_machine.travel(TUESDAY, tick=False)
def test_recording_why_with_a_visit_after_the_fact_clears_it(client, world, login_as, db):
    _visit_in_every_week_but(world, db, skip=date(2026, 11, 16))
    _scheduler_pass(db)
    login_as("staff")
    missed = db.session.scalar(select(MissedVisit).where(
        MissedVisit.participant_id == world.participant.id))
    url = f"/participants/{world.participant.id}/missed-visits/{missed.id}"
    assert "Besök saknas" in _html(client.get(url))
    bad = client.post(url, data={"reason": "logged_late"})
    assert bad.status_code == 422 and "Skriv när besöket gjordes." in _html(bad)
    ok = client.post(url, data={"reason": "logged_late", "visited_on": "2026-11-19",
                                "visited_time": "14:30"})
    assert ok.status_code == 302
    db.session.refresh(missed)
    assert missed.reason == "logged_late" and missed.explained_at is not None
    visit = db.session.get(Appointment, missed.appointment_id)
    assert visit.starts_at == local_at(date(2026, 11, 19), 14, 30)  # its real time
    assert visit.outcome.outcome == "done"
    assert "gick utan besök" not in _html(client.get("/today"))
    appointments = _html(client.get(f"/participants/{world.participant.id}/appointments"))
    assert "Registrerat i efterhand" in appointments


@time_machine.travel(TUESDAY, tick=False)
def test_days_in_a_recorded_absence_owe_no_visit(client, world, login_as, db):
    _visit_in_every_week_but(world, db, skip=date(2026, 11, 16))
    db.session.add(Absence(participant_id=world.participant.id, kind="custody",
                           start_date=date(2026, 11, 14), end_date=date(2026, 11, 23)))
    db.session.commit()
    _scheduler_pass(db)
    login_as("staff")
    assert "gick utan besök" not in _html(client.get("/today"))
    assert db.session.query(MissedVisit).filter_by(participant_id=world.participant.id).count() == 0


@time_machine.travel(TUESDAY, tick=False)
def test_a_visit_can_be_recorded_after_the_fact(client, world, login_as, db):
    login_as("staff")
    url = f"/participants/{world.participant.id}/visits/after-the-fact"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"kind": "home_visit", "day": "2026-11-23",
                                      "time": "16:15", "with_social_services": "no"})
    assert response.status_code == 302
    visit = db.session.scalar(select(Appointment))
    assert visit.starts_at == local_at(date(2026, 11, 23), 16, 15)
    assert visit.created_at > visit.starts_at
    future = client.post(url, data={"kind": "home_visit", "day": "2026-11-30", "time": "10:00"})
    assert future.status_code == 422


@time_machine.travel(TUESDAY, tick=False)
def test_stockholm_idag_and_push_agree_on_the_missing_visit(client, world, login_as, db):
    """Four meetings this month, none with social services: Idag says a visit is missing, and
    the push warning is planned (before issue 15 it was not: reminders counted on its own)."""
    world.org.apply_preset("stockholm")
    staff = world.users["staff"]
    for day in (2, 9, 16, 23):
        make_outcome(make_appointment(world.participant, staff,
                                      local_at(date(2026, 11, day), 10), kind="meeting"), staff)
    db.session.commit()
    login_as("staff")
    today = _html(client.get("/today"))
    assert "Hembesök saknas den här månaden" in today and "1 med socialtjänsten" in today
    plan_daily(db.session, now=datetime(2026, 11, 24, 9, 0))
    db.session.commit()
    warning = db.session.scalar(select(Reminder).where(Reminder.kind == "staff_visits"))
    assert warning is not None and warning.body.startswith("1 deltagare")
    # With social services at one of them, both agree nothing is missing.
    visit = db.session.scalar(select(Appointment).where(Appointment.starts_at == local_at(
        date(2026, 11, 23), 10)))
    visit.with_social_services = True
    db.session.commit()
    assert "Hembesök saknas" not in _html(client.get("/today"))
    plan_daily(db.session, now=datetime(2026, 11, 24, 9, 5))
    db.session.commit()
    db.session.refresh(warning)
    assert warning.status == "cancelled"


@time_machine.travel(TUESDAY, tick=False)
def test_staff_record_when_they_actually_contacted_the_tenant(client, world, login_as, db):
    from tests.factories import make_disturbance
    from webapp.domain.disturbances import contacted_in_time

    d = make_disturbance(world.participant, received_at=datetime(2026, 11, 20, 15, 0))
    db.session.commit()
    login_as("staff")
    url = f"/participants/{world.participant.id}/events/disturbances/{d.id}/follow-up"
    prefix = f"followup-{d.id}"
    missing_time = client.post(url, data={f"{prefix}-note": "Ringde",
                                          f"{prefix}-contacted_on": "2026-11-23"})
    assert missing_time.status_code == 422
    assert "Skriv klockslaget" in _html(missing_time)
    response = client.post(url, data={f"{prefix}-note": "Ringde",
                                      f"{prefix}-contacted_on": "2026-11-23",
                                      f"{prefix}-contacted_time": "09:15"})
    assert response.status_code in (302, 303)
    db.session.refresh(d)
    assert d.contacted_at == local_at(date(2026, 11, 23), 9, 15)
    assert d.followed_up_at == datetime(2026, 11, 24, 9, 0)  # when it was typed
    assert contacted_in_time(d)  # Friday copy, Monday contact: in time


@time_machine.travel(TUESDAY, tick=False)
def test_housing_records_when_the_letter_was_sent_and_the_copy_received(client, world,
                                                                        login_as, db):
    from webapp.models import Disturbance

    login_as("housing")
    response = client.post("/housing/disturbances/new", data={
        "participant_id": world.participant.id, "occurred_on": "2026-11-19",
        "severity": "rattelse", "description": "Störande ljud",
        "letter_sent_at": "2026-11-19T10:00", "copy_received_at": "2026-11-20T16:00"})
    assert response.status_code == 302
    d = db.session.scalar(select(Disturbance))
    assert d.copy_received_at == local_at(date(2026, 11, 20), 16)
    login_as("staff")
    events = _html(client.get(f"/participants/{world.participant.id}/events"))
    # Friday 16:00 copy: contact by the end of Monday (not Saturday 16:00).
    assert "måndag 23 november kl 24:00" in events or "tisdag 24 november kl 00:00" in events


@time_machine.travel(TUESDAY, tick=False)
def test_stockholm_acute_relief_is_counted_against_14_days_with_a_warning(client, world,
                                                                          login_as, db):
    world.org.apply_preset("stockholm")
    db.session.add(Absence(participant_id=world.participant.id, kind="relief_acute",
                           start_date=date(2026, 2, 1), end_date=date(2026, 2, 16)))
    db.session.commit()
    login_as("staff")
    overview = _html(client.get(f"/participants/{world.participant.id}"))
    assert "16 av 14 dagar" in overview and "Över taket" in overview
    assert "Akut avlastning: 16 dagar i år, över taket." in _html(client.get("/today"))
    login_as("social_worker")
    assert "16 av 14 dagar" in _html(client.get("/social"))
