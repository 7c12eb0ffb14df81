"""Batch queries behind the staff pages: a constant number of queries for any caseload size
(DESIGN §9). Every function takes participant ids already scoped by `visible_participants`."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, literal, null, select, union_all

from ..checklists.submissions import owed_checklist_ids
from ..domain.disturbances import clock_start
from ..domain.due import Facts, Rules
from ..domain.rules import MEETING_KINDS, effective_rules, has_override
from ..domain.visits import period_bounds
from ..extensions import db
from ..models import (
    Appointment,
    ChecklistSubmission,
    Disturbance,
    Participant,
    User,
    VisitOutcome,
)
from ..queries import (
    absences_by_participant,
    among,
    among_param,
    among_value,
    contract_dates,
    dialect_name,
    id_rows,
    run,
    tenancy_for,
)
from ..timeutil import local_day_bounds_utc, month_key, to_local


class Person(NamedTuple):
    """A participant in a caseload list: what the row shows, the name already as the user may
    see it (access.display_names), without loading the participant as an object (a tuple: a
    thousand are made per view)."""
    id: int
    name: str
    protected_identity: bool
    phase: int


class NextVisit(NamedTuple):
    starts_at: datetime
    kind: str


class Visit(NamedTuple):
    """An appointment on a day's list (Idag, colleagues' visits), as columns with its outcome
    and staff member's name: the lists show dozens, and objects with two joined loads per row
    were a third of Idag's time."""
    id: int
    participant_id: int
    starts_at: datetime
    duration_minutes: int
    kind: str
    location: str
    status: str
    outcome: str | None  # the recorded outcome, None before one is
    staff_name: str | None  # None: nobody booked


VISIT_COLUMNS = (Appointment.id, Appointment.participant_id, Appointment.starts_at,
                 Appointment.duration_minutes, Appointment.kind, Appointment.location,
                 Appointment.status, VisitOutcome.outcome, User.display_name)


def visits_query(*columns) -> Select:
    """VISIT_COLUMNS (and `columns`) of appointments, their outcome and staff joined."""
    return (select(*VISIT_COLUMNS, *columns)
            .outerjoin(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
            .outerjoin(User, User.id == Appointment.staff_id))


def appointments_between(ids, start: datetime, end: datetime, *criteria,
                         offset: int = 0, limit: int | None = None, with_total: bool = False):
    """Visits of these participants in [start, end) (naive UTC), in time order; `criteria`
    narrow them, `offset` and `limit` page them. `with_total`: (the visits, how many there are
    without the limit), in one query."""
    total = func.count().over().label("total")
    rows = db.session.execute(
        visits_query(*([total] if with_total else []))
        .where(among(Appointment.participant_id, ids), Appointment.starts_at >= start,
               Appointment.starts_at < end, *criteria)
        .order_by(Appointment.starts_at, Appointment.id).offset(offset).limit(limit)).all()
    size = len(VISIT_COLUMNS)
    visits = [Visit._make(row[:size]) for row in rows]
    if not with_total:
        return visits
    # No row on the first page: none at all (a later page counts with count_between).
    return visits, rows[0].total if rows else 0


def count_between(ids, start: datetime, end: datetime, *criteria) -> int:
    """How many appointments `appointments_between` would return without a limit."""
    return db.session.scalar(
        select(func.count(Appointment.id))
        .where(among(Appointment.participant_id, ids), Appointment.starts_at >= start,
               Appointment.starts_at < end, *criteria))




def _flag_columns(key) -> tuple:
    """(an open rättelseanmaning, the next booked visit's start and kind) of the participant
    whose id is `key` (a column of the statement); `now` a parameter."""
    rattelse = (select(Disturbance.id)
                .where(Disturbance.participant_id == key,
                       Disturbance.severity == "rattelse", Disturbance.followed_up_at.is_(None))
                .exists())
    coming = (Appointment.participant_id == key, Appointment.status == "booked",
              Appointment.starts_at >= bindparam("now", type_=Appointment.starts_at.type))
    first = (Appointment.starts_at, Appointment.id)

    def next_one(column):
        return select(column).where(*coming).order_by(*first).limit(1).scalar_subquery()

    return rattelse, next_one(Appointment.starts_at), next_one(Appointment.kind)


@cache
def _flags_statement(dialect: str):
    """`list_flags`' statement, built once per process (the ids and `now` as parameters)."""
    rows, key, criteria = id_rows(Participant, "ids", dialect)
    return select(key, *_flag_columns(key)).select_from(rows).where(*criteria)


def _flags_of(rows) -> dict[int, tuple[bool, NextVisit | None]]:
    return {pid: (bool(open_rattelse), NextVisit(starts, kind) if starts else None)
            for pid, open_rattelse, starts, kind in rows}


def list_flags(ids: list[int], now: datetime) -> dict[int, tuple[bool, NextVisit | None]]:
    """(an open rättelseanmaning, the next booked appointment) per participant, in one query:
    the caseload list's flags for the page shown. Of two appointments at the same time the
    first booked counts."""
    dialect = dialect_name()
    return _flags_of(run(_flags_statement(dialect),
                         {"ids": among_value(ids, dialect), "now": now}))


def home_visits_in_period(ids: list[int], rules: Rules, today: date,
                          now: datetime, since: date | None = None,
                          kinds: frozenset[str] | None = None,
                          ) -> tuple[dict[int, list], dict[int, int]]:
    """(done visits as (local date, with social services, kind), booked visits of the counted
    kinds later this period) per participant, from `since` (default: the current period's
    start) to the period's end. `kinds`: which appointment kinds to load (default: the rule's)."""
    done, booked = _visits_in_period(ids, rules, today, now, since, kinds)
    return done, {pid: len(visits) for pid, visits in booked.items()}


def _period_columns() -> tuple:
    return (Appointment.participant_id, Appointment.starts_at, Appointment.kind,
            Appointment.with_social_services, Appointment.status, VisitOutcome.outcome)


def _period_select(columns, dialect: str):
    """`columns` of the participants' visits of some kinds in [start, end) (naive UTC), with
    their outcome: ids, kinds, start and end are parameters."""
    return (select(*columns)
            .outerjoin(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
            .where(among_param(Appointment.participant_id, "ids", dialect),
                   Appointment.kind.in_(bindparam("kinds", expanding=True)),
                   Appointment.starts_at >= bindparam("start", type_=Appointment.starts_at.type),
                   Appointment.starts_at < bindparam("end", type_=Appointment.starts_at.type)))


@cache
def _period_statement(dialect: str):
    """`_visits_in_period`'s statement, built once per process."""
    return _period_select(_period_columns(), dialect)


def _period_values(ids, rules: Rules, today: date, since: date | None,
                   kinds: frozenset[str] | None, dialect: str) -> dict:
    first, end = period_bounds(today, rules.visit_period)
    first = min(first, since) if since else first
    return {"ids": among_value(ids, dialect), "kinds": sorted(kinds or rules.counted_kinds),
            "start": local_day_bounds_utc(first)[0], "end": local_day_bounds_utc(end)[0]}


def _sort_visits(rows, now: datetime) -> tuple[dict[int, list], dict[int, list]]:
    """(done visits as (local date, with social services, kind), booked ones still to come as
    (start naive UTC, kind)) per participant, of `_period_columns` rows."""
    done: dict[int, list] = defaultdict(list)
    booked: dict[int, list] = defaultdict(list)
    for pid, starts_at, kind, with_soc, status, outcome in rows:
        if outcome == "done":
            done[pid].append((to_local(starts_at).date(), with_soc, kind))
        elif outcome is None and status == "booked" and starts_at >= now:
            booked[pid].append((starts_at, kind))
    return done, booked


def _visits_in_period(ids, rules: Rules, today: date, now: datetime, since: date | None,
                      kinds: frozenset[str] | None):
    """`home_visits_in_period` with the booked visits themselves: (start naive UTC, kind)."""
    dialect = dialect_name()
    return _sort_visits(run(_period_statement(dialect),
                            _period_values(ids, rules, today, since, kinds, dialect)), now)


@cache
def _list_statement(dialect: str):
    """`list_facts`' one statement: the period's visits (part 1), then each participant's
    flags (part 0), in columns that line up (the visits first: their types read both)."""
    visits = _period_select((*_period_columns(), literal(1).label("part"),
                             null().label("rattelse")), dialect)
    rows, key, criteria = id_rows(Participant, "ids", dialect)
    rattelse, next_start, next_kind = _flag_columns(key)
    flags = (select(key, next_start, next_kind, null(), null(), null(), literal(0), rattelse)
             .select_from(rows).where(*criteria))
    return union_all(visits, flags)


def list_facts(ids: list[int], rules: Rules, today: date, now: datetime
               ) -> tuple[dict[int, list], dict[int, tuple[bool, NextVisit | None]]]:
    """(`home_visits_in_period`'s done visits, `list_flags`) of the caseload list's page, in
    one statement (one round trip fewer per view)."""
    dialect = dialect_name()
    rows = run(_list_statement(dialect),
               {**_period_values(ids, rules, today, None, None, dialect), "now": now}).all()
    done, _booked = _sort_visits((row[:6] for row in rows if row[6] == 1), now)
    return done, _flags_of((row[0], row[7], row[1], row[2]) for row in rows if row[6] == 0)


def open_rattelser(ids: list[int]) -> dict[int, list[tuple[int, datetime]]]:
    """Rättelseanmaningar not yet followed up, per participant: (id, when the clock started)."""
    result: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for row in db.session.execute(
        select(Disturbance.id, Disturbance.participant_id, Disturbance.received_at,
               Disturbance.letter_sent_at, Disturbance.copy_received_at)
        .where(among(Disturbance.participant_id, ids), Disturbance.severity == "rattelse",
               Disturbance.followed_up_at.is_(None))
        .order_by(Disturbance.received_at)
    ):
        result[row.participant_id].append((row.id, clock_start(row)))
    return result


def rules_by_participant(participants: list[Participant], org) -> dict[int, Rules]:
    """The rules of participants whose team overrides the organisation's (worked out once per
    team: a caseload of 1,000 has a handful of teams)."""
    by_team: dict[int, Rules | None] = {}
    result = {}
    for p in participants:
        if p.team_id is None:
            continue
        if p.team_id not in by_team:
            by_team[p.team_id] = effective_rules(org, p.team) if has_override(p.team) else None
        if by_team[p.team_id] is not None:
            result[p.id] = by_team[p.team_id]
    return result


def checklist_months(ids: list[int], today: date) -> dict[int, frozenset[str]]:
    """This and last month's submitted checklists ("YYYY-MM") per participant."""
    months = (month_key(today), month_key(today.replace(day=1) - timedelta(days=1)))
    found: dict[int, set[str]] = defaultdict(set)
    for pid, month in db.session.execute(
        select(ChecklistSubmission.participant_id, ChecklistSubmission.month).distinct()
        .where(among(ChecklistSubmission.participant_id, ids),
               ChecklistSubmission.month.in_(months))
    ):
        found[pid].add(month)
    return {pid: frozenset(value) for pid, value in found.items()}


def owed_last_month(ids: list[int], contracts: dict[int, tuple], today: date) -> set[int]:
    """Who owed last month's checklist (the housing inbox's rule, domain.tenancy_life)."""
    last = today.replace(day=1) - timedelta(days=1)
    return owed_checklist_ids(
        [(pid, contracts[pid][0]) for pid in ids if pid in contracts], month_key(last))


def tenancy_todo(ids: list[int]) -> tuple[dict[int, date], dict[int, date]]:
    """(first-hand date of approved transfers without open-support information, end date of
    tenancies without a breakdown analysis) per participant, in two queries."""
    from ..models import BreakdownAnalysis, Contract, TransferCase

    info = {pid: decided or created.date() for pid, decided, created in db.session.execute(
        select(TransferCase.participant_id, TransferCase.decided_on, TransferCase.created_at)
        .where(among(TransferCase.participant_id, ids), TransferCase.decision == "approved",
               TransferCase.open_support_info_on.is_(None)))}
    analysed = select(BreakdownAnalysis.contract_id)
    ended = {pid: when for pid, when in db.session.execute(
        select(Contract.participant_id,
               func.coalesce(Contract.terminated_on, Contract.ended_on))
        .where(among(Contract.participant_id, ids), Contract.end_reason != "",
               Contract.id.not_in(analysed)))}
    return info, ended


def joint_follow_ups(ids: list[int]) -> dict[int, date]:
    """Earliest follow-up date of a joint action not yet done, per participant."""
    from ..models import JointAction, JointMeeting

    return dict(db.session.execute(
        select(JointMeeting.participant_id, func.min(JointAction.follow_up_on))
        .join(JointAction, JointAction.meeting_id == JointMeeting.id)
        .where(among(JointMeeting.participant_id, ids), JointAction.done_on.is_(None),
               JointAction.follow_up_on.is_not(None))
        .group_by(JointMeeting.participant_id)).all())


def due_facts(participants: list[Participant], org, today: date,
              now: datetime) -> list[Facts]:
    """Everything `domain.due` needs for a caseload, in a constant number of queries."""
    from ..social.queries import social_facts

    ids = [p.id for p in participants]
    rules = Rules.of(org)
    overrides = rules_by_participant(participants, org)
    # Load every meeting kind of the longest period; each participant's rules pick theirs.
    widest = Rules(visit_period="month") if any(
        r.visit_period == "month" for r in [rules, *overrides.values()]) else rules
    done, booked = _visits_in_period(ids, widest, today, now, None, MEETING_KINDS)
    period_ends = {}
    months = checklist_months(ids, today)
    rattelser = open_rattelser(ids)
    contracts = contract_dates(ids)
    tenancy = tenancy_for(ids, org, today)
    absences = absences_by_participant(ids)
    social = social_facts(ids, today)
    owed = owed_last_month(ids, contracts, today)
    info, ended = tenancy_todo(ids)
    follow_ups = joint_follow_ups(ids)
    facts = []
    for p in participants:
        (move_in, start), counter = contracts.get(p.id, (None, None)), tenancy.get(p.id)
        own = overrides.get(p.id, rules)
        visits = [v for v in done.get(p.id, []) if v[2] in own.counted_kinds]
        # Booked: of the participant's own kinds, before the end of their own period (the
        # query loaded the widest of the caseload's periods).
        if own.visit_period not in period_ends:
            period_ends[own.visit_period] = local_day_bounds_utc(
                period_bounds(today, own.visit_period)[1])[0]
        coming = sorted(start for start, kind in booked.get(p.id, [])
                        if kind in own.counted_kinds and start < period_ends[own.visit_period])
        extra = social.get(p.id, {})
        facts.append(Facts(
            participant_id=p.id, phase=p.phase, visits=visits,
            booked_visits=len(coming), booked_starts=tuple(coming),
            checklist_months=months.get(p.id, frozenset()),
            open_rattelser=rattelser.get(p.id, []), decision_date=p.decision_date,
            review_date=p.review_date,
            # Until the move-in is recorded, the signed contract's start date is the plan.
            move_in=move_in or start,
            expected_transfer=counter.expected_transfer if counter else None,
            absences=absences.get(p.id, []), **extra,
            owed_last_month=p.id in owed,
            open_support_info_due=info.get(p.id), breakdown_since=ended.get(p.id),
            joint_follow_up=follow_ups.get(p.id),
        ))
    return facts
