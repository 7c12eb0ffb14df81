"""The one-day rule for rättelseanmaningar (DESIGN §1d).

Housing records when the letter was sent and when the copy reached the support team; staff
record when they actually contacted the tenant. The deadline is the end of the next working day
after the copy was received (letter sent, if no receipt is recorded; for old rows, when the
disturbance was typed), local time. Weekends and Swedish public holidays (from the maintained
`holidays` package, with its de-facto category: Midsummer Eve, Christmas Eve and New Year's
Eve) are not working days.

Stored datetimes are naive UTC; `zone` turns them into local time.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RULE_SEVERITIES = frozenset({"rattelse", "unpaid_rent"})  # a written demand: one-day rule


@lru_cache(maxsize=32)
def _swedish_holidays(year: int) -> holidays.HolidayBase:
    # Public holidays plus the de-facto ones (Midsummer, Christmas and New Year's Eve), which
    # Swedish working life treats like Sundays.
    return holidays.country_holidays("SE", years=year, categories=("public", "de_facto"))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _swedish_holidays(day.year)


def next_working_day(day: date) -> date:
    following = day + timedelta(days=1)
    while not is_working_day(following):
        following += timedelta(days=1)
    return following


def end_of_next_working_day(moment_local: datetime) -> datetime:
    """Midnight after the first working day following the local moment's date (aware)."""
    last = next_working_day(moment_local.date())
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=moment_local.tzinfo)


def _local(utc_naive: datetime, zone: tzinfo) -> datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone)


def _utc(aware: datetime) -> datetime:
    return aware.astimezone(UTC).replace(tzinfo=None)


def contact_deadline(start_utc: datetime, zone: tzinfo = STOCKHOLM) -> datetime:
    """Naive UTC deadline for contacting the tenant when the clock started at `start_utc`."""
    return _utc(end_of_next_working_day(_local(start_utc, zone)))


def clock_start(disturbance: Any) -> datetime:
    """Copy received, else letter sent, else when it was typed (naive UTC)."""
    return (getattr(disturbance, "copy_received_at", None)
            or getattr(disturbance, "letter_sent_at", None) or disturbance.received_at)


def rule_applies(disturbance: Any) -> bool:
    return disturbance.severity in RULE_SEVERITIES


def needs_follow_up(disturbance: Any) -> bool:
    """A rättelseanmaning nobody has followed up yet."""
    return rule_applies(disturbance) and disturbance.followed_up_at is None


def follow_up_deadline(disturbance: Any, zone: tzinfo = STOCKHOLM) -> datetime | None:
    """When the tenant must have been contacted (naive UTC); None if the rule does not apply."""
    if not rule_applies(disturbance):
        return None
    return contact_deadline(clock_start(disturbance), zone)


def is_overdue(disturbance: Any, now: datetime, zone: tzinfo = STOCKHOLM) -> bool:
    """Not followed up and past the deadline (`now` naive UTC)."""
    deadline = follow_up_deadline(disturbance, zone)
    return needs_follow_up(disturbance) and deadline is not None and now > deadline


def contacted_in_time(disturbance: Any, zone: tzinfo = STOCKHOLM) -> bool | None:
    """Whether the actual contact (not the typing) was within the deadline; None if none yet."""
    contacted = getattr(disturbance, "contacted_at", None) or disturbance.followed_up_at
    deadline = follow_up_deadline(disturbance, zone)
    if contacted is None or deadline is None:
        return None
    return contacted <= deadline
