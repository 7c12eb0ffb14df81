"""Programme figures of closed months, stored (issue 17): the figures page reads eleven stored
months and computes only the open one, instead of twelve months on every view.

A month is closed once it and the last visit period starting in it are over: from then on its
figures do not depend on today (webapp/domain/figures.py). Its row is computed from the same
facts and functions as the live figures, by the scheduler pass (`fill_closed_months`) or on
the first view that misses it, and deleted when something dated in a closed month changes:
`install_hooks()` listens to the ORM session like webapp/reminders.py and, just before the
commit, deletes the rows of the months the flushed changes can reach. A row also records the
visit rule it was computed under; under another rule it is not used.

Concurrency: filling and deleting both hold the organisation's row lock (PostgreSQL; SQLite's
single writer does the same), so a fill either reads facts after an entry's commit or finishes
before the entry deletes its rows: a stored month never keeps the figures of data replaced
meanwhile.
"""
from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, insert, inspect, or_, select
from sqlalchemy import event as sa_event
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


def _load(session, organisation_id: int, key: str, months: list[date]
          ) -> dict[date, MonthFigures]:
    if not months:
        return {}
    rows = session.execute(
        select(StoredFigures.month, StoredFigures.figures)
        .where(StoredFigures.organisation_id == organisation_id,
               StoredFigures.month.in_(months), StoredFigures.rule == key))
    return {month: decode(text) for month, text in rows}


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
        # Rows of another rule go; on SQLite this first write also waits for the write lock.
        session.execute(delete(StoredFigures).where(
            StoredFigures.organisation_id == organisation_id, StoredFigures.month.in_(months),
            StoredFigures.rule != key).execution_options(synchronize_session=False))
        done = _load(session, organisation_id, key, months)  # filled while we waited?
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


def figure_months(organisation, last: date, today: date, count: int = 12
                  ) -> list[tuple[date, dict[str, fig.FigureValue], dict[str, int]]]:
    """(month, figures, ends per reason) of the `count` months ending with `last`, oldest
    first: closed months stored (filled if missing), the others computed now."""
    rule = rule_of(organisation)
    months = fig.last_months(last, count)
    closed = [month for month in months if is_closed(month, rule.period, today)]
    found = _load(db.session, organisation.id, rule_key(rule), closed)
    missing = [month for month in closed if month not in found]
    if missing:
        found.update(fill(organisation.id, rule, missing, today))
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
        .where(StoredFigures.month >= window[0])).all())
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    db.session.commit()  # nothing held while the months are computed
    computed = 0
    for organisation in organisations:
        rule = rule_of(organisation)
        key = rule_key(rule)
        missing = [month for month in window if is_closed(month, rule.period, today)
                   and (organisation.id, month, key) not in stored]
        if missing:
            fill(organisation.id, rule, missing, today)
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


def _resolve(session, todo: set[tuple]
             ) -> tuple[dict[int, tuple[date | None, set[date]]], dict[int, str]]:
    """Per organisation: the first month reached with every month after it (None: none), and
    single months reached; and the organisation's visit period."""
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


def _only_the_open_month(entry: tuple, this_month: date) -> bool:
    """An entry that reaches only the open month (never stored): most of what is recorded."""
    if entry[0] in ("from", "month"):
        return entry[2] >= this_month
    if entry[0] == "visit":  # its period starts at most six days before it
        return to_local(entry[2]).date() - timedelta(days=6) >= this_month
    return False


def _invalidate(session, todo: set[tuple]) -> None:
    today = local_today()
    this_month = fig.month_start(today)
    todo = {entry for entry in todo if not _only_the_open_month(entry, this_month)}
    if not todo:
        return
    reach, period_of = _resolve(session, todo)
    for org, (first, singles) in sorted(reach.items()):
        # Only closed months are stored (and the months after a closed one are the open ones).
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
