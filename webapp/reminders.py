"""Which push reminders exist, and when they are due (DESIGN §6).

Planning is split in two:
- pure functions (`appointment_reminders`, `morning_summary`, `visit_warning`,
  `checklist_warning`, `rattelse_reminders`, `shift_out_of_quiet_hours`) take data, the time
  zone and "now" and return `Planned` rows; they know nothing about Flask or the database;
- `sync()` turns a list of `Planned` into rows of the `reminders` outbox: a row is found by its
  `dedupe_key` (so planning again never duplicates), a pending row of the same purpose is moved,
  and pending rows no longer wanted are cancelled.

Reminders follow changes without any view calling us: `install_hooks()` listens to the ORM
session; appointments and disturbances that were flushed are re-planned just before the commit.

Lock-screen text reveals nothing sensitive: no names, addresses or kinds of care. Only
"Besök imorgon kl 10:00", "Du har 3 besök idag" and the like.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select, update

from .extensions import db
from .models import (
    Appointment,
    ChecklistSubmission,
    Disturbance,
    Participant,
    Reminder,
    ReminderPreference,
    StaffAssignment,
    TeamMembership,
    User,
    VisitOutcome,
)
from .models.base import utcnow
from .timeutil import MONTHS_SV, WEEKDAYS_SV

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
# Staff reminders pushed out of quiet hours backwards land here (the last calm moment).
QUIET_BACK_EDGE = time(20, 45)
EVENING_AT = time(18, 0)
MORNING_AT = time(7, 30)
VISIT_WARNING_WEEKDAY = 3  # Thursday: time left to make the week's visit
CHECKLIST_FROM_DAY = 20
RATTELSE_HOURS = 24  # staff must contact the tenant within one day
RATTELSE_SECOND_AFTER = timedelta(hours=20)

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
    return f"{WEEKDAYS_SV[when.weekday()]} {when.day} {MONTHS_SV[when.month - 1]}"


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
    """(first day, day after the last, key) of the ISO week or calendar month holding `day`."""
    if period == "month":
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return first, after, f"{day:%Y-%m}"
    first = day - timedelta(days=day.weekday())
    iso = day.isocalendar()
    return first, first + timedelta(days=7), f"{iso.year}-W{iso.week:02d}"


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
    """Staff: a rättelseanmaning must be followed up within one day of receipt. Remind when
    received and again four hours before the day is up (out of quiet hours, either way)."""
    deadline = received_at + timedelta(hours=RATTELSE_HOURS)
    if now >= deadline:
        return []
    deadline_local = _local(deadline, zone)
    now_local = _local(now, zone)
    planned = []
    steps = (("received", received_at, "En rättelseanmaning väntar på uppföljning"),
             ("deadline", received_at + RATTELSE_SECOND_AFTER,
              f"En rättelseanmaning ska följas upp senast kl {deadline_local:%H:%M}"))
    for step, nominal, body in steps:
        due = shift_out_of_quiet_hours(max(_local(nominal, zone), now_local),
                                       latest=deadline_local, earliest=now_local)
        if due is None:
            continue
        planned.append(Planned(
            key=f"rattelse:{disturbance_id}:{user_id}:{step}", kind="staff_rattelse",
            user_id=user_id, due_at=_utc(due), expires_at=deadline, body=body, url=url,
        ))
    return planned


# ------------------------------------------------------------------ the outbox

def _insert(session, values: dict) -> None:
    """Insert unless the dedupe_key exists (two planners at once must not fail or duplicate)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(Reminder).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"]))


def _fields(p: Planned) -> dict:
    return dict(due_at=p.due_at, expires_at=p.expires_at, title=p.title, body=p.body, url=p.url,
                next_attempt_at=None)


def sync(session, desired: list[Planned], existing: list[Reminder]) -> None:
    """Make the outbox match `desired` within the scope `existing` was loaded from.

    Only pending rows are changed (guarded in SQL, so a scheduler that just claimed a row keeps
    it); sent rows stay as history. A row cancelled earlier comes back if wanted again.
    """
    by_key = {r.dedupe_key: r for r in existing}
    movable = [r for r in existing if r.status == PENDING]
    used: set[int] = set()
    for p in desired:
        row = by_key.get(p.key)
        if row is not None:
            used.add(row.id)
            if row.status == PENDING:
                _update(session, row.id, PENDING, **_fields(p))
            elif row.status == "cancelled":
                _update(session, row.id, "cancelled", status=PENDING, attempts=0,
                        **_fields(p))
            continue
        row = next((r for r in movable if r.id not in used and r.kind == p.kind
                    and r.user_id == p.user_id), None)
        if row is not None:  # the same purpose at a new time: move it
            used.add(row.id)
            _update(session, row.id, PENDING, dedupe_key=p.key, **_fields(p))
            continue
        _insert(session, dict(user_id=p.user_id, appointment_id=p.appointment_id, kind=p.kind,
                              dedupe_key=p.key, status=PENDING, attempts=0, claimed_by="",
                              created_at=utcnow(), **_fields(p)))
    for row in movable:
        if row.id not in used:
            _update(session, row.id, PENDING, status="cancelled")


def _update(session, reminder_id: int, expected_status: str, **values) -> None:
    session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.status == expected_status)
        .values(**values).execution_options(synchronize_session=False)
    )


# ------------------------------------------------------------------ planning from the database

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BOFAST_TIMEZONE", "Europe/Stockholm"))


def _path(endpoint: str, **values) -> str:
    """A URL path outside a request (the scheduler has none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def preferences_for(session, user_ids) -> dict[int, Preferences]:
    rows = session.scalars(select(ReminderPreference).where(
        ReminderPreference.user_id.in_(list(user_ids)))).all() if user_ids else []
    return {r.user_id: Preferences(bool(r.evening_before), bool(r.hour_before),
                                   bool(r.quiet_hours)) for r in rows}


def replan_appointments(session, appointment_ids, now: datetime | None = None) -> None:
    """Bring the participant reminders of these appointments up to date."""
    ids = sorted({i for i in appointment_ids if i is not None})
    if not ids:
        return
    now = now or utcnow()
    zone = _zone()
    rows = session.execute(
        select(Appointment, Participant.user_id, User.active)
        .join(Participant, Participant.id == Appointment.participant_id)
        .outerjoin(User, User.id == Participant.user_id)
        .where(Appointment.id.in_(ids))
    ).all()
    prefs = preferences_for(session, {user_id for _a, user_id, _ in rows if user_id})
    existing = session.scalars(select(Reminder).where(
        Reminder.appointment_id.in_(ids), Reminder.kind.in_(APPOINTMENT_KINDS))).all()
    url = _path("me.appointments")
    for appointment, user_id, active in rows:
        desired: list[Planned] = []
        if (user_id and active and appointment.status == "booked"
                and appointment.visible_to_participant):
            desired = appointment_reminders(
                appointment_id=appointment.id, kind=appointment.kind,
                starts_at=appointment.starts_at, user_id=user_id,
                prefs=prefs.get(user_id, Preferences()), now=now, zone=zone, url=url)
        sync(session, desired, [r for r in existing if r.appointment_id == appointment.id])


def replan_user(session, user_id: int, now: datetime | None = None) -> None:
    """After a participant changes their reminder choices: re-plan their future appointments."""
    now = now or utcnow()
    ids = session.scalars(
        select(Appointment.id).join(Participant, Participant.id == Appointment.participant_id)
        .where(Participant.user_id == user_id, Appointment.starts_at > now)
    ).all()
    replan_appointments(session, ids, now)


def forget_appointments(session, appointment_ids) -> None:
    """An appointment is being deleted: cancel its pending reminders and unlink the rest."""
    ids = list(appointment_ids)
    session.execute(update(Reminder).where(Reminder.appointment_id.in_(ids),
                                           Reminder.status == PENDING)
                    .values(status="cancelled").execution_options(synchronize_session=False))
    session.execute(update(Reminder).where(Reminder.appointment_id.in_(ids))
                    .values(appointment_id=None).execution_options(synchronize_session=False))


def caseload_staff(session, participant_ids) -> dict[int, set[int]]:
    """participant id -> active staff users whose caseload holds them (team or assignment)."""
    ids = list(participant_ids)
    result: dict[int, set[int]] = {i: set() for i in ids}
    by_team = session.execute(
        select(Participant.id, User.id)
        .join(TeamMembership, TeamMembership.team_id == Participant.team_id)
        .join(User, User.id == TeamMembership.user_id)
        .where(Participant.id.in_(ids), User.role == "staff", User.active.is_(True))
    ).all()
    assigned = session.execute(
        select(StaffAssignment.participant_id, User.id)
        .join(User, User.id == StaffAssignment.user_id)
        .where(StaffAssignment.participant_id.in_(ids), User.role == "staff",
               User.active.is_(True))
    ).all()
    for participant_id, user_id in itertools.chain(by_team, assigned):
        result[participant_id].add(user_id)
    return result


def replan_disturbances(session, disturbance_ids, now: datetime | None = None) -> None:
    """The one-day rule: remind the caseload's staff of an open rättelseanmaning."""
    ids = sorted(set(disturbance_ids))
    if not ids:
        return
    now = now or utcnow()
    zone = _zone()
    disturbances = session.scalars(select(Disturbance).where(Disturbance.id.in_(ids))).all()
    staff = caseload_staff(session, {d.participant_id for d in disturbances})
    existing = session.scalars(select(Reminder).where(
        Reminder.kind == "staff_rattelse",
        or_(*[Reminder.dedupe_key.like(f"rattelse:{i}:%") for i in ids]))).all()
    for d in disturbances:
        desired: list[Planned] = []
        if d.severity == "rattelse" and d.followed_up_at is None:
            url = _path("staff.events", participant_id=d.participant_id)
            for user_id in sorted(staff[d.participant_id]):
                desired += rattelse_reminders(disturbance_id=d.id, received_at=d.received_at,
                                              user_id=user_id, now=now, zone=zone, url=url)
        prefix = f"rattelse:{d.id}:"
        sync(session, desired, [r for r in existing if r.dedupe_key.startswith(prefix)])


def _count_missing_visits(session, participant_ids, start: datetime, end: datetime,
                          min_visits: int) -> int:
    if not participant_ids:
        return 0
    done = dict(session.execute(
        select(Appointment.participant_id, func.count(VisitOutcome.id))
        .join(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
        .where(Appointment.participant_id.in_(participant_ids),
               Appointment.kind == "home_visit", VisitOutcome.outcome == "done",
               Appointment.starts_at >= start, Appointment.starts_at < end)
        .group_by(Appointment.participant_id)
    ).all())
    return sum(1 for pid in participant_ids if done.get(pid, 0) < max(1, min_visits))


def plan_daily(session, now: datetime | None = None) -> None:
    """Staff reminders that depend on the day: run by the scheduler on every pass
    (idempotent: the dedupe keys make a second run a no-op apart from refreshed counts)."""
    from .access import visible_participants

    now = now or utcnow()
    zone = _zone()
    today = _local(now, zone).date()
    day_start, day_end = _utc(_at(today, time(0), zone)), _utc(
        _at(today + timedelta(days=1), time(0), zone))
    staff = session.scalars(select(User).where(User.role == "staff",
                                               User.active.is_(True))).all()
    visits_today = dict(session.execute(
        select(Appointment.staff_id, func.count(Appointment.id))
        .where(Appointment.starts_at >= day_start, Appointment.starts_at < day_end,
               Appointment.status == "booked", Appointment.staff_id.is_not(None))
        .group_by(Appointment.staff_id)
    ).all())
    month = f"{today:%Y-%m}"
    today_url = _path("staff.today")
    for user in staff:
        org = user.organisation
        fas2 = session.scalars(visible_participants(user).where(Participant.phase == 2)
                               .with_only_columns(Participant.id)).all()
        first, after, _key = visit_period(today, org.visit_period)
        missing_visits = _count_missing_visits(
            session, fas2, _utc(_at(first, time(0), zone)), _utc(_at(after, time(0), zone)),
            org.min_visits)
        missing_checklists = 0
        if org.checklist_monthly and fas2:
            done = set(session.scalars(select(ChecklistSubmission.participant_id).where(
                ChecklistSubmission.participant_id.in_(fas2),
                ChecklistSubmission.month == month)))
            missing_checklists = len(set(fas2) - done)
        candidates = {
            "summary": morning_summary(user_id=user.id, day=today,
                                       count=visits_today.get(user.id, 0), zone=zone,
                                       url=today_url),
            "visits": visit_warning(user_id=user.id, day=today, missing=missing_visits,
                                    period=org.visit_period, zone=zone, url=today_url),
            "checklist": checklist_warning(user_id=user.id, day=today,
                                           missing=missing_checklists, zone=zone, url=today_url),
        }
        keys = {
            "summary": f"summary:{user.id}:{today.isoformat()}",
            "visits": f"visits:{user.id}:{visit_period(today, org.visit_period)[2]}",
            "checklist": f"checklist:{user.id}:{month}",
        }
        for name, planned in candidates.items():
            if planned is not None and planned.expires_at and planned.expires_at <= now:
                planned = None  # planned too late to be of use (scheduler was down)
            existing = session.scalars(select(Reminder).where(
                Reminder.dedupe_key == keys[name])).all()
            sync(session, [planned] if planned else [], existing)
    open_rattelse = session.scalars(select(Disturbance.id).where(
        Disturbance.severity == "rattelse", Disturbance.followed_up_at.is_(None),
        Disturbance.received_at > now - timedelta(hours=RATTELSE_HOURS))).all()
    replan_disturbances(session, open_rattelse, now)


# ------------------------------------------------------------------ ORM hooks

_INFO_KEY = "bofast_reminders_replan"


def _collect(session, _flush_context) -> None:
    """after_flush: note which appointments and disturbances changed (ids exist by now)."""
    todo = session.info.setdefault(_INFO_KEY, {"appointments": set(), "disturbances": set()})
    for obj in itertools.chain(session.new, session.dirty):
        if isinstance(obj, Appointment):
            todo["appointments"].add(obj.id)
        elif isinstance(obj, Disturbance):
            todo["disturbances"].add(obj.id)


def _before_flush(session, _flush_context, _instances) -> None:
    """An appointment being deleted takes its pending reminders with it (and frees the FK)."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, Appointment)]
    if gone:
        forget_appointments(session, gone)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Reminder) and obj.appointment_id in gone:
                session.expire(obj)


def _replan_before_commit(session) -> None:
    if not session.info.get(_INFO_KEY) and not (session.new or session.dirty):
        return
    session.flush()  # let _collect see the last changes
    todo = session.info.pop(_INFO_KEY, None)
    if not todo or not (todo["appointments"] or todo["disturbances"]):
        return
    replan_appointments(session, todo["appointments"])
    replan_disturbances(session, todo["disturbances"])


def _forget(session, *_args) -> None:
    session.info.pop(_INFO_KEY, None)


def install_hooks() -> None:
    """Listen on the app's session (idempotent). Called when the push blueprint registers."""
    target = db.session
    for name, fn in (("after_flush", _collect), ("before_flush", _before_flush),
                     ("before_commit", _replan_before_commit), ("after_rollback", _forget)):
        if not sa_event.contains(target, name, fn):
            sa_event.listen(target, name, fn)

