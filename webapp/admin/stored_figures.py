"""Programme figures, stored (issue 17): the figures page reads twelve stored months instead
of computing them on every view.

Closed months. A month is closed once it and the last visit period starting in it are over:
from then on its figures do not depend on today (webapp/domain/figures.py); it is stored for
good from the day after (`is_final`; until then as an open month). Its row is computed
from the same facts and functions as the live figures, by the scheduler pass
(`fill_closed_months`) or on the first view that misses it, and deleted when something dated in
a closed month changes: `install_hooks()` listens to the ORM session like webapp/reminders.py
and, just before the commit, deletes the rows of the months the flushed changes can reach. A row
also records the visit rule it was computed under; under another rule it is not used. Filling
and deleting both hold the organisation's row lock (PostgreSQL; SQLite's single writer does the
same), so a fill either reads facts after an entry's commit or finishes before the entry deletes
its rows: a stored month never keeps the figures of data replaced meanwhile.

Open months (this month, and the previous one while its last visit period runs; their figures
depend on today). Stored "as of" a local day, valid on that day only (`as_of`), so the day
rolling over needs no write. A commit whose entries reach such a month marks its row `stale`
(counting up its `version`) in the committing transaction. That happens on ordinary writes all
day, so it must not serialise them: a writer takes a *shared* transaction-level advisory lock
of the organisation (PostgreSQL; writers never wait for each other) and updates the row only if
it is not stale yet. A fill (`fill_open`) first claims the row (not stale, figures cleared, the
version counted up) under the *exclusive* lock, which waits for every writer between its mark
and its commit, commits, then reads the facts and stores them only over the version it claimed:
a writer that committed before the claim is in the facts; one that marks after the claim
makes the claimed version stale, and the figures are shown but not stored. On SQLite the
database's single write lock orders the claim and the writers the same way. Entries the
figures as of today cannot see (visits in a visit period not over by tomorrow: most visits
and outcomes recorded) mark nothing.
"""
from __future__ import annotations

import itertools
import json
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, inspect, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from ..domain import figures as fig
from ..domain.tenancy import add_months
from ..domain.visits import VisitRule, period_bounds
from ..extensions import db
from ..models import (
    Appointment,
    ChecklistSubmission,
    Contract,
    Disturbance,
    Offer,
    Organisation,
    Participant,
    PhaseChange,
    StoredFigures,
    VisitOutcome,
    utcnow,
)
from ..timeutil import local_today, to_local, tz
from .figure_facts import figure_facts

log = logging.getLogger(__name__)

# Class of the advisory locks (PostgreSQL) that order open-month fills after the writers
# marking them; the second key is the organisation id.
OPEN_LOCK = 0x0F16

# Part of every row's rule key: raise it when a figure's definition changes, and rows computed
# by the old code are recomputed.
VERSION = 1

MonthFigures = tuple[dict[str, fig.FigureValue], dict[str, int]]  # figures, ends per reason


def rule_of(organisation) -> VisitRule:
    return VisitRule(organisation.min_visits, organisation.visit_period,
                     organisation.visits_with_social_services)


def rule_key(rule: VisitRule) -> str:
    """What a stored month was computed under: the visit rule, time zone and code version."""
    return (f"v{VERSION}:{rule.min_visits}:{rule.period}:{rule.with_social_services}:"
            f"{tz().key}")


def settled_on(month: date, period: str) -> date:
    """First day on which the figures of `month` no longer depend on today: the month is over,
    and so is the last visit period starting in it (a week may end in the next month)."""
    starts = fig.period_starts(month, fig.month_end(month), period)
    return max([add_months(month, 1), *(period_bounds(s, period)[1] for s in starts[-1:])])


def is_closed(month: date, period: str, today: date) -> bool:
    return today >= settled_on(month, period)


def is_final(month: date, period: str, today: date) -> bool:
    """Stored for good (`as_of` NULL) from the day after the month closed; on that day it is
    still stored as of the day. A writer that read the clock just before midnight and commits
    after it is at most a day behind a fill, so it treats a final month as closed (deletes
    under the organisation's lock, as the final fill takes it) and a month it treats as open
    is one the fill stores as of a day too (the advisory locks order them)."""
    return today > settled_on(month, period)


def open_months(period: str, today: date) -> list[date]:
    """The months stored as of today: this month, and the previous one until it is final."""
    this = fig.month_start(today)
    previous = add_months(this, -1)
    return [previous, this] if not is_final(previous, period, today) else [this]


def compute(session, organisation_id: int, rule: VisitRule, months: list[date],
            today: date) -> dict[date, MonthFigures]:
    """The figures and ends of `months`, from the facts of the span they cover."""
    first, last = min(months), max(months)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    facts = figure_facts(organisation_id, rule.period, last, span, session=session,
                         today=today)
    return {month: (fig.monthly_figures(facts, rule, month, today),
                    fig.ends_by_reason(facts, month, fig.month_end(month)))
            for month in months}


def encode(values: MonthFigures) -> str:
    figures, ends = values
    # JSON keeps ints and floats apart, floats exact and keys in order: decoding gives the
    # computed values back.
    return json.dumps({"figures": {key: [v.value, v.numerator, v.denominator]
                                   for key, v in figures.items()}, "ends": ends})


def decode(text: str) -> MonthFigures:
    data = json.loads(text)
    return ({key: fig.FigureValue(*v) for key, v in data["figures"].items()}, data["ends"])


def _load(session, organisation_id: int, key: str, months: list[date], today: date,
          period: str) -> dict[date, MonthFigures]:
    """The stored figures of `months` that are valid today: a closed month's final row, an
    open month's row as of today and not stale. One statement."""
    if not months:
        return {}
    rows = session.execute(
        select(StoredFigures.month, StoredFigures.figures, StoredFigures.as_of,
               StoredFigures.stale)
        .where(StoredFigures.organisation_id == organisation_id,
               StoredFigures.month.in_(months), StoredFigures.rule == key))
    return {month: decode(text) for month, text, as_of, stale in rows
            if text is not None and (
                as_of is None if is_final(month, period, today)
                else as_of == today and not stale)}


def _lock(session, organisation_id: int) -> None:
    """The organisation's row lock, held to the commit (FOR NO KEY UPDATE: rows referring to
    the organisation can still be written meanwhile). SQLite has no row locks: its callers
    write next, which takes the database's single write lock."""
    session.execute(select(Organisation.id).where(Organisation.id == organisation_id)
                    .with_for_update(key_share=True))


def fill(organisation_id: int, rule: VisitRule, months: list[date],
         today: date) -> dict[date, MonthFigures]:
    """Compute and store the closed `months` that are not stored, in a transaction of their
    own (a page view's session is rolled back). Returns every one of `months`."""
    key = rule_key(rule)
    with Session(db.engine) as session:
        _lock(session, organisation_id)
        # Rows of another rule go, and the rows of these months from before they closed; on
        # SQLite this first write also waits for the write lock.
        session.execute(delete(StoredFigures).where(
            StoredFigures.organisation_id == organisation_id, StoredFigures.month.in_(months),
            or_(StoredFigures.rule != key, StoredFigures.as_of.is_not(None),
                StoredFigures.figures.is_(None))
        ).execution_options(synchronize_session=False))
        done = _load(session, organisation_id, key, months, today,  # filled while we waited?
                     rule.period)
        todo = [month for month in months if month not in done]
        if todo:
            computed = compute(session, organisation_id, rule, todo, today)
            now = utcnow()
            session.execute(insert(StoredFigures), [
                dict(organisation_id=organisation_id, month=month, rule=key,
                     figures=encode(values), computed_at=now)
                for month, values in computed.items()])
            done.update(computed)
        session.commit()
    return done


def _insert(bind):
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(StoredFigures)


def _claim(session, organisation_id: int, key: str, months: list[date],
           today: date) -> dict[date, int]:
    """Make the rows of these open months "being computed as of today" (not stale, no figures,
    version counted up), after every writer marking them has committed; the caller commits
    before reading facts. Returns month -> the claimed version (a closed month's row, written
    meanwhile, is not claimed)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(OPEN_LOCK, organisation_id)))
    now = utcnow()
    statement = _insert(session.get_bind()).values([
        dict(organisation_id=organisation_id, month=month, rule=key, figures=None,
             computed_at=now, as_of=today, stale=False, version=1) for month in months])
    statement = statement.on_conflict_do_update(
        index_elements=[StoredFigures.organisation_id, StoredFigures.month],
        set_=dict(rule=key, figures=None, computed_at=now, as_of=today, stale=False,
                  version=StoredFigures.version + 1),
        where=StoredFigures.as_of.is_not(None))
    return dict(session.execute(statement.returning(StoredFigures.month,
                                                    StoredFigures.version)).all())


def fill_open(organisation_id: int, rule: VisitRule, months: list[date],
              today: date) -> dict[date, MonthFigures]:
    """Compute the open `months` as of today and store them unless an entry reached them
    meanwhile, in transactions of their own. Returns every one of `months` (shown even if
    storing them failed or was overtaken)."""
    key = rule_key(rule)
    with Session(db.engine) as session:
        try:
            claimed = _claim(session, organisation_id, key, months, today)
            session.commit()
        except SQLAlchemyError:  # storing is an optimisation: the page still shows figures
            log.warning("stored figures: claiming %s failed", months, exc_info=True)
            session.rollback()
            claimed = {}
        computed = compute(session, organisation_id, rule, months, today)
        if claimed:
            now = utcnow()
            try:
                for month, version in claimed.items():
                    session.execute(
                        update(StoredFigures)
                        .where(StoredFigures.organisation_id == organisation_id,
                               StoredFigures.month == month, StoredFigures.as_of == today,
                               StoredFigures.version == version,
                               StoredFigures.stale.is_(False))
                        .values(figures=encode(computed[month]), computed_at=now)
                        .execution_options(synchronize_session=False))
                session.commit()
            except SQLAlchemyError:
                log.warning("stored figures: storing %s failed", months, exc_info=True)
                session.rollback()
    return computed


def figure_months(organisation, last: date, today: date, count: int = 12
                  ) -> list[tuple[date, dict[str, fig.FigureValue], dict[str, int]]]:
    """(month, figures, ends per reason) of the `count` months ending with `last`, oldest
    first: closed and open months stored (filled if missing or stale), months after today's
    computed now."""
    rule = rule_of(organisation)
    months = fig.last_months(last, count)
    found = _load(db.session, organisation.id, rule_key(rule), months, today, rule.period)
    missing = [month for month in months
               if is_final(month, rule.period, today) and month not in found]
    if missing:
        found.update(fill(organisation.id, rule, missing, today))
    missing = [month for month in open_months(rule.period, today)
               if month in months and month not in found]
    if missing:
        found.update(fill_open(organisation.id, rule, missing, today))
    live = [month for month in months if month not in found]
    if live:
        found.update(compute(db.session, organisation.id, rule, live, today))
    return [(month, *found[month]) for month in months]


def fill_closed_months(today: date | None = None, count: int = 12) -> int:
    """Scheduler pass: store every organisation's closed months among the last `count` that
    are missing (so the first view after a month ends does not compute them). Returns how
    many months were computed."""
    today = today or local_today()
    window = fig.last_months(today, count)
    stored = set(db.session.execute(
        select(StoredFigures.organisation_id, StoredFigures.month, StoredFigures.rule)
        .where(StoredFigures.month >= window[0], StoredFigures.as_of.is_(None),
               StoredFigures.figures.is_not(None))).all())
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    db.session.commit()  # nothing held while the months are computed
    computed = 0
    for organisation in organisations:
        rule = rule_of(organisation)
        key = rule_key(rule)
        missing = [month for month in window if is_final(month, rule.period, today)
                   and (organisation.id, month, key) not in stored]
        if missing:
            fill(organisation.id, rule, missing, today)
            computed += len(missing)
    return computed


def fill_open_months(today: date | None = None) -> int:
    """Scheduler pass: store every organisation's open months as of today where missing or
    stale (after midnight, and after entries that reached them), so the next view reads
    them. Returns how many months were computed."""
    today = today or local_today()
    fresh = set(db.session.execute(
        select(StoredFigures.organisation_id, StoredFigures.month, StoredFigures.rule)
        .where(StoredFigures.as_of == today, StoredFigures.stale.is_(False),
               StoredFigures.figures.is_not(None))).all())
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    db.session.commit()
    computed = 0
    for organisation in organisations:
        rule = rule_of(organisation)
        key = rule_key(rule)
        missing = [month for month in open_months(rule.period, today)
                   if (organisation.id, month, key) not in fresh]
        if missing:
            fill_open(organisation.id, rule, missing, today)
            computed += len(missing)
    return computed


# ------------------------------------------------------------------ invalidation

_INFO_KEY = "bofast_stored_figures"

# What the figures read of each model (webapp/admin/figure_facts.py): a change of any of these
# columns may change the figures of the months it is dated in.
WATCHED: dict[type, tuple[str, ...]] = {
    Appointment: ("participant_id", "starts_at", "kind", "with_social_services"),
    VisitOutcome: ("appointment_id", "outcome"),
    PhaseChange: ("participant_id", "started_on", "phase"),
    Contract: ("participant_id", "move_in_date", "ended_on", "terminated_on", "end_reason",
               "first_hand_on", "offer_id"),
    Offer: ("participant_id", "offered_on", "second_apartment_id"),
    ChecklistSubmission: ("participant_id", "month"),
    Disturbance: ("participant_id", "occurred_on"),
    Participant: ("organisation_id", "decision_date"),
    # Rows of another rule are not used anyway; deleting them keeps none of them around.
    Organisation: ("min_visits", "visit_period", "visits_with_social_services"),
}


def _values(obj, names) -> dict[str, set]:
    """Old and new values of each column (old ones are loaded on change: `_keep_old`)."""
    found = {}
    for name in names:
        history = attributes.get_history(obj, name)
        found[name] = {v for v in itertools.chain(history.added, history.deleted,
                                                  history.unchanged) if v is not None}
    return found


def _changed(obj, names) -> set[str]:
    return {name for name in names if attributes.get_history(obj, name).has_changes()}


def _month_of(key: str) -> date | None:
    try:
        year, month = (int(part) for part in key.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _entries(session, obj, values: dict[str, set], changed: set[str]) -> list[tuple]:
    """What a changed row can reach, as entries resolved before the commit:
    ("from", participant, day): every month from the day's month on (retention, phases);
    ("month", participant, day): that month only; ("visit", participant, utc start): the month
    its visit period starts in; ("outcome", appointment id); ("offer", offer id): the month of
    the move-in that followed; ("all", organisation id). `changed`: the columns that changed
    (all of them for a new or deleted row)."""
    pids = values.get("participant_id", set())
    if isinstance(obj, Appointment):
        if "home_visit" not in values["kind"]:
            return []
        return [("visit", pid, at) for pid in pids for at in values["starts_at"]]
    if isinstance(obj, VisitOutcome):
        if "done" not in values["outcome"]:
            return []
        entries = []
        for aid in values["appointment_id"]:
            # The view that recorded the outcome has the appointment loaded: its date, no query.
            visit = session.identity_map.get(identity_key(Appointment, aid))
            loaded = visit is not None and not {"participant_id", "starts_at", "kind"} & (
                inspect(visit).unloaded)
            if not loaded:
                entries.append(("outcome", aid))
            elif visit.kind == "home_visit":
                entries.append(("visit", visit.participant_id, visit.starts_at))
        return entries
    if isinstance(obj, PhaseChange):
        return [("from", pid, min(values["started_on"])) for pid in pids
                if values["started_on"]]
    if isinstance(obj, Contract):
        if not values["move_in_date"]:
            return []  # never loaded by the figures
        dated = ("move_in_date", "ended_on", "terminated_on", "first_hand_on")
        if "participant_id" in changed:
            changed = set(dated)
        # A new end date changes the months between the old and the new one, not the tenancy
        # before them: from the earliest changed date on.
        names = {name for name in changed if name in dated}
        if "end_reason" in changed:  # decides which of the two dates ends the tenancy
            names |= {"ended_on", "terminated_on"}
        if "offer_id" in changed:
            names.add("move_in_date")
        days = set().union(*(values[name] for name in names))
        return [("from", pid, min(days)) for pid in pids] if days else []
    if isinstance(obj, Offer):
        return ([("month", pid, day) for pid in pids for day in values["offered_on"]]
                + [("offer", obj.id)])
    if isinstance(obj, ChecklistSubmission):
        return [("month", pid, day) for pid in pids
                for day in map(_month_of, values["month"]) if day]
    if isinstance(obj, Disturbance):
        return [("month", pid, day) for pid in pids for day in values["occurred_on"]]
    if isinstance(obj, Participant):
        return [("all", org) for org in values["organisation_id"]]
    if isinstance(obj, Organisation):
        return [("all", obj.id)]
    return []


def _note(session, obj, deleted: bool) -> None:
    names = WATCHED.get(type(obj))
    if names is None:
        return
    changed = set(names)
    if not deleted:
        if obj in session.new:
            if isinstance(obj, Participant | Organisation):
                return  # alone they change no figure; the rows that do carry their dates
        else:
            changed = _changed(obj, names)
            if not changed:
                return
    todo = session.info.setdefault(_INFO_KEY, set())
    todo.update(_entries(session, obj, _values(obj, names), changed))


def _collect_deleted(session, _flush_context, _instances) -> None:
    """before_flush: rows being deleted, read while they still exist."""
    for obj in session.deleted:
        _note(session, obj, deleted=True)


def _collect(session, _flush_context) -> None:
    """after_flush: new and changed rows (their ids and foreign keys exist by now)."""
    for obj in itertools.chain(session.new, session.dirty):
        _note(session, obj, deleted=False)


def _expanded(session, todo: set[tuple]) -> set[tuple]:
    """`todo` with the entries that name only an id ("outcome", "offer") resolved into the
    dated entries they stand for (a query each, only when there are any)."""
    outcome_ids = {e[1] for e in todo if e[0] == "outcome"}
    if outcome_ids:
        todo = todo | {("visit", pid, at) for pid, at, kind in session.execute(
            select(Appointment.participant_id, Appointment.starts_at, Appointment.kind)
            .where(Appointment.id.in_(outcome_ids))) if kind == "home_visit"}
    offer_ids = {e[1] for e in todo if e[0] == "offer"}
    if offer_ids:
        todo = todo | {("month", pid, day) for pid, day in session.execute(
            select(Contract.participant_id, Contract.move_in_date)
            .where(Contract.offer_id.in_(offer_ids), Contract.move_in_date.is_not(None)))}
    return todo


def _resolve(session, todo: set[tuple]
             ) -> tuple[dict[int, tuple[date | None, set[date]]], dict[int, str]]:
    """Per organisation: the first month reached with every month after it (None: none), and
    single months reached; and the organisation's visit period. `todo` is `_expanded`."""
    pids = {e[1] for e in todo if e[0] in ("from", "month", "visit")}
    org_of = dict(session.execute(select(Participant.id, Participant.organisation_id)
                                  .where(Participant.id.in_(pids))).all()) if pids else {}
    orgs = set(org_of.values()) | {e[1] for e in todo if e[0] == "all"}
    period_of = dict(session.execute(select(Organisation.id, Organisation.visit_period)
                                     .where(Organisation.id.in_(orgs))).all()) if orgs else {}
    reach: dict[int, tuple[date | None, set[date]]] = defaultdict(lambda: (None, set()))
    for entry in todo:
        kind = entry[0]
        if kind == "all":
            reach[entry[1]] = (date.min, reach[entry[1]][1])
            continue
        if kind not in ("from", "month", "visit") or entry[1] not in org_of:
            continue
        org = org_of[entry[1]]
        first, singles = reach[org]
        if kind == "from":
            day = fig.month_start(entry[2])
            reach[org] = (day if first is None else min(first, day), singles)
        elif kind == "month":
            singles.add(fig.month_start(entry[2]))
            reach[org] = (first, singles)
        else:
            start = period_bounds(to_local(entry[2]).date(), period_of.get(org, "week"))[0]
            singles.add(fig.month_start(start))
            reach[org] = (first, singles)
    return reach, period_of


def _open_reach(entry: tuple, today: date, candidates: tuple[date, ...]) -> set[date]:
    """The months among `candidates` (the months around today that may be stored as of a
    day) whose figures as of today, or tomorrow, `entry` may change. Without a query, so the
    organisation's visit period is not known: both are assumed."""
    kind = entry[0]
    if kind == "from":
        first = fig.month_start(entry[2])
        return {month for month in candidates if month >= first}
    if kind == "month":
        return {fig.month_start(entry[2])} & set(candidates)
    if kind == "visit":
        # The figures count a visit period once it is over (`end <= today`). One that cannot
        # be over by tomorrow is not in any figures as of today (a day's margin: the writer's
        # and a fill's today may differ around midnight). Compared in UTC first: a visit
        # booked for later (most bookings, or a year 9999 typed in) is not converted at all.
        if entry[2] > datetime.combine(today + timedelta(days=2), datetime.min.time()):
            return set()
        day = to_local(entry[2]).date()
        if day < candidates[0] or day > today + timedelta(days=1):
            return set()  # its period starts before the candidates, or cannot be over
        ends = (period_bounds(day, "week")[1], period_bounds(day, "month")[1])
        if min(ends) > today + timedelta(days=1):
            return set()
        # The month its period starts in: a week starts at most six days before.
        return {fig.month_start(day), fig.month_start(day - timedelta(days=6))} & set(
            candidates)
    if kind == "all":
        return set(candidates)
    return set()


def _mark_open(session, todo: set[tuple], today: date) -> None:
    """Mark the stored open-month rows the entries reach stale, under the organisation's
    shared advisory lock (PostgreSQL), which a fill's claim waits for."""
    this = fig.month_start(today)
    candidates = (add_months(this, -1), this, add_months(this, 1))
    reach: dict[tuple, set[date]] = {}
    for entry in todo:
        months = _open_reach(entry, today, candidates)
        if months:
            key = ("org", entry[1]) if entry[0] == "all" else ("pid", entry[1])
            reach.setdefault(key, set()).update(months)
    if not reach:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    by_org: dict[int, set[date]] = defaultdict(set)
    pids = sorted(ident for kind, ident in reach if kind == "pid")
    if pids:
        columns = [Participant.id, Participant.organisation_id]
        if postgres:  # the lock with the lookup: one statement
            columns.append(func.pg_advisory_xact_lock_shared(OPEN_LOCK,
                                                             Participant.organisation_id))
        for row in session.execute(select(*columns).where(Participant.id.in_(pids))):
            by_org[row[1]] |= reach[("pid", row[0])]
    for kind, ident in sorted(reach):
        if kind == "org":
            if postgres:
                session.execute(select(func.pg_advisory_xact_lock_shared(OPEN_LOCK, ident)))
            by_org[ident] |= reach[(kind, ident)]
    for org, months in sorted(by_org.items()):
        # Only rows not stale yet: after the first mark, writers lock no row.
        session.execute(
            update(StoredFigures)
            .where(StoredFigures.organisation_id == org,
                   StoredFigures.month.in_(sorted(months)), StoredFigures.as_of.is_not(None),
                   StoredFigures.stale.is_(False))
            .values(stale=True, version=StoredFigures.version + 1)
            .execution_options(synchronize_session=False))


def _only_the_open_month(entry: tuple, this_month: date) -> bool:
    """An entry that reaches no closed month (only the open one, never stored as final): most
    of what is recorded."""
    if entry[0] in ("from", "month"):
        return entry[2] >= this_month
    if entry[0] == "visit":  # its period starts at most six days before it
        if entry[2] >= datetime.combine(this_month + timedelta(days=7), datetime.min.time()):
            return True  # far enough in UTC, not converted (a date typed far in the future)
        return to_local(entry[2]).date() >= this_month + timedelta(days=6)
    return False


def _invalidate(session, todo: set[tuple]) -> None:
    today = local_today()
    this_month = fig.month_start(today)
    todo = _expanded(session, todo)
    # First: its shared lock comes before any row lock the closed months take below.
    _mark_open(session, todo, today)
    todo = {entry for entry in todo if not _only_the_open_month(entry, this_month)}
    if not todo:
        return
    reach, period_of = _resolve(session, todo)
    for org, (first, singles) in sorted(reach.items()):
        # Closed months (the open ones were marked above); from the day a month closes, not
        # the day after (`is_final`): a fill whose today is a day ahead may be storing it.
        period = period_of.get(org, "week")
        singles = {month for month in singles if is_closed(month, period, today)}
        if first is not None and first != date.min and not is_closed(first, period, today):
            first = None
        if first is None and not singles:
            continue
        reached = [StoredFigures.month.in_(sorted(singles))] if singles else []
        if first is not None:
            reached.append(StoredFigures.month >= first)
        _lock(session, org)
        session.execute(delete(StoredFigures)
                        .where(StoredFigures.organisation_id == org, or_(*reached))
                        .execution_options(synchronize_session=False))


def _before_commit(session) -> None:
    if not session.info.get(_INFO_KEY) and not (session.new or session.dirty or
                                                session.deleted):
        return
    session.flush()  # let _collect see the last changes
    todo = session.info.pop(_INFO_KEY, None)
    if todo:
        _invalidate(session, todo)


def _forget(session, *_args) -> None:
    session.info.pop(_INFO_KEY, None)


def _keep_old(_target, value, _old, _initiator):
    return value


def install_hooks() -> None:
    """Listen on the app's session (idempotent). Called when the admin blueprint registers."""
    target = db.session
    for name, fn in (("before_flush", _collect_deleted), ("after_flush", _collect),
                     ("before_commit", _before_commit), ("after_rollback", _forget)):
        if not sa_event.contains(target, name, fn):
            sa_event.listen(target, name, fn)
    # An entry moved out of a month must clear that month too: load the old value on change.
    for model, names in WATCHED.items():
        for name in names:
            column = getattr(model, name)
            if not sa_event.contains(column, "set", _keep_old):
                sa_event.listen(column, "set", _keep_old, active_history=True)
