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
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select, update

from .domain.disturbances import clock_start
from .domain.due import Rules, due_items
from .domain.push_plan import (  # noqa: F401 - the pure half, re-exported
    APPOINTMENT_KINDS,
    CHECKLIST_FROM_DAY,
    EVENING_AT,
    MORNING_AT,
    PENDING,
    QUIET_BACK_EDGE,
    QUIET_END,
    QUIET_START,
    TITLE,
    VISIT_WARNING_WEEKDAY,
    Planned,
    Preferences,
    _at,
    _local,
    _utc,
    appointment_reminders,
    appointment_word,
    checklist_warning,
    day_words,
    in_quiet_hours,
    morning_summary,
    plural,
    rattelse_reminders,
    shift_out_of_quiet_hours,
    visit_period,
    visit_warning,
)
from .extensions import db
from .models import (
    Appointment,
    Disturbance,
    Participant,
    Reminder,
    ReminderPreference,
    StaffAssignment,
    TeamMembership,
    User,
)
from .models.base import utcnow

RATTELSE_LOOKBACK_DAYS = 10

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
                desired += rattelse_reminders(disturbance_id=d.id, received_at=clock_start(d),
                                              user_id=user_id, now=now, zone=zone, url=url)
        prefix = f"rattelse:{d.id}:"
        sync(session, desired, [r for r in existing if r.dedupe_key.startswith(prefix)])


def _missing_counts(session, user, today: date, now: datetime) -> tuple[int, int]:
    """(participants missing this period's visits, missing this month's checklist) in the
    user's caseload: the same facts and rules as the staff Idag page (domain.due)."""
    from .access import visible_participants
    from .staff.caseload import due_facts, rules_by_participant

    people = session.scalars(visible_participants(user).where(Participant.phase == 2)).all()
    if not people:
        return 0, 0
    org = user.organisation
    facts = due_facts(people, org, today, now)
    items = due_items(facts, Rules.of(org), today, now, zone=_zone(),
                      rules_by_participant=rules_by_participant(people, org))
    return (sum(1 for i in items if i.kind == "visit"),
            sum(1 for i in items if i.kind == "checklist"))


def _record_missed_visits(session, today: date) -> None:
    """Ended fas-2 periods without the minimum visits: a MissedVisit and a notice to housing
    (DESIGN §1d). The scheduler does it, for every organisation, so that no page view (a GET
    never writes) and no staff member's caseload is needed for housing to be told."""
    from .models import Organisation
    from .social.missed_visits import sync_missed_visits

    for org in session.scalars(select(Organisation)).all():
        people = session.scalars(select(Participant).where(
            Participant.organisation_id == org.id, Participant.phase == 2)).all()
        sync_missed_visits(people, org, today)


def plan_daily(session, now: datetime | None = None) -> None:
    """Staff reminders that depend on the day: run by the scheduler on every pass
    (idempotent: the dedupe keys make a second run a no-op apart from refreshed counts)."""
    now = now or utcnow()
    zone = _zone()
    today = _local(now, zone).date()
    day_start, day_end = _utc(_at(today, time(0), zone)), _utc(
        _at(today + timedelta(days=1), time(0), zone))
    _record_missed_visits(session, today)
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
        period = Rules.of(user.organisation).visit_period
        missing_visits, missing_checklists = _missing_counts(session, user, today, now)
        candidates = {
            "summary": morning_summary(user_id=user.id, day=today,
                                       count=visits_today.get(user.id, 0), zone=zone,
                                       url=today_url),
            "visits": visit_warning(user_id=user.id, day=today, missing=missing_visits,
                                    period=period, zone=zone, url=today_url),
            "checklist": checklist_warning(user_id=user.id, day=today,
                                           missing=missing_checklists, zone=zone, url=today_url),
        }
        keys = {
            "summary": f"summary:{user.id}:{today.isoformat()}",
            "visits": f"visits:{user.id}:{visit_period(today, period)[2]}",
            "checklist": f"checklist:{user.id}:{month}",
        }
        for name, planned in candidates.items():
            if planned is not None and planned.expires_at and planned.expires_at <= now:
                planned = None  # planned too late to be of use (scheduler was down)
            existing = session.scalars(select(Reminder).where(
                Reminder.dedupe_key == keys[name])).all()
            sync(session, [planned] if planned else [], existing)
    # Deadlines run to the end of the next working day: at most a long holiday weekend away.
    open_rattelse = session.scalars(select(Disturbance.id).where(
        Disturbance.severity == "rattelse", Disturbance.followed_up_at.is_(None),
        Disturbance.received_at > now - timedelta(days=RATTELSE_LOOKBACK_DAYS))).all()
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

