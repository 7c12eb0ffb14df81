"""Which push reminders exist and when they are due (DESIGN §6): the pure half of planning.

These functions take data, the time zone and "now" and return `Planned` rows; they know nothing
about Flask or the database (webapp/reminders.py stores them in the outbox). The rules behind
them are the ones Idag uses: visit periods from `domain.visits`, the one-day rule from
`domain.disturbances`; what is missing comes from `domain.due` (see reminders.plan_daily).

Lock-screen text reveals nothing sensitive: no names, addresses or kinds of care.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date

from .disturbances import contact_deadline
from .visits import period_bounds

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
# Staff reminders pushed out of quiet hours backwards land here (the last calm moment).
QUIET_BACK_EDGE = time(20, 45)
EVENING_AT = time(18, 0)
MORNING_AT = time(7, 30)
VISIT_WARNING_WEEKDAY = 3  # Thursday: time left to make the week's visit
CHECKLIST_FROM_DAY = 20

APPOINTMENT_KINDS = ("appt_evening", "appt_hour")
TITLE = "Bofast"
PENDING = "pending"


@dataclass(frozen=True)
class Planned:
    """One reminder as planned: times are naive UTC like every column."""

    key: str
    kind: str
    user_id: int
    due_at: datetime
    expires_at: datetime | None
    body: str
    url: str = "/"
    appointment_id: int | None = None
    title: str = TITLE


@dataclass(frozen=True)
class Preferences:
    evening_before: bool = True
    hour_before: bool = True
    quiet_hours: bool = True


# ------------------------------------------------------------------ time helpers (pure)

def _local(utc_naive: datetime, zone: tzinfo) -> datetime:
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)


def _utc(local_aware: datetime) -> datetime:
    return local_aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _at(day: date, moment: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def in_quiet_hours(local: datetime) -> bool:
    return local.time() >= QUIET_START or local.time() < QUIET_END


def shift_out_of_quiet_hours(due: datetime, latest: datetime,
                             earliest: datetime | None = None) -> datetime | None:
    """Move a local time out of 21–08: forward to 08:00 if that is still before `latest`,
    else (only when `earliest` is given) back to 20:45 if that is not before `earliest`,
    else None (the reminder is dropped)."""
    if not in_quiet_hours(due):
        return due
    day = due.date() if due.time() < QUIET_END else due.date() + timedelta(days=1)
    forward = _at(day, QUIET_END, due.tzinfo)
    if forward < latest:
        return forward
    if earliest is not None:
        back = _at(day - timedelta(days=1), QUIET_BACK_EDGE, due.tzinfo)
        if earliest <= back < latest:
            return back
    return None


def day_words(when: date, today: date) -> str:
    """'idag', 'imorgon' or 'tisdag 3 mars', seen from the day the push arrives."""
    if when == today:
        return "idag"
    if when == today + timedelta(days=1):
        return "imorgon"
    # Lock-screen texts are Swedish (the reminder is planned without a request).
    return format_date(when, "EEEE d MMMM", locale="sv")


def appointment_word(kind: str) -> str:
    # Only two neutral words: the kind (e.g. a healthcare visit) may itself be sensitive.
    return "Samtal" if kind == "phone" else "Besök"


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


# ------------------------------------------------------------------ rules (pure)

def appointment_reminders(*, appointment_id: int, kind: str, starts_at: datetime, user_id: int,
                          prefs: Preferences, now: datetime, zone: tzinfo,
                          url: str = "/") -> list[Planned]:
    """A participant's reminders for one appointment: the evening before and one hour before.

    A reminder whose time has passed is sent now; one falling in quiet hours is moved to 08:00,
    or dropped when that would not be before the appointment.
    """
    if starts_at <= now:
        return []
    start = _local(starts_at, zone)
    now_local = _local(now, zone)
    stamp = f"{starts_at:%Y%m%d%H%M}"
    wanted: list[tuple[str, datetime]] = []
    if prefs.evening_before and now_local.date() < start.date():
        wanted.append(("appt_evening", _at(start.date() - timedelta(days=1), EVENING_AT, zone)))
    if prefs.hour_before:
        wanted.append(("appt_hour", start - timedelta(hours=1)))
    planned = []
    for reminder_kind, nominal in wanted:
        due = max(nominal, now_local)
        if prefs.quiet_hours:
            due = shift_out_of_quiet_hours(due, latest=start)
        if due is None or due >= start:
            continue
        if (reminder_kind == "appt_evening" and prefs.hour_before
                and due.date() == start.date()):
            continue  # moved onto the day itself: the hour-before reminder says it better
        body = f"{appointment_word(kind)} {day_words(start.date(), due.date())} kl {start:%H:%M}"
        planned.append(Planned(
            key=f"appt:{appointment_id}:{user_id}:{reminder_kind}:{stamp}",
            kind=reminder_kind, user_id=user_id, due_at=_utc(due), expires_at=starts_at,
            body=body, url=url, appointment_id=appointment_id,
        ))
    return planned


def morning_summary(*, user_id: int, day: date, count: int, zone: tzinfo,
                    url: str = "/") -> Planned | None:
    """Staff: 'Du har 3 besök idag' at 07:30, worth reading until noon."""
    if count <= 0:
        return None
    return Planned(
        key=f"summary:{user_id}:{day.isoformat()}", kind="staff_summary", user_id=user_id,
        due_at=_utc(_at(day, MORNING_AT, zone)), expires_at=_utc(_at(day, time(12, 0), zone)),
        body=f"Du har {count} besök idag", url=url,
    )


def visit_period(day: date, period: str) -> tuple[date, date, str]:
    """(first day, day after the last, key) of the visit period holding `day`: the bounds are
    domain.visits.period_bounds, the rule Idag uses."""
    first, after = period_bounds(day, period)
    if period == "month":
        return first, after, f"{day:%Y-%m}"
    iso = day.isocalendar()
    return first, after, f"{iso.year}-W{iso.week:02d}"


def visit_warning(*, user_id: int, day: date, missing: int, period: str, zone: tzinfo,
                  url: str = "/") -> Planned | None:
    """Staff: fas-2 participants without the period's home visits, from Thursday (week rule)
    or from the 20th (month rule), due in the morning, until the period ends."""
    first, after, period_key = visit_period(day, period)
    warn_day = first + timedelta(days=VISIT_WARNING_WEEKDAY) if period != "month" else (
        first.replace(day=CHECKLIST_FROM_DAY))
    if missing <= 0 or day < warn_day:
        return None
    when = "den här veckan" if period != "month" else "den här månaden"
    return Planned(
        key=f"visits:{user_id}:{period_key}", kind="staff_visits", user_id=user_id,
        due_at=_utc(_at(warn_day, MORNING_AT, zone)), expires_at=_utc(_at(after, time(0), zone)),
        body=f"{missing} deltagare har inte fått hembesök {when}",
        url=url,
    )


def checklist_warning(*, user_id: int, day: date, missing: int, zone: tzinfo,
                      url: str = "/") -> Planned | None:
    """Staff: monthly checklists not yet done, once, from the 20th."""
    if missing <= 0 or day.day < CHECKLIST_FROM_DAY:
        return None
    first, after, month = visit_period(day, "month")
    text = plural(missing, "genomgång av lägenheten saknas", "genomgångar av lägenheten saknas")
    return Planned(
        key=f"checklist:{user_id}:{month}", kind="staff_checklist", user_id=user_id,
        due_at=_utc(_at(first.replace(day=CHECKLIST_FROM_DAY), MORNING_AT, zone)),
        expires_at=_utc(_at(after, time(0), zone)),
        body=f"{missing} {text} den här månaden", url=url,
    )


def rattelse_reminders(*, disturbance_id: int, received_at: datetime, user_id: int,
                       now: datetime, zone: tzinfo, url: str = "/") -> list[Planned]:
    """Staff: a rättelseanmaning must be followed up by the end of the next working day after
    the copy was received (domain.disturbances.contact_deadline, the rule Idag uses). Remind
    when received and again on the morning of the deadline day (out of quiet hours)."""
    deadline = contact_deadline(received_at, zone)
    if now >= deadline:
        return []
    deadline_local = _local(deadline, zone)
    now_local = _local(now, zone)
    last_day = (deadline_local - timedelta(days=1)).date()
    planned = []
    steps = (("received", _local(received_at, zone), "En rättelseanmaning väntar på uppföljning"),
             ("deadline", _at(last_day, MORNING_AT, zone),
              "En rättelseanmaning ska följas upp idag"))
    for step, nominal, body in steps:
        due = shift_out_of_quiet_hours(max(nominal, now_local),
                                       latest=deadline_local, earliest=now_local)
        if due is None:
            continue
        planned.append(Planned(
            key=f"rattelse:{disturbance_id}:{user_id}:{step}", kind="staff_rattelse",
            user_id=user_id, due_at=_utc(due), expires_at=deadline, body=body, url=url,
        ))
    return planned
