"""Local time (Europe/Stockholm) <-> the naive UTC stored in the database, and Swedish dates."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask import current_app, has_app_context, has_request_context
from flask_babel import get_locale

from .i18n import pinned_locale


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


def _locale() -> str:
    """English pages get English dates; everything else (CLI, jobs, Swedish pages) Swedish.
    (The language of the locale, not its whole identifier built per date: a page's locale is
    one of the app's languages, "sv" or "en", never with a territory.)"""
    pinned = pinned_locale()  # during a render: its language, read once
    if pinned is not None:
        return "en" if pinned == "en" else "sv"
    if not has_request_context():
        return "sv"
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "sv"


# Babel's CLDR data names the days and months (never the C library's locale). A date's words
# never change, so each (date, pattern, language) is formatted once per process: list pages
# show dozens of dates.
_LOCALES = {"sv": Locale.parse("sv"), "en": Locale.parse("en")}


@lru_cache(maxsize=4096)
def _babel_date(value: date, pattern: str, locale: str) -> str:
    return babel_dates.format_date(value, pattern, locale=_LOCALES[locale])


def format_day(value: date) -> str:
    """'tisdag 3 mars' ('Tuesday 3 March' on English pages)"""
    return _babel_date(value, "EEEE d MMMM", _locale())


def month_name(month: int, short: bool = False) -> str:
    """'mars' ('March' on English pages); `short` gives the first three letters for charts."""
    name = _babel_date(date(2000, month, 1), "LLLL", _locale())
    return name[:3] if short else name


def format_month(value: date) -> str:
    """'mars 2026' ('March 2026' on English pages)."""
    return _babel_date(value, "LLLL y", _locale())


def format_datetime(value: datetime) -> str:
    """Naive UTC -> 'tisdag 3 mars kl 10:00' in local time."""
    local, locale = to_local(value), _locale()
    return (f"{_babel_date(local.date(), 'EEEE d MMMM', locale)} "
            f"{'at' if locale == 'en' else 'kl'} {local:%H:%M}")


def format_time(value: datetime) -> str:
    return f"{to_local(value):%H:%M}"


def month_key(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"
