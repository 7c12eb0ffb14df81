"""Reminders follow changes: appointments and disturbances re-plan through ORM events."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.factories import make_appointment
from webapp.models import Disturbance, Reminder, ReminderPreference, VisitOutcome
from webapp.models.base import utcnow
from webapp.reminders import plan_daily


def reminders(db, **where):
    query = select(Reminder).order_by(Reminder.id)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    return db.session.scalars(query).all()


def future(days=5, hour=9):
    """A naive-UTC time some days ahead at a daytime hour (so no quiet-hour edge cases)."""
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, 0)


def book(db, world, **kw):
    appointment = make_appointment(world.participant, world.users["staff"],
                                   kw.pop("starts_at", future()), **kw)
    db.session.commit()
    return appointment


def test_booking_plans_the_participants_two_reminders(db, world):
    appointment = book(db, world)
    rows = reminders(db, appointment_id=appointment.id)
    assert sorted(r.kind for r in rows) == ["appt_evening", "appt_hour"]
    assert {r.status for r in rows} == {"pending"}
    assert {r.user_id for r in rows} == {world.users["participant"].id}
    assert all(r.expires_at == appointment.starts_at for r in rows)


def test_replanning_never_duplicates(db, world):
    appointment = book(db, world)
    appointment.note = "Ta med kontraktet."
    db.session.commit()
    appointment.location = "Kontoret"
    db.session.commit()
    assert len(reminders(db, appointment_id=appointment.id)) == 2


def test_moved_appointment_moves_its_pending_reminders(db, world):
    appointment = book(db, world)
    before = {r.kind: r.due_at for r in reminders(db, appointment_id=appointment.id)}
    appointment.starts_at += timedelta(days=1, hours=2)
    db.session.commit()
    rows = reminders(db, appointment_id=appointment.id)
    assert len(rows) == 2 and {r.status for r in rows} == {"pending"}
    after = {r.kind: r.due_at for r in rows}
    assert after["appt_hour"] == appointment.starts_at - timedelta(hours=1)
    assert after["appt_evening"] == before["appt_evening"] + timedelta(days=1)
    assert all(str(f"{appointment.starts_at:%Y%m%d%H%M}") in r.dedupe_key for r in rows)


def test_cancelled_appointment_cancels_its_reminders(db, world):
    appointment = book(db, world)
    appointment.status = "cancelled"
    db.session.commit()
    assert {r.status for r in reminders(db, appointment_id=appointment.id)} == {"cancelled"}
    appointment.status = "booked"  # booked again: the same reminders come back
    db.session.commit()
    rows = reminders(db, appointment_id=appointment.id)
    assert len(rows) == 2 and {r.status for r in rows} == {"pending"}


def test_sent_reminder_is_kept_and_a_new_one_planned_when_moved(db, world):
    appointment = book(db, world)
    evening = reminders(db, appointment_id=appointment.id, kind="appt_evening")[0]
    evening.status = "sent"
    db.session.commit()
    appointment.starts_at += timedelta(days=2)
    db.session.commit()
    rows = reminders(db, appointment_id=appointment.id, kind="appt_evening")
    assert [r.status for r in rows] == ["sent", "pending"]


def test_hidden_appointment_gets_no_participant_reminders(db, world):
    appointment = book(db, world, visible_to_participant=False)
    assert reminders(db, appointment_id=appointment.id) == []
    appointment.visible_to_participant = True
    db.session.commit()
    assert len(reminders(db, appointment_id=appointment.id)) == 2


def test_participant_without_login_gets_none(db, world):
    appointment = make_appointment(world.other, world.users["other_staff"], future())
    world.other.user_id = None
    db.session.commit()
    assert reminders(db, appointment_id=appointment.id) == []


def test_preferences_are_followed(db, world):
    db.session.add(ReminderPreference(user_id=world.users["participant"].id,
                                      evening_before=False, hour_before=True, quiet_hours=True))
    appointment = book(db, world)
    assert [r.kind for r in reminders(db, appointment_id=appointment.id)] == ["appt_hour"]


def test_changed_preferences_replan_future_appointments(db, world, client, login_as):
    appointment = book(db, world)
    login_as("participant")
    response = client.post("/push/settings", data={"evening_before": "y", "quiet_hours": "y"})
    assert response.status_code == 302
    rows = {r.kind: r.status for r in reminders(db, appointment_id=appointment.id)}
    assert rows == {"appt_evening": "pending", "appt_hour": "cancelled"}
    pref = db.session.scalar(select(ReminderPreference))
    assert (pref.evening_before, pref.hour_before, pref.quiet_hours) == (True, False, True)


def test_deleted_appointment_takes_its_reminders_along(db, world):
    appointment = book(db, world)
    db.session.delete(appointment)
    db.session.commit()
    assert {r.status for r in reminders(db, kind="appt_hour")} == {"cancelled"}


def test_rattelse_reminds_the_caseload_staff_until_followed_up(db, world):
    disturbance = Disturbance(participant_id=world.participant.id, occurred_on=utcnow().date(),
                              source="landlord", severity="rattelse", received_at=utcnow())
    db.session.add(disturbance)
    db.session.commit()
    rows = reminders(db, kind="staff_rattelse")
    assert {r.user_id for r in rows} == {world.users["staff"].id}  # not the other team
    assert "En rättelseanmaning väntar på uppföljning" in {r.body for r in rows}
    disturbance.followed_up_at = utcnow()
    db.session.commit()
    assert {r.status for r in reminders(db, kind="staff_rattelse")} == {"cancelled"}


def test_minor_disturbance_plans_nothing(db, world):
    db.session.add(Disturbance(participant_id=world.participant.id, occurred_on=utcnow().date(),
                               source="neighbour", severity="minor"))
    db.session.commit()
    assert reminders(db, kind="staff_rattelse") == []


def test_daily_planning_for_staff(app, db, world):
    # Thursday 26 March 2026, 06:00 local (05:00 UTC): 2 visits today, fas 2 without a visit,
    # no checklist this month (after the 20th).
    now = datetime(2026, 3, 26, 5, 0)
    staff = world.users["staff"]
    for hour in (8, 12):
        make_appointment(world.participant, staff, datetime(2026, 3, 26, hour, 0))
    db.session.commit()
    plan_daily(db.session, now=now)
    db.session.commit()
    plan_daily(db.session, now=now)  # idempotent
    db.session.commit()
    mine = {r.kind: r for r in reminders(db, user_id=staff.id)}
    assert mine["staff_summary"].body == "Du har 2 besök idag"
    assert mine["staff_summary"].due_at == datetime(2026, 3, 26, 6, 30)
    assert mine["staff_visits"].body == "1 deltagare har inte fått hembesök den här veckan"
    assert mine["staff_checklist"].body == (
        "1 genomgång av lägenheten saknas den här månaden")
    assert len(reminders(db, user_id=staff.id)) == 3


def test_daily_warning_cancelled_once_the_visit_is_done(db, world):
    now = datetime(2026, 3, 26, 5, 0)
    staff = world.users["staff"]
    plan_daily(db.session, now=now)
    db.session.commit()
    visit = make_appointment(world.participant, staff, datetime(2026, 3, 24, 9, 0))
    db.session.add(VisitOutcome(appointment_id=visit.id, participant_id=world.participant.id,
                                outcome="done", recorded_by_id=staff.id))
    db.session.commit()
    plan_daily(db.session, now=now)
    db.session.commit()
    assert reminders(db, kind="staff_visits")[0].status == "cancelled"


def test_daily_summary_not_planned_after_it_expired(db, world):
    staff = world.users["staff"]
    make_appointment(world.participant, staff, datetime(2026, 3, 26, 14, 0))
    db.session.commit()
    plan_daily(db.session, now=datetime(2026, 3, 26, 12, 0))  # 13:00 local: past noon
    db.session.commit()
    assert reminders(db, kind="staff_summary") == []
