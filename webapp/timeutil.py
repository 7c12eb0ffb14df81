"""Local time (Europe/Stockholm) <-> the naive UTC stored in the database, and Swedish dates."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

WEEKDAYS_SV = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
MONTHS_SV = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december"]


def tz() -> ZoneInfo:
    name = current_app.config["BOFAST_TIMEZONE"] if has_app_context() else "Europe/Stockholm"
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    """Naive UTC from the database -> aware local time."""
    return value.replace(tzinfo=UTC).astimezone(tz())


def to_utc(local_naive: datetime) -> datetime:
    """Naive local time typed by a person -> naive UTC for the database."""
    return local_naive.replace(tzinfo=tz()).astimezone(UTC).replace(tzinfo=None)


def local_now() -> datetime:
    return datetime.now(tz())


def local_today() -> date:
    return local_now().date()


def local_day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) that is the local calendar day `day`."""
    start = to_utc(datetime.combine(day, datetime.min.time()))
    end = to_utc(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    return start, end


def format_day(value: date) -> str:
    """'tisdag 3 mars'"""
    return f"{WEEKDAYS_SV[value.weekday()]} {value.day} {MONTHS_SV[value.month - 1]}"


def format_datetime(value: datetime) -> str:
    """Naive UTC -> 'tisdag 3 mars kl 10:00' in local time."""
    local = to_local(value)
    return f"{format_day(local.date())} kl {local:%H:%M}"


def format_time(value: datetime) -> str:
    return f"{to_local(value):%H:%M}"


def month_key(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"
