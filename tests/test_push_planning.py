"""Reminder rules as pure functions: times, quiet hours, texts (webapp/reminders.py)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from webapp.reminders import (
    Preferences,
    appointment_reminders,
    checklist_warning,
    morning_summary,
    rattelse_reminders,
    visit_warning,
)

STHLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")


def utc(local: str) -> datetime:
    """'2026-03-10 10:00' Stockholm time -> naive UTC."""
    value = datetime.fromisoformat(local).replace(tzinfo=STHLM)
    return value.astimezone(UTC).replace(tzinfo=None)


def plan(start_local: str, now_local: str, kind="home_visit", **prefs):
    return {p.kind: p for p in appointment_reminders(
        appointment_id=7, kind=kind, starts_at=utc(start_local), user_id=3,
        prefs=Preferences(**prefs), now=utc(now_local), zone=STHLM, url="/me/appointments")}


def test_evening_before_at_18_and_one_hour_before():
    planned = plan("2026-03-10 10:00", "2026-03-05 12:00")
    assert planned["appt_evening"].due_at == utc("2026-03-09 18:00")
    assert planned["appt_evening"].body == "Besök imorgon kl 10:00"
    assert planned["appt_hour"].due_at == utc("2026-03-10 09:00")
    assert planned["appt_hour"].body == "Besök idag kl 10:00"
    for p in planned.values():
        assert p.expires_at == utc("2026-03-10 10:00")  # useless after the appointment began
        assert p.url == "/me/appointments" and p.appointment_id == 7


def test_times_follow_daylight_saving_change():
    # Summer time starts 29 March 2026 at 02:00: 18:00 the day before is still UTC+1.
    planned = plan("2026-03-29 10:00", "2026-03-20 12:00")
    assert planned["appt_evening"].due_at == datetime(2026, 3, 28, 17, 0)
    assert planned["appt_hour"].due_at == datetime(2026, 3, 29, 7, 0)


def test_preferences_turn_each_reminder_off():
    assert set(plan("2026-03-10 10:00", "2026-03-05 12:00", evening_before=False)) == {
        "appt_hour"}
    assert set(plan("2026-03-10 10:00", "2026-03-05 12:00", hour_before=False)) == {
        "appt_evening"}


def test_quiet_hours_move_an_early_reminder_to_eight():
    planned = plan("2026-03-10 08:30", "2026-03-05 12:00")
    assert planned["appt_hour"].due_at == utc("2026-03-10 08:00")


def test_quiet_hours_drop_a_reminder_that_would_come_too_late():
    assert "appt_hour" not in plan("2026-03-10 08:00", "2026-03-05 12:00")
    assert "appt_hour" not in plan("2026-03-10 22:30", "2026-03-05 12:00")


def test_without_quiet_hours_the_reminder_keeps_its_time():
    planned = plan("2026-03-10 08:30", "2026-03-05 12:00", quiet_hours=False)
    assert planned["appt_hour"].due_at == utc("2026-03-10 07:30")


def test_booked_late_in_the_evening_no_night_push():
    # Booked at 22:00 for tomorrow 10:00: the evening reminder would come at night, so it is
    # moved to 08:00, which is the day itself: the hour-before reminder covers that.
    planned = plan("2026-03-10 10:00", "2026-03-09 22:00")
    assert set(planned) == {"appt_hour"}
    only_evening = plan("2026-03-10 10:00", "2026-03-09 22:00", hour_before=False)
    assert only_evening["appt_evening"].due_at == utc("2026-03-10 08:00")
    assert only_evening["appt_evening"].body == "Besök idag kl 10:00"


def test_booked_after_18_the_day_before_is_sent_now():
    planned = plan("2026-03-10 10:00", "2026-03-09 19:15")
    assert planned["appt_evening"].due_at == utc("2026-03-09 19:15")
    assert planned["appt_evening"].body == "Besök imorgon kl 10:00"


def test_booked_the_same_day_gets_no_evening_reminder():
    assert set(plan("2026-03-10 15:00", "2026-03-10 09:00")) == {"appt_hour"}


def test_past_appointment_gets_nothing():
    assert plan("2026-03-10 10:00", "2026-03-10 10:30") == {}


def test_texts_never_name_the_kind_of_care():
    assert plan("2026-03-10 10:00", "2026-03-05 12:00", kind="healthcare")[
        "appt_hour"].body == "Besök idag kl 10:00"
    assert plan("2026-03-10 10:00", "2026-03-05 12:00", kind="phone")[
        "appt_hour"].body == "Samtal idag kl 10:00"
    far = plan("2026-03-10 10:00", "2026-03-05 12:00")
    assert far["appt_evening"].key != far["appt_hour"].key


def test_key_changes_when_the_appointment_moves():
    before = plan("2026-03-10 10:00", "2026-03-05 12:00")["appt_hour"].key
    after = plan("2026-03-10 11:00", "2026-03-05 12:00")["appt_hour"].key
    again = plan("2026-03-10 10:00", "2026-03-06 12:00")["appt_hour"].key
    assert before != after and before == again


def test_morning_summary_counts_visits_without_names():
    p = morning_summary(user_id=1, day=date(2026, 3, 10), count=3, zone=STHLM)
    assert p.body == "Du har 3 besök idag"
    assert p.due_at == utc("2026-03-10 07:30") and p.expires_at == utc("2026-03-10 12:00")
    assert morning_summary(user_id=1, day=date(2026, 3, 10), count=0, zone=STHLM) is None


def test_weekly_visit_warning_from_thursday_morning():
    wednesday, thursday, sunday = date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 15)
    assert visit_warning(user_id=1, day=wednesday, missing=2, period="week", zone=STHLM) is None
    p = visit_warning(user_id=1, day=thursday, missing=2, period="week", zone=STHLM)
    assert p.body == "2 deltagare har inte fått hembesök den här veckan"
    assert p.due_at == utc("2026-03-12 07:30") and p.expires_at == utc("2026-03-16 00:00")
    assert p.key == "visits:1:2026-W11"
    assert visit_warning(user_id=1, day=sunday, missing=2, period="week",
                         zone=STHLM).key == p.key  # one warning per ISO week
    assert visit_warning(user_id=1, day=thursday, missing=0, period="week", zone=STHLM) is None


def test_checklist_warning_from_the_20th():
    assert checklist_warning(user_id=1, day=date(2026, 3, 19), missing=1, zone=STHLM) is None
    p = checklist_warning(user_id=1, day=date(2026, 3, 24), missing=1, zone=STHLM)
    assert p.body == "1 genomgång av lägenheten saknas den här månaden"
    assert p.due_at == utc("2026-03-20 07:30") and p.key == "checklist:1:2026-03"


def test_rattelse_reminded_when_received_and_on_the_morning_of_the_deadline_day():
    # DESIGN §1d (issue 15): the deadline is the end of the next working day, not 24 hours.
    received = utc("2026-03-10 14:00")  # Tuesday, local time
    planned = {p.key.rsplit(":", 1)[-1]: p for p in rattelse_reminders(
        disturbance_id=5, received_at=received, user_id=2, now=received, zone=STHLM)}
    assert planned["received"].due_at == received
    assert planned["received"].body == "En rättelseanmaning väntar på uppföljning"
    assert planned["deadline"].due_at == utc("2026-03-11 08:00")  # Wednesday 08:00 local
    assert planned["deadline"].body == "En rättelseanmaning ska följas upp idag"
    assert planned["deadline"].expires_at == utc("2026-03-12 00:00")  # Wednesday 24:00 local


def test_rattelse_second_reminder_skips_the_weekend_and_midsummer():
    received = utc("2026-06-18 16:00")  # Thursday before Midsummer Eve
    planned = {p.key.rsplit(":", 1)[-1]: p for p in rattelse_reminders(
        disturbance_id=5, received_at=received, user_id=2, now=received, zone=STHLM)}
    assert planned["deadline"].due_at == utc("2026-06-22 08:00")  # Monday, local time
    late = rattelse_reminders(disturbance_id=5, received_at=received, user_id=2,
                              now=utc("2026-06-23 00:01"), zone=STHLM)
    assert late == []  # the day is up
