"""The worklist of Idag kept up to date on write (issue 17; model `WorklistEntry`).

What is due decides the order of "Att göra", so working it out per view means running the due
rules over the whole caseload (~20 queries and `domain.due` for every participant) to show 12
groups. Instead each participant's items are stored for the local day, with the first moment
they would change without any write (`valid_until`; the `booked` count of a visit item, which
falls as booked visits start, is worked out when read):

- a write of anything the due facts read marks that participant's row stale, from the ORM
  session's events (`install_hooks`), in the writing transaction itself: appointments, visit
  outcomes, checklists and their follow-ups, disturbances, absences, contracts and the tenancy
  records, phase changes, decisions, missed visits, follow-up reports, plans and goals, joint
  meetings and actions, the participant's own fields (phase, team, decision dates). A change
  of an organisation's or a team's settings (the programme rules) marks all of its
  participants;
- a view works out only the stale or missing rows of its scope (`caseload.due_facts` on that
  subset) and stores them with an upsert (two views at once do not fail on the key), then
  reads the page it shows, ordered by the stored `sort_key`.

Marking a row stale counts up its `version`; a computation stores its result only over the
version it read before reading the facts, so a write during someone's computation is never
hidden by that computation's older result.
"""
from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from dataclasses import asdict, fields
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    func,
    inspect,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from ..checklists.submissions import followups_open
from ..domain.due import KINDS, DueItem, Rules, booked_at, changes_at, due_for, item_order
from ..domain.followups import OpenFollowup
from ..domain.worklist import Group, order_key, urgency
from ..extensions import db
from ..models import (
    Absence,
    Appointment,
    BreakdownAnalysis,
    ChecklistAnswer,
    ChecklistFollowupDone,
    ChecklistSubmission,
    Contract,
    Decision,
    Disturbance,
    FollowUpReport,
    Goal,
    JointAction,
    JointMeeting,
    MissedVisit,
    Organisation,
    Participant,
    PhaseChange,
    Plan,
    Team,
    TransferCase,
    VisitOutcome,
    WorklistEntry,
    utcnow,
)
from ..queries import among, run
from ..timeutil import local_day_bounds_utc, to_local, tz
from . import caseload

log = logging.getLogger(__name__)

# Models with a participant_id that the due facts read (caseload.due_facts, followups_open).
DIRECT = (Appointment, VisitOutcome, ChecklistSubmission, Disturbance, Absence, Contract,
          TransferCase, BreakdownAnalysis, MissedVisit, FollowUpReport, Plan, JointMeeting,
          PhaseChange, Decision)
# Models reached through a parent: model -> (foreign key attribute, parent model).
CHILDREN = {ChecklistAnswer: ("submission_id", ChecklistSubmission),
            ChecklistFollowupDone: ("answer_id", ChecklistAnswer),
            Goal: ("plan_id", Plan), JointAction: ("meeting_id", JointMeeting)}
STORE_CHUNK = 500  # rows per INSERT (SQLite's limit on bound parameters)


# --- reading ---------------------------------------------------------------------------------

def _valid(day, now):
    return and_(WorklistEntry.day == day, WorklistEntry.valid_until > now)


@cache
def _page_statement(scope, columns: tuple):
    """`page`'s one statement for the participants of `scope` (a Select of ids built once),
    built once per scope and columns: the stale and missing rows of the scope, and the valid
    rows of the first `shown` groups with their items (and `columns` of their participants),
    each row with the number of groups. Only the ids, versions and keys of the scope go
    through the count and the top-N sort: carrying every row's items through a window over
    the whole caseload took most of the statement's time at 1,000."""
    ids = scope.subquery()
    valid = _valid(bindparam("day", type_=Date), bindparam("now", type_=DateTime))
    scoped = (select(ids.c.id, func.coalesce(WorklistEntry.version, 0).label("version"),
                     WorklistEntry.sort_key, case((valid, 1), else_=0).label("valid"))
              .select_from(ids)
              .outerjoin(WorklistEntry, WorklistEntry.participant_id == ids.c.id)
              .cte("scoped"))
    listed = and_(scoped.c.valid == 1, scoped.c.sort_key.is_not(None))
    first = (select(scoped.c.id, scoped.c.version, scoped.c.sort_key).where(listed)
             .order_by(scoped.c.sort_key).limit(bindparam("shown", type_=Integer))
             .cte("first"))
    total = select(func.count()).select_from(scoped).where(listed).scalar_subquery()
    shown = (select(first.c.id, first.c.version, first.c.sort_key, WorklistEntry.items,
                    literal(0).label("stale"), total.label("total"), *columns)
             .select_from(first)
             .join(WorklistEntry, WorklistEntry.participant_id == first.c.id))
    stale = (select(scoped.c.id, scoped.c.version, null(), null(), literal(1), total,
                    *columns)
             .select_from(scoped).where(scoped.c.valid == 0))
    if columns:
        shown = shown.join(Participant, Participant.id == first.c.id)
        stale = stale.join(Participant, Participant.id == scoped.c.id)
    return union_all(shown, stale)


def page(scope, org, day: date, now: datetime, hint: tuple[int, int], number,
         columns: tuple = (), into: dict | None = None) -> tuple[list[Group], int, dict]:
    """(the groups of one page, the number of groups on every page, the open follow-ups of the
    groups by answer id) of the participants in `scope` (an `access.Scope`). `hint`: (offset,
    limit) of the page asked for; `number(total)` -> (offset, limit) of the page shown once
    the total is known. Stale and missing rows of the scope are worked out and stored first.
    `columns` (of Participant, or labelled expressions over it) come with the groups' rows:
    `into` gets them by participant id, for the groups the first statement read.

    One statement whatever the caseload: every stale row of the scope, then the page's valid
    rows in page order, with their count alongside."""
    hint_offset, hint_limit = hint
    listed = run(
        _page_statement(scope.ids, tuple(columns)),
        {**scope.values, "day": day, "now": now, "shown": hint_offset + hint_limit}).all()
    stored_total = int(listed[0][5]) if listed else 0
    versions, stored = {}, []
    for row in listed:  # by place: `columns` may repeat a name (the participant's id)
        pid, version, key, items, is_stale = row[:5]
        if is_stale:
            versions[pid] = version
        else:
            stored.append(dict(participant_id=pid, sort_key=key, items=items))
        if into is not None:
            into[pid] = row[6:]
    fresh = refresh(versions, org, day, now)
    computed = sorted((row for row in fresh if row["sort_key"] is not None),
                      key=lambda row: row["sort_key"])
    total = stored_total + len(computed)
    offset, limit = number(total)
    if len(stored) < min(stored_total, offset + limit):
        # A page beyond the one asked for (a ?page= past the last): read the valid rows again.
        ids = scope.ids.subquery()
        query = (select(WorklistEntry.participant_id, WorklistEntry.sort_key,
                        WorklistEntry.items)
                 .join(ids, ids.c.id == WorklistEntry.participant_id)
                 .where(_valid(day, now), WorklistEntry.sort_key.is_not(None))
                 .order_by(WorklistEntry.sort_key).limit(offset + limit))
        if fresh:
            query = query.where(~among(WorklistEntry.participant_id,
                                       [row["participant_id"] for row in fresh]))
        stored = [dict(participant_id=pid, sort_key=key, items=items)
                  for pid, key, items in db.session.execute(query, scope.values)]
    # The valid rows merged with the ones just worked out (shown even if storing them failed
    # or a write made them stale meanwhile).
    rows = sorted(stored + computed, key=lambda row: row["sort_key"])[offset:offset + limit]
    followups: dict = {}
    groups = [Group(row["participant_id"],
                    tuple(_load(item, now, followups) for item in row["items"]))
              for row in rows]
    return groups, total, followups


def refresh_stale(day: date, now: datetime, batch: int = STORE_CHUNK) -> int:
    """Work out up to `batch` stale or missing rows of each organisation (the scheduler's pass:
    after midnight and after writes the next view finds them ready). Returns how many."""
    done = 0
    for org in db.session.scalars(select(Organisation)):
        scope = select(Participant.id).where(Participant.organisation_id == org.id).subquery()
        versions = dict(db.session.execute(
            select(scope.c.id, func.coalesce(WorklistEntry.version, 0))
            .outerjoin(WorklistEntry, WorklistEntry.participant_id == scope.c.id)
            .where(or_(WorklistEntry.day.is_(None), WorklistEntry.day != day,
                       WorklistEntry.valid_until.is_(None), WorklistEntry.valid_until <= now))
            .order_by(scope.c.id).limit(batch)).all())
        done += len(refresh(versions, org, day, now))
    return done


def refresh(versions: dict[int, int], org, day: date, now: datetime) -> list[dict]:
    """Work out and store the rows of these participants (id -> the version of their row read
    before the facts, 0 if none); returns them."""
    if not versions:
        return []
    people = list(db.session.scalars(
        select(Participant).options(joinedload(Participant.team))
        .where(among(Participant.id, sorted(versions)))).unique())
    rows = compute(people, org, day, now)
    for row in rows:
        row["version"] = versions[row["participant_id"]]
    store(rows)
    return rows


def compute(people: list[Participant], org, day: date, now: datetime) -> list[dict]:
    """The rows of these participants for `day`, in a constant number of queries."""
    facts = caseload.due_facts(people, org, day, now)
    rules, overrides = Rules.of(org), caseload.rules_by_participant(people, org)
    followups, details = defaultdict(list), {}
    for followup in followups_open([p.id for p in people]):  # earliest deadline first
        followups[followup.participant_id].append(DueItem(
            kind="followup", participant_id=followup.participant_id, due=followup.due,
            overdue=followup.due < day, object_id=followup.answer_id))
        details[followup.answer_id] = followup
    day_end = local_day_bounds_utc(day)[1]
    zone, to_local_date = tz(), lambda value: to_local(value).date()
    computed_at, rows = utcnow(), []
    for fact in facts:
        pid = fact.participant_id
        due = sorted(due_for(fact, overrides.get(pid, rules), day, now, to_local_date, zone),
                     key=item_order)
        items = due + followups.get(pid, [])
        key = None
        if items:
            group = Group(pid, tuple(sorted(items, key=urgency)))
            # Where Idag's input (due items in `due_items` order, then the follow-ups) first
            # names this participant: ties between groups keep that order.
            first = due[0] if due else items[0]
            first_seen = ((0, first.overdue, first.due, KINDS.index(first.kind), pid) if due
                          else (1, False, first.due, 0, first.object_id))
            key = order_key(group, first_seen)
            items = list(group.items)
        rows.append(dict(
            participant_id=pid, organisation_id=org.id, day=day,
            valid_until=changes_at(fact, due, now, day_end), sort_key=key,
            items=[_dump(item, fact.booked_starts, details) for item in items],
            computed_at=computed_at, version=0))
    return rows


def _dump(item: DueItem, booked_starts, followups: dict) -> dict:
    data = _plain(asdict(item))
    if item.kind == "visit":
        # The count falls as booked visits start: worked out when read, not stored.
        data["booked_starts"] = [start.isoformat() for start in booked_starts]
    elif item.kind == "followup":
        # What Idag shows of it, so a view reads no checklist rows (a change of the answer or
        # its "done" marks the row stale).
        data["followup"] = _plain(asdict(followups[item.object_id]))
    return data


def _plain(values: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value
            for key, value in values.items()}


_DATES = {f.name for f in fields(DueItem) if "date" in str(f.type)}
_DATETIMES = {f.name for f in fields(DueItem) if "datetime" in str(f.type)}


def _load(data: dict, now: datetime, followups: dict) -> DueItem:
    values = dict(data)
    if "followup" in values:
        detail = values.pop("followup")
        followups[detail["answer_id"]] = OpenFollowup(**{
            key: date.fromisoformat(value) if key in ("due", "held_on") else value
            for key, value in detail.items()})
    if "booked_starts" in values:
        values["booked"] = booked_at(
            (datetime.fromisoformat(start) for start in values.pop("booked_starts")), now)
    for key in _DATETIMES:
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    for key in _DATES - _DATETIMES:
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    return DueItem(**values)


# --- storing ---------------------------------------------------------------------------------

def _insert(bind):
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(WorklistEntry)


def store(rows: list[dict]) -> bool:
    """Upsert the rows in a transaction of their own (a read's session is rolled back, and its
    audit rows are committed after the response). A row whose version is no longer the one a
    row was computed from is left stale. Failing to store only costs the next view the same
    work: logged, not raised."""
    if not rows:
        return True
    try:
        with db.engine.begin() as conn:
            for start in range(0, len(rows), STORE_CHUNK):
                statement = _insert(conn).values(rows[start:start + STORE_CHUNK])
                columns = ("day", "valid_until", "sort_key", "items", "computed_at")
                conn.execute(statement.on_conflict_do_update(
                    index_elements=[WorklistEntry.participant_id],
                    set_={name: statement.excluded[name] for name in columns},
                    where=WorklistEntry.version == statement.excluded.version))
    except SQLAlchemyError:
        log.warning("worklist: storing %d rows failed", len(rows), exc_info=True)
        return False
    return True


def mark_stale(session, participants=(), organisations=(), teams=()) -> None:
    """Mark the rows of these participants, and of every participant of these organisations
    and teams, stale, in the session's transaction. A row is created if there was none, so a
    computation running meanwhile cannot store what it read before this write."""
    wanted = []
    if participants:
        wanted.append(Participant.id.in_(sorted(participants)))
    if organisations:
        wanted.append(Participant.organisation_id.in_(sorted(organisations)))
    if teams:
        wanted.append(Participant.team_id.in_(sorted(teams)))
    if not wanted:
        return
    statement = _insert(session.get_bind()).from_select(
        ["participant_id", "organisation_id", "version"],
        select(Participant.id, Participant.organisation_id, literal(1)).where(or_(*wanted)))
    session.execute(statement.on_conflict_do_update(
        index_elements=[WorklistEntry.participant_id],
        set_=dict(valid_until=None, version=WorklistEntry.version + 1)))
    # Housing's stored summaries were worked out from these participants' facts (valid only
    # at the version counted up above): their organisations' generation counts up too.
    from ..housing.summaries import bump

    bump(session, participants_where=or_(*wanted))


# --- ORM hooks -------------------------------------------------------------------------------

_INFO_KEY = "bofast_worklist_stale"


def _todo(session) -> dict:
    return session.info.setdefault(_INFO_KEY, {"participants": set(), "organisations": set(),
                                               "teams": set(), "parents": set()})


def _values(obj, attribute: str) -> set:
    """The attribute's value now and, for a changed object, before the change (without
    loading anything: this runs inside the flush)."""
    history = inspect(obj).attrs[attribute].history
    return {value for value in (obj.__dict__.get(attribute), *history.added,
                                *history.unchanged, *history.deleted) if value is not None}


# Columns of the settings that no due rule reads: changing them leaves the worklists alone.
IGNORED = {Organisation: {"name", "oncall_phone"}, Team: {"name", "kind", "archived_at"}}


def _changes_rules(obj) -> bool:
    changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
    return bool(changed - IGNORED[type(obj)])


def _collect(session, _flush_context) -> None:
    """after_flush: note whose facts changed (new, changed and deleted rows alike)."""
    new = set(session.new)
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    todo = None
    for obj in itertools.chain(new, changed, session.deleted):
        if isinstance(obj, Participant):
            if obj not in new:  # a new participant has no row to mark yet
                (todo := todo or _todo(session))["participants"].add(obj.id)
        elif isinstance(obj, DIRECT):
            (todo := todo or _todo(session))["participants"].update(
                _values(obj, "participant_id"))
        elif type(obj) in CHILDREN:
            attribute, parent = CHILDREN[type(obj)]
            (todo := todo or _todo(session))["parents"].update(
                (parent, value) for value in _values(obj, attribute))
        elif isinstance(obj, Organisation | Team) and obj not in new and (
                obj in session.deleted or _changes_rules(obj)):
            key = "organisations" if isinstance(obj, Organisation) else "teams"
            (todo := todo or _todo(session))[key].add(obj.id)


def _participants_of(session, parents: set) -> set[int]:
    """Participant ids of (model, id) pairs, through their parents where needed."""
    found: set[int] = set()
    by_model = defaultdict(set)
    for model, ident in parents:
        by_model[model].add(ident)
    while by_model:
        model, ids = by_model.popitem()
        if model in CHILDREN:
            attribute, parent = CHILDREN[model]
            by_model[parent].update(session.scalars(
                select(getattr(model, attribute)).where(model.id.in_(sorted(ids)))))
        else:
            found.update(session.scalars(
                select(model.participant_id).where(model.id.in_(sorted(ids)))))
    return found


def _mark_before_commit(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # let _collect see the last changes
    todo = session.info.pop(_INFO_KEY, None)
    if not todo:
        return
    participants = todo["participants"] | _participants_of(session, todo["parents"])
    mark_stale(session, participants, todo["organisations"], todo["teams"])


def _bulk_statement(state) -> None:
    """do_orm_execute: INSERT/UPDATE/DELETE statements on the watched models bypass the flush
    (e.g. the scheduler's multi-row INSERT of missed visits); note whom they touch."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    if model is None or not (model in DIRECT or model in CHILDREN
                             or model in (Participant, Organisation, Team)):
        return
    session, todo = state.session, _todo(state.session)
    if state.is_insert:
        # Rows given as execute() parameters, or a single row in .values().
        rows = state.parameters if isinstance(state.parameters, list) else [
            state.parameters or state.statement.compile().params]
        for row in rows:
            if model in DIRECT and row.get("participant_id") is not None:
                todo["participants"].add(row["participant_id"])
            elif model in CHILDREN:
                attribute, parent = CHILDREN[model]
                if row.get(attribute) is not None:
                    todo["parents"].add((parent, row[attribute]))
        return
    where = state.statement.whereclause
    column = {Participant: Participant.id, Organisation: Organisation.id, Team: Team.id}.get(
        model, getattr(model, "participant_id", None))
    if column is None:
        column = getattr(model, CHILDREN[model][0])
    ids = set(session.scalars(select(column).where(where) if where is not None
                              else select(column)))
    if model is Organisation:
        todo["organisations"] |= ids
    elif model is Team:
        todo["teams"] |= ids
    elif model in CHILDREN:
        todo["parents"] |= {(CHILDREN[model][1], ident) for ident in ids}
    else:
        todo["participants"] |= ids


def _forget(session, *_args) -> None:
    session.info.pop(_INFO_KEY, None)


def install_hooks() -> None:
    """Listen on the app's session (idempotent). Called when the staff blueprint registers."""
    target = db.session
    for name, fn in (("after_flush", _collect), ("before_commit", _mark_before_commit),
                     ("do_orm_execute", _bulk_statement), ("after_rollback", _forget)):
        if not sa_event.contains(target, name, fn):
            sa_event.listen(target, name, fn)
