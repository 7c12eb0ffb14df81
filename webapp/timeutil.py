"""Local time (Europe/Stockholm) <-> the naive UTC stored in the database, and Swedish dates."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, has_request_context

from .domain.push_plan import MONTHS_SV, WEEKDAYS_SV  # noqa: E402,F401 - one list

# Fixed lists rather than strftime: the C library's locale must not decide the language.
_WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]


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


def _english() -> bool:
    """English pages get English dates; everything else (CLI, jobs, Swedish pages) Swedish."""
    if not has_request_context():
        return False
    from flask_babel import get_locale

    return str(get_locale()) == "en"


def format_day(value: date) -> str:
    """'tisdag 3 mars' ('Tuesday 3 March' on English pages)"""
    if _english():
        return f"{_WEEKDAYS_EN[value.weekday()]} {value.day} {_MONTHS_EN[value.month - 1]}"
    return f"{WEEKDAYS_SV[value.weekday()]} {value.day} {MONTHS_SV[value.month - 1]}"


def month_name(month: int, short: bool = False) -> str:
    """'mars' ('March' on English pages); `short` gives the first three letters for charts."""
    name = (_MONTHS_EN if _english() else MONTHS_SV)[month - 1]
    return name[:3] if short else name


def format_month(value: date) -> str:
    """'mars 2026' ('March 2026' on English pages)."""
    return f"{month_name(value.month)} {value.year}"


def format_datetime(value: datetime) -> str:
    """Naive UTC -> 'tisdag 3 mars kl 10:00' in local time."""
    local = to_local(value)
    return f"{format_day(local.date())} {'at' if _english() else 'kl'} {local:%H:%M}"


def format_time(value: datetime) -> str:
    return f"{to_local(value):%H:%M}"


def month_key(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"
