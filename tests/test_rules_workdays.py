"""The one-day rule (DESIGN §1d): the end of the next working day, Swedish holidays included."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from webapp.domain.disturbances import (
    clock_start,
    contact_deadline,
    contacted_in_time,
    is_overdue,
    is_working_day,
    next_working_day,
)

STHLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")


def utc(local: str) -> datetime:
    """Naive UTC for a Stockholm wall-clock time."""
    return datetime.fromisoformat(local).replace(tzinfo=STHLM).astimezone(UTC).replace(
        tzinfo=None)


def test_friday_afternoon_runs_to_the_end_of_monday_not_saturday():
    assert contact_deadline(utc("2026-11-13 16:00")) == utc("2026-11-17 00:00")


def test_a_letter_before_midsummer_runs_past_midsummer_eve_and_the_weekend():
    # Midsummer Eve (Friday 19 June 2026) is not a working day, Midsummer Day is a holiday.
    assert not is_working_day(date(2026, 6, 19)) and not is_working_day(date(2026, 6, 20))
    assert contact_deadline(utc("2026-06-18 15:00")) == utc("2026-06-23 00:00")
    assert contact_deadline(utc("2026-06-19 09:00")) == utc("2026-06-23 00:00")


def test_easter_and_christmas_are_not_working_days():
    assert next_working_day(date(2026, 4, 2)) == date(2026, 4, 7)  # Maundy Thursday → Tuesday
    assert next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 12, 30)) == date(2027, 1, 4)  # New Year's Eve and Day


def test_an_ordinary_day_runs_to_the_end_of_the_next():
    assert contact_deadline(utc("2026-11-17 23:30")) == utc("2026-11-19 00:00")


def test_the_clock_starts_when_the_copy_was_received():
    d = SimpleNamespace(severity="rattelse", received_at=datetime(2026, 11, 20, 12),
                        letter_sent_at=datetime(2026, 11, 16, 8),
                        copy_received_at=datetime(2026, 11, 17, 9), followed_up_at=None,
                        contacted_at=None)
    assert clock_start(d) == datetime(2026, 11, 17, 9)
    assert is_overdue(d, datetime(2026, 11, 19, 0, 1))  # Wednesday ended 23:00 UTC
    d.copy_received_at = None
    assert clock_start(d) == datetime(2026, 11, 16, 8)


def test_contact_in_time_is_judged_by_when_contact_happened_not_when_typed():
    d = SimpleNamespace(severity="rattelse", received_at=utc("2026-11-13 16:00"),
                        letter_sent_at=None, copy_received_at=None,
                        followed_up_at=utc("2026-11-18 10:00"),
                        contacted_at=utc("2026-11-16 15:00"))
    assert contacted_in_time(d) is True
    d.contacted_at = None
    assert contacted_in_time(d) is False
