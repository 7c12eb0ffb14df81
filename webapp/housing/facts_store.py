"""Housing's facts about each tenant, stored per participant and day (issue 17; model
`HousingFacts`).

/housing counted the checklists owed and sent and the visit rule met over every tenant in
scope on every view (the owed rule reads every tenancy's phase changes and absences, the visit
count joins two weeks of appointments to their outcomes), and /housing/tenancies worked out
every second-hand tenant's counter to order the list. Instead each tenant's facts are stored
for the local day:

- the facts read contracts, absences, phase changes, checklist submissions, appointments and
  their outcomes, and the organisation's rules: tables Idag's due rules read too, and the
  session hooks of the stored worklist count up the participant's `WorklistEntry.version` in
  the transaction of every write of them (staff/worklist_store.py; a change of the
  organisation's rules counts up all of its participants'). A row keeps the version it was
  worked out from (`basis`, read before the facts) and is valid while its day is today and its
  basis is the version now: a write during a computation leaves the stored row stale, never
  wrong (tests/test_housing_facts.py writes each fact and checks);
- a view reads its scope's rows and their validity with the statement it reads the scope with
  (`with_facts`), works out only the stale or missing ones (`complete`) and stores them with
  an upsert in a transaction of its own.

Only counts, dates and flags are stored: nothing of a plan, a visit note, an absence reason or
health (DESIGN §2).
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..checklists.submissions import owed_checklist_ids
from ..domain.checklists import counting_submissions, month_of
from ..domain.due import Rules
from ..domain.visits import period_bounds, period_compliance
from ..extensions import db
from ..models import ChecklistSubmission, Contract, HousingFacts, Participant, WorklistEntry
from ..queries import absences_by_participant, among, period_visits, tenancy_for

log = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)


class Facts(NamedTuple):
    checklist_owed: bool
    checklist_id: int | None
    checklist_apartment_id: int | None
    visits_met: bool
    visits_met_before: bool
    expected_transfer: date | None


FACT_COLUMNS = Facts._fields


def with_facts(query, day: date, participant_id=Participant.id):
    """`query`, whose first column is `participant_id`, with the worklist version now, whether
    the stored facts are valid for `day` and the facts, as its last columns; pass its rows to
    `complete`. (Read by position: an attribute of a row by name costs ~1 µs, 7 ms for a scope
    of 1,000.)"""
    version = func.coalesce(WorklistEntry.version, 0)
    valid = and_(HousingFacts.day == day, HousingFacts.basis == version)
    return (query.outerjoin(WorklistEntry, WorklistEntry.participant_id == participant_id)
            .outerjoin(HousingFacts, HousingFacts.participant_id == participant_id)
            .add_columns(version.label("facts_version"), valid.label("facts_valid"),
                         *(getattr(HousingFacts, name) for name in FACT_COLUMNS)))


def complete(rows, org, day: date, generations: dict | None = None) -> dict[int, Facts]:
    """The facts of the participants of `rows` (from a `with_facts` query): the stored ones
    where valid, the others worked out and stored. `org`: the organisation, or a callable
    returning it (loaded only when something is worked out). `generations`, if given, gets
    the housing generation of each organisation written to as the store left it (`store`)."""
    result, stale, width = {}, {}, len(FACT_COLUMNS)
    for row in rows:
        if row[-width - 1]:
            result[row[0]] = Facts._make(row[-width:])
        else:
            stale[row[0]] = row[-width - 2]
    if stale:
        computed = compute(sorted(stale), org() if callable(org) else org, day)
        store([dict(participant_id=pid, day=day, basis=stale[pid], **facts._asdict())
               for pid, facts in computed.items()], generations)
        result.update(computed)
    return result


def refresh(day: date) -> int:
    """The scheduler pass: every organisation's stale or missing rows for `day` worked out and
    stored before housing's first view of the day (which would otherwise work out every
    tenant's facts, ~1 s at 1,000). Returns how many were worked out."""
    from ..models import Organisation

    width, count = len(FACT_COLUMNS), 0
    for org in db.session.scalars(select(Organisation)).all():
        rows = db.session.execute(with_facts(
            select(Participant.id).where(Participant.organisation_id == org.id), day)).all()
        count += sum(1 for row in rows if not row[-width - 1])
        complete(rows, org, day)
    return count


def compute(ids: list[int], org, day: date) -> dict[int, Facts]:
    """The facts of these participants for `day`, in a constant number of queries."""
    month = month_of(day)
    # Owed by a tenancy that moved in before the month: the move-in is compared when read.
    owed = owed_checklist_ids([(pid, date.min) for pid in ids], month)
    sent = counting_checklists(ids, month)
    rule = Rules.of(org).visit_rule
    this_start = period_bounds(day, rule.period)[0]
    last_start = period_bounds(this_start - ONE_DAY, rule.period)[0]
    counted = period_visits(ids, rule.period, last_start, this_start, kinds=rule.counted_kinds)
    need = {start: period_compliance(rule, start, period_bounds(start, rule.period)[1], 0, 0)
            for start in (this_start, last_start)}
    kinds = contract_kinds(ids)
    counters = tenancy_for([pid for pid, kind in kinds.items() if kind != "first_hand"], org,
                           day, absences_by_participant(ids))
    result = {}
    for pid in ids:
        periods, counter, checklist = counted.get(pid, {}), counters.get(pid), sent.get(pid)
        result[pid] = Facts(
            checklist_owed=pid in owed, checklist_id=checklist.id if checklist else None,
            checklist_apartment_id=checklist.apartment_id if checklist else None,
            # A tenant without a visit in a period counts as (0, 0).
            visits_met=need[this_start].met_by(*periods.get(this_start, (0, 0))),
            visits_met_before=need[last_start].met_by(*periods.get(last_start, (0, 0))),
            expected_transfer=counter.expected_transfer if counter is not None else None)
    return result


def visit_periods(org, day: date) -> tuple[date, date]:
    """(start of the day's visit period, start of the one before) under the organisation's
    rule: the periods `Facts.visits_met` and `visits_met_before` are about."""
    rule = Rules.of(org).visit_rule
    this_start = period_bounds(day, rule.period)[0]
    return this_start, period_bounds(this_start - ONE_DAY, rule.period)[0]


def counting_checklists(ids: list[int], month: str) -> dict[int, tuple]:
    """Each participant's counting checklist of `month` (domain.checklists), read as columns:
    id, participant_id, apartment_id, month, submitted_at, version_no, supersedes_id."""
    month_subs = db.session.execute(
        select(ChecklistSubmission.id, ChecklistSubmission.participant_id,
               ChecklistSubmission.apartment_id, ChecklistSubmission.month,
               ChecklistSubmission.submitted_at, ChecklistSubmission.version_no,
               ChecklistSubmission.supersedes_id)
        .where(among(ChecklistSubmission.participant_id, ids),
               ChecklistSubmission.month == month)).all()
    replaced = set(db.session.scalars(
        select(ChecklistSubmission.supersedes_id)
        .where(ChecklistSubmission.supersedes_id.in_([s.id for s in month_subs]))
    )) if month_subs else set()
    return {pid: submission for (pid, _month), submission
            in counting_submissions(month_subs, replaced).items()}


def contract_kinds(ids: list[int]) -> dict[int, str]:
    """The kind of each participant's open contract, the one `current_contracts` picks."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Contract.participant_id, Contract.kind)
        .where(among(Contract.participant_id, ids), Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date, Contract.id))
    return dict(rows.all())  # later move-ins overwrite earlier, as in current_contracts


def _insert(bind):
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(HousingFacts)


def store(rows: list[dict], generations: dict | None = None) -> bool:
    """Upsert the rows in a transaction of their own (a read's session is rolled back). No
    guard against an older computation finishing last: its row then names an older basis and
    is worked out again by the next view. Failing to store only costs the next view the same
    work: logged, not raised.

    The same transaction counts up the housing generation of the rows' organisations
    (housing/summaries.py: a summary counted over the rows before is stale, an older
    computation's row included) and puts it in `generations` (organisation id -> generation
    after the count-up, read under its lock: one more than the generation a view read
    before working these rows out only if nothing else counted it up meanwhile)."""
    if not rows:
        return True
    from .summaries import bump

    try:
        with db.engine.begin() as conn:
            orgs = bump(conn, participants_where=among(
                Participant.id, [row["participant_id"] for row in rows]))
            if generations is not None:
                generations.update(orgs)
            statement = _insert(conn)
            # One statement executed for many rows: compiled once and sent in batches
            # (SQLAlchemy's "insertmanyvalues"); a VALUES list of 500 rows compiled per view
            # took seconds.
            conn.execute(statement.on_conflict_do_update(
                index_elements=[HousingFacts.participant_id],
                set_={name: statement.excluded[name] for name in ("day", "basis", *FACT_COLUMNS)}),
                rows)
    except SQLAlchemyError:
        log.warning("housing facts: storing %d rows failed", len(rows), exc_info=True)
        return False
    return True
