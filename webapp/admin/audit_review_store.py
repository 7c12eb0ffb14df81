"""The monthly log review, stored (issue 17): a view no longer reads the whole month's log.

The log is append-only, and most of what the review shows follows from the events alone: the
refusal, night and burst flags (`log_review.event_flags`, monotone: a new event can add a flag
to an older one, a burst, never take one away), which workers read which participants, and the
sample's candidates (of the events not flagged when added, those with the smallest
`log_review.sample_key`s: a flagged event is never sampled). That is kept per
organisation and month (models AuditReviewMonth, ...Flag, ...Read, ...Candidate) for every
event up to `upto_id`, and each view adds the events since: flags of the new events and of the
older ones a new burst reaches (the same worker's events within the burst window around them),
new (worker, participant) pairs, and candidates that now rank among the first.

Whether a read was outside the worker's caseload depends on today's caseloads (DESIGN §3), so
it is worked out on every view, in the database: the month's distinct (worker, participant)
pairs against every worker's scope (`access.visible_to`) and direct assignments, and the events
of the pairs outside read by index, in the same statement as the stored flags. Nothing to
invalidate when assignments change.

Events committed out of id order: `upto_id` only moves over ids that are final, those up to
an event older than SETTLE (a request taking an id commits within it) and an unbroken run of ids
(all exist: nothing can commit among them), but for the newest SPAN of such a run (`_settle`),
and never past the month's newest event. Newer events are added too, up to `seen_id` (the
month's newest), and read again only when the number of events of any kind with an id in
(`upto_id`, `seen_id`] (`seen_count`, counted on the primary key alone) grew: one committed
late. So a view checks at most SPAN events again however fast the log grows, unless an id below
them is missing (a request still committing, or rolled back): then the events after it are
checked until SETTLE has passed it, as before. A view first checks, in one statement, whether
anything was added since the stored state (a new event of the month, or one committed late);
only then does it store, in a session of its own under a PostgreSQL advisory lock of the
organisation (SQLite's single writer does the same), reading the events after `upto_id` in one
statement (one snapshot: what settles, what is counted and what is added agree). If storing
fails the review is worked out from all of the month's events, as before.

The page (`review_page`) reads no more than it shows: the flagged list is counted and paged in
the database (not reviewed first, then local time: the outside-caseload events' local time is
worked out in SQL from the month's one or two UTC offsets, `_local`), with the sample, in one
statement, so what Python does per view does not grow with the month's flags. Nor does what
the database does (migration 0017): the month's stored flags are counted in its
`AuditReviewMonth` row, counted up in the transaction that stores them, and read in the page's
order by index, the first offset + limit of them merged with the outside-caseload events (few).
`month_review` (the whole review) is what the sample's form and the tests use.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Date,
    DateTime,
    Integer,
    Interval,
    Select,
    String,
    TextClause,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..access import visible_to
from ..domain.log_review import (
    BURST_WINDOW,
    CASELOAD_ROLES,
    WORKER_ROLES,
    AccessEvent,
    event_flags,
    is_caseload_read,
    sample_key,
    with_flag,
)
from ..extensions import db
from ..inputs import page_arg, page_of
from ..models import (
    AuditEvent,
    AuditReview,
    AuditReviewCandidate,
    AuditReviewFlag,
    AuditReviewMonth,
    AuditReviewRead,
    Participant,
    StaffAssignment,
    User,
    utcnow,
)
from ..queries import among, dialect_name, run, written_sql
from ..timeutil import month_key, to_local
from .audit_queries import (
    ACCESS_COLUMNS,
    HOUR,
    REVIEW_ORG,
    SAMPLE_SIZE,
    MonthReview,
    access_events,
    month_bounds_utc,
    month_range,
    month_review_of_events,
    month_values,
    month_where,
    review_events_where,
    review_marks,
)

log = logging.getLogger(__name__)

# Counted up when the rules (log_review) or what is stored change: a month stored under other
# rules is worked out again from its events.
RULES = "2026-11-30.3"  # .3: `_settle` (unbroken runs, the time rule up to an older event)
CANDIDATES = 100  # the sample's candidates kept: 20 shown, the rest stand in for flagged ones
SETTLE = timedelta(minutes=2)
# Where the ids after `upto_id` are unbroken, at most this many of them stay unsettled
# (`_settle`): what a view checks again does not grow with the log's rate.
SPAN = 100
# A view reads up to this many events after `upto_id` to see whether anything is new (more:
# the review is brought up to date the longer way, which reads up to STORE_LIMIT new ones).
CHECK_LIMIT = 5_000
STORE_LIMIT = 20_000
REVIEW_LOCK = 1717  # pg_advisory_xact_lock(REVIEW_LOCK, organisation id)
# Local time is UTC plus an offset that changes by an hour at a daylight-saving switch.
SLACK = BURST_WINDOW + timedelta(hours=1)
# The statements below are built once per process, with these and `month_where`'s parameters.
REVIEW_MONTH = bindparam("review_month", type_=Date)
AFTER = bindparam("after", type_=Integer)
CUT = bindparam("cut", type_=DateTime)


class Item(NamedTuple):
    """A flagged or sampled event as the page needs it: its id, in local time order."""
    id: int
    at_local: object


def _params(organisation_id: int, month: date) -> dict:
    return {**month_values(organisation_id, month), "review_month": month}


def _month(model) -> list:
    return [model.organisation_id == REVIEW_ORG, model.month == REVIEW_MONTH]


@cache
def _check() -> Select:
    """The month's stored state and what happened since, in one statement: the events after
    `upto_id` in id order (on the primary key, however large the month: not settled, they are
    few), how many of them have an id up to `seen_id` (more than `seen_count`: one committed
    late), and of the month's among them the newest (after `seen_id`: new ones), how many and
    how many by a user (counted on every view). Read up to CHECK_LIMIT of them."""
    state, event = AuditReviewMonth, AuditEvent
    upto = select(state.upto_id).where(*_month(state)).scalar_subquery()
    seen = select(state.seen_id).where(*_month(state)).scalar_subquery()
    # The month's conditions once per event (a column), not once per count.
    recent = (select(event.id, event.user_id, and_(*month_where()).label("of_month"))
              .where(event.id > upto).order_by(event.id).limit(CHECK_LIMIT).subquery())
    of_month = recent.c.of_month
    after = select(func.count().label("read"),
                   func.count().filter(recent.c.id <= seen).label("seen_now"),
                   func.max(recent.c.id).filter(of_month).label("newest"),
                   func.count().filter(of_month).label("pending"),
                   func.count(recent.c.user_id).filter(of_month).label("pending_by_user")
                   ).subquery()
    return (select(state.rules, state.events, state.with_user, state.seen_id,
                   state.seen_count, state.flagged, state.flagged_with_user, *after.c)
            .join_from(state, after, true()).where(*_month(state)))


class Counts(NamedTuple):
    """A month's events, those by a user, its stored flags and those by a user."""
    events: int
    with_user: int
    flagged: int
    flagged_with_user: int


def _unchanged(params: dict) -> Counts | None:
    """The month's counts when nothing was added since the stored state (no new event of the
    month, none committed late); None: something to store first."""
    row = run(_check(), params).first()
    if row is None:
        return None
    rules, events, with_user, seen_id, seen_count, flagged, flagged_with_user, read, \
        seen_now, newest, pending, pending_by_user = row
    if (rules != RULES or seen_now != seen_count or (newest or 0) > seen_id
            or read == CHECK_LIMIT):
        return None
    return Counts(events + pending, with_user + pending_by_user, flagged, flagged_with_user)


@cache
def _read_columns() -> tuple:
    """What a store reads of every event after `upto_id`: what `access_events` needs, and
    whether the event is one of the month's (events of any kind count for settling)."""
    return (*ACCESS_COLUMNS, and_(*month_where()).label("of_month"))


@cache
def _first_read() -> CompoundSelect:
    """A month's first store, in one statement (one snapshot): the id of the last event older
    than SETTLE ("t": every id up to it is final), the month's events up to it ("m", found by
    the month's conditions, however long the log before them) and every event after it ("a",
    in id order, up to STORE_LIMIT)."""
    event = AuditEvent
    floor = func.coalesce(select(event.id).where(event.at < CUT)
                          .order_by(event.at.desc(), event.id.desc()).limit(1)
                          .scalar_subquery(), 0)
    none = null()
    after = (select(*_read_columns()).where(event.id > floor).order_by(event.id)
             .limit(STORE_LIMIT).subquery())
    return union_all(
        select(literal("t"), floor, cast(none, event.at.type), cast(none, Integer),
               cast(none, String), cast(none, String), cast(none, Integer), literal(False)),
        select(literal("m"), *ACCESS_COLUMNS, literal(True))
        .where(*month_where(), event.id <= floor),
        select(literal("a"), *after.c))


@cache
def _read() -> Select:
    """The events of any kind after `upto_id` up to the month's newest (`seen_id` or a newer
    one), in id order, up to `limit`."""
    event = AuditEvent
    seen = bindparam("seen", type_=Integer)
    newest = select(func.max(event.id)).where(*month_where(), event.id > seen).scalar_subquery()
    return (select(*_read_columns())
            .where(event.id > AFTER, event.id <= case((newest > seen, newest), else_=seen))
            .order_by(event.id).limit(bindparam("limit", type_=Integer)))


@cache
def _count_between() -> Select:
    """Events of any kind with an id in (after, upto], on the primary key alone."""
    return select(func.count(AuditEvent.id)).where(AuditEvent.id > AFTER,
                                                   AuditEvent.id <= bindparam("upto"))


class _Read(NamedTuple):
    """What a store read in one snapshot: the month's events up to `floor` (a first store:
    every id up to it final) and every event of any kind after it, in id order."""
    floor: int
    settled: list  # ACCESS_COLUMNS rows, the month's, ids up to `floor`
    after: list  # `_read_columns` rows, every event after `floor`


def _read_since(session: Session, state, params: dict, cut) -> _Read:
    if state is None:
        floor, settled, after = 0, [], []
        for kind, *row in session.execute(_first_read(), {**params, "cut": cut}):
            if kind == "t":
                floor = row[0]
            elif kind == "m":
                settled.append(tuple(row[:-1]))
            else:
                after.append(tuple(row))
        return _Read(floor, settled, sorted(after))
    # All of (upto, seen] (at most seen - upto ids) and up to STORE_LIMIT newer ones.
    limit = state.seen_id - state.upto_id + STORE_LIMIT
    return _Read(state.upto_id, [], [tuple(row) for row in session.execute(
        _read(), {**params, "after": state.upto_id, "seen": state.seen_id, "limit": limit})])


def _settle(base: int, after: list, cut) -> int:
    """How far the events read (`after`, every visible one after `base`, in id order) settle.
    Every id up to an event older than SETTLE is final (its transaction committed or never
    will). Above that, ids commit out of order, but an unbroken run of them is final too:
    nothing can commit among ids that all exist. The newest SPAN events are left unsettled
    there (younger than SETTLE), so that a view re-checks a bounded number of events however
    fast the log grows; a gap (an id not committed, or never) stops the run until SETTLE has
    passed it."""
    base = max([base] + [row[0] for row in after if row[1] < cut])
    ids = [row[0] for row in after if row[0] > base]
    run = 0
    while run < len(ids) and ids[run] == base + run + 1:
        run += 1
    keep = min(run, len(ids) - SPAN)
    return ids[keep - 1] if keep > 0 else base


def _update(session: Session, organisation_id: int, month: date, params: dict) -> Counts:
    """Add the events since the stored state; returns the month's counts."""
    if session.get_bind().dialect.name == "postgresql":
        # Under the lock from the start: another view may have stored the same events.
        session.execute(select(func.pg_advisory_xact_lock(REVIEW_LOCK, organisation_id)))
    state = session.get(AuditReviewMonth, (organisation_id, month), populate_existing=True)
    if state is not None and state.rules != RULES:
        for model in (AuditReviewCandidate, AuditReviewRead, AuditReviewFlag, AuditReviewMonth):
            session.execute(delete(model).where(*_month(model)), params,
                            execution_options={"synchronize_session": False})
        session.expunge(state)
        state = None
    cut = utcnow() - SETTLE  # before the read: an id below an event older than it is final
    read = _read_since(session, state, params, cut)
    upto, seen = read.floor, (state.seen_id if state is not None else 0)
    events = state.events if state is not None else len(read.settled)
    with_user = (state.with_user if state is not None
                 else sum(row[2] is not None for row in read.settled))
    of_month = [row[:-1] for row in read.after if row[-1]]
    if state is None:  # all of the month's are new
        raw, known = read.settled + of_month, 0
    elif sum(row[0] <= seen for row in read.after) != state.seen_count:
        # More events of (upto, seen] than when stored: one committed late. Those of the
        # month are added again (nothing twice); a burst reaches back to those settled.
        raw, known = of_month, upto
    else:
        raw, known = [row for row in of_month if row[0] > seen], seen
    new = access_events(raw)
    flagged = _add(session, organisation_id, month, known, params, raw, new) if new else (0, 0)
    top = read.after[-1][0] if read.after else upto
    # The month's newest event added: nothing after it settles (it is read again until one
    # of the month follows).
    seen = max([seen] + [row[0] for row in read.settled] + [row[0] for row in of_month[-1:]])
    stored = (0, 0) if state is None else (state.flagged, state.flagged_with_user)
    total = Counts(events + len(of_month), with_user + sum(row[2] is not None for row in of_month),
                   stored[0] + flagged[0], stored[1] + flagged[1])
    if read.after and session.scalar(_count_between(), {"after": upto, "upto": top}) != len(
            read.after):
        # An event committed while this view read, with an id among those read: nothing
        # settles, and a count that never matches reads them all again at the next view.
        settled, seen_count = min(upto, seen), -1
    else:
        settled = min(_settle(upto, read.after, cut), seen)
        seen_count = sum(settled < row[0] <= seen for row in read.after)
    done = [row for row in of_month if row[0] <= settled]
    events += len(done)
    with_user += sum(row[2] is not None for row in done)
    if state is None:
        session.add(AuditReviewMonth(organisation_id=organisation_id, month=month, rules=RULES,
                                     upto_id=settled, events=events, with_user=with_user,
                                     seen_id=seen, seen_count=seen_count, flagged=flagged[0],
                                     flagged_with_user=flagged[1]))
        return total
    if (settled, seen, seen_count) != (state.upto_id, state.seen_id, state.seen_count):
        state.upto_id, state.events, state.with_user = settled, events, with_user
        state.seen_id, state.seen_count = seen, seen_count
    if flagged != (0, 0):  # added to the row's value in the UPDATE itself
        state.flagged = AuditReviewMonth.flagged + flagged[0]
        state.flagged_with_user = AuditReviewMonth.flagged_with_user + flagged[1]
    return total


@cache
def _stored(dialect: str) -> CompoundSelect:
    """The month's stored flags ("f": id, user_id, at_local, flags), the sample's candidates
    ("c": id, at_local, sample key) and the events of its reads outside today's caseloads
    ("o": id, user_id, at), in one statement. Outside: a (worker, participant) pair of the
    month's reads where the participant is neither in the worker's scope now
    (`access.visible_to`) nor directly assigned to them."""
    none = null()
    flag, candidate = AuditReviewFlag, AuditReviewCandidate
    return union_all(
        select(literal("f"), flag.audit_event_id, flag.user_id, flag.at_local, flag.flags,
               cast(none, BigInteger)).where(*_month(flag)),
        select(literal("c"), candidate.audit_event_id, cast(none, Integer), candidate.at_local,
               cast(none, String), candidate.sample_key).where(*_month(candidate)),
        _outside_events(dialect, lambda event: (
            literal("o"), event.id, event.user_id, event.at, cast(none, String),
            cast(none, BigInteger))))


def _add(session: Session, organisation_id: int, month: date, known: int, params: dict,
         raw: list, new: list[AccessEvent]) -> tuple[int, int]:
    """Store what the new events add: flags (theirs, and bursts they make of older events),
    reads and candidates. Idempotent: an event seen again (not settled yet) adds nothing.
    Returns the flag rows added (events newly flagged) and how many of them are by a user."""
    key = dict(organisation_id=organisation_id, month=month)
    # A burst joins the same worker's events within the window around the new ones.
    burst_users = {e.user_id for e in new if e.role in WORKER_ROLES and e.action != "list"
                   and e.user_id is not None and e.participant_id is not None}
    context: list[AccessEvent] = []
    if burst_users and known:
        lo, hi = min(row[1] for row in raw), max(row[1] for row in raw)  # UTC
        context = access_events(session.execute(select(*ACCESS_COLUMNS).where(
            *month_where(), AuditEvent.id <= known, among(AuditEvent.user_id, burst_users),
            AuditEvent.role.in_(WORKER_ROLES), AuditEvent.action != "list",
            AuditEvent.participant_id.is_not(None),
            AuditEvent.at >= lo - SLACK, AuditEvent.at <= hi + SLACK), params))
    found = event_flags(context + new)
    added = []
    if found:
        stored = dict(session.execute(
            select(AuditReviewFlag.audit_event_id, AuditReviewFlag.flags).where(
                *_month(AuditReviewFlag), among(AuditReviewFlag.audit_event_id, found)),
            params).all())
        by_id = {e.id: e for e in context + new}
        changed = []
        for event_id, flags in found.items():
            merged = stored.get(event_id, "").split(",") if event_id in stored else []
            for flag in flags:
                merged = with_flag(merged, flag)
            text = ",".join(merged)
            if event_id not in stored:
                event = by_id[event_id]
                added.append(dict(key, audit_event_id=event_id, at_local=event.at_local,
                                  user_id=event.user_id, flags=text))
            elif text != stored[event_id]:
                changed.append((event_id, text))
        if added:
            session.execute(insert(AuditReviewFlag), added)
        if changed:  # one executemany (a burst can reach back to many stored events)
            table = AuditReviewFlag.__table__
            session.connection().execute(
                update(table).where(table.c.organisation_id == organisation_id,
                                    table.c.month == month,
                                    table.c.audit_event_id == bindparam("event_id"))
                .values(flags=bindparam("new_flags")),
                [dict(event_id=event_id, new_flags=text) for event_id, text in changed])
    pairs = {(e.user_id, e.participant_id) for e in new if is_caseload_read(e)}
    if pairs:
        known_pairs = set(session.execute(
            select(AuditReviewRead.user_id, AuditReviewRead.participant_id).where(
                *_month(AuditReviewRead),
                among(AuditReviewRead.user_id, {user for user, _ in pairs})), params).all())
        if pairs - known_pairs:
            session.execute(insert(AuditReviewRead), [
                dict(key, user_id=user, participant_id=pid)
                for user, pid in pairs - known_pairs])
    seed = month_key(month)
    # An event flagged now stays flagged (these flags only grow): never in the sample, so not
    # a candidate. Otherwise a month of night work would leave too few unflagged candidates,
    # and every view would draw the sample from all of the month's events.
    ranked = {e.id: (sample_key(seed, e.id), e.at_local) for e in new
              if e.user_id is not None and e.id not in found}
    if ranked:
        kept = dict(session.execute(
            select(AuditReviewCandidate.audit_event_id, AuditReviewCandidate.sample_key)
            .where(*_month(AuditReviewCandidate)), params).all())
        keys = {**{i: k for i, (k, _at) in ranked.items()}, **kept}
        first = set(sorted(keys, key=lambda i: (keys[i], i))[:CANDIDATES])
        gone = set(kept) - first
        if gone:
            session.execute(delete(AuditReviewCandidate).where(
                *_month(AuditReviewCandidate),
                among(AuditReviewCandidate.audit_event_id, gone)), params,
                execution_options={"synchronize_session": False})
        entering = [dict(key, audit_event_id=i, sample_key=ranked[i][0], at_local=ranked[i][1])
                    for i in first - set(kept)]
        if entering:
            session.execute(insert(AuditReviewCandidate), entering)
    return len(added), sum(row["user_id"] is not None for row in added)


def month_review(organisation_id: int, month: date) -> MonthReview:
    """The month's events flagged, and the sample to read (the same on every visit): the same
    as `month_review_of_events`, from the stored review brought up to date."""
    params = _params(organisation_id, month)
    counts = _unchanged(params)
    if counts is not None:  # nothing to store: read what is stored on the request's session
        rows = run(_stored(dialect_name()), params).all()
    else:
        try:
            with Session(db.engine) as session:
                counts = _update(session, organisation_id, month, params)
                rows = session.execute(_stored(dialect_name()), params).all()
                session.commit()
        except SQLAlchemyError:  # storing is an optimisation: the page still shows the review
            log.warning("stored log review: %s %s failed", organisation_id, month,
                        exc_info=True)
            return month_review_of_events(organisation_id, month)
    total, with_user = counts.events, counts.with_user
    flags: dict[int, list[str]] = {}
    items: dict[int, tuple] = {}  # flagged: id -> (at_local, user_id)
    candidates, outside = [], []
    for kind, event_id, user_id, at, joined, key in rows:
        if kind == "f":
            flags[event_id], items[event_id] = joined.split(","), (at, user_id)
        elif kind == "c":
            candidates.append((key, event_id, at))
        else:
            outside.append((event_id, at, user_id, None, None, None))
    for event in access_events(outside):  # in local time, like the stored ones
        flags[event.id] = with_flag(flags.get(event.id, []), "outside_caseload")
        items[event.id] = (event.at_local, event.user_id)
    flagged = sorted((Item(event_id, at) for event_id, (at, _user) in items.items()),
                     key=lambda item: (item.at_local, item.id))
    pool = with_user - sum(user is not None for _at, user in items.values())
    candidates.sort()  # (key, id, at): first in the month's random order first
    sample = [Item(event_id, at) for _key, event_id, at in candidates
              if event_id not in flags][:SAMPLE_SIZE]
    if len(sample) < min(SAMPLE_SIZE, pool):
        # Most candidates flagged (a month of night work): draw from all of the month.
        return month_review_of_events(organisation_id, month)
    sample.sort(key=lambda item: (item.at_local, item.id))
    return MonthReview(total, flags, flagged, sample)


# --- A page of the review (issue 17): what the page shows, paged in the database -------------
# The flagged list is worked out, counted and paged in one statement, so a view costs the same
# however many events the month flags (a month of night work flags nearly all of them).


class ReviewPage(NamedTuple):
    """What /admin/audit/review shows of a month: the flagged events not yet reviewed first
    (then those reviewed), each part in local time order, a page of them."""
    total: int  # the month's events
    flagged_total: int
    unreviewed_flagged: int
    page: int
    pages: int
    flagged: list[int]  # the page's flagged events' ids, in the order shown
    flags: dict[int, list[str]]  # the flags of those (and of the sample: none)
    sample: list[Item]  # in local time order


SWITCH = bindparam("switch", type_=DateTime)


@cache
def _shifts(month: date) -> dict | None:
    """Local time within the month as UTC plus one offset before `switch` and another from it
    (a daylight-saving change; none: `switch` past the month), the parameters of `_local`;
    None if the offset changes more than once within the month."""
    lo, hi = month_bounds_utc(month)
    before = to_local(lo).utcoffset()
    changes = []
    hour = lo
    while hour < hi:
        if to_local(hour + HOUR).utcoffset() != to_local(hour).utcoffset():
            changes.append(hour)
        hour += HOUR
    if len(changes) > 1:
        return None
    switch, after = hi, before
    if changes:  # the second the offset changes, within that hour
        start, end = changes[0], changes[0] + HOUR
        while end - start > timedelta(seconds=1):
            middle = start + (end - start) / 2
            start, end = (middle, end) if to_local(middle).utcoffset() == before else (
                start, middle)
        switch, after = end, to_local(end).utcoffset()
    return {"switch": switch, "off_before": before, "off_after": after,
            "shift_before": f"{before.total_seconds():+.0f} seconds",
            "shift_after": f"{after.total_seconds():+.0f} seconds"}


def _local(at, dialect: str):
    """`at` (UTC) in local wall-clock time, in SQL, as `access_events` works it out: UTC plus
    the offset in force then (`_shifts`)."""
    if dialect == "postgresql":
        return at + case((at < SWITCH, bindparam("off_before", type_=Interval)),
                         else_=bindparam("off_after", type_=Interval))
    # SQLite keeps a DateTime as text with microseconds, and datetime() would round them
    # (59.9999996 s to the next minute): shifted without them, then appended again. The same
    # text as a stored `at_local`, compared as text.
    shift = case((at < SWITCH, bindparam("shift_before", type_=String)),
                 else_=bindparam("shift_after", type_=String))
    return type_coerce(func.datetime(func.substr(at, 1, 19), shift)
                       .op("||")(func.substr(at, 20)), DateTime)


def _in_caseload():
    read = AuditReviewRead
    return or_(
        exists().where(User.id == read.user_id, Participant.id == read.participant_id,
                       visible_to(User.role, User.organisation_id, User.id)),
        exists().where(StaffAssignment.user_id == read.user_id,
                       StaffAssignment.participant_id == read.participant_id))


def _outside_events(dialect: str, columns) -> Select:
    """`columns(AuditEvent)` of the month's events of the reads outside today's caseloads:
    the pairs first (few), then each pair's events by index. On PostgreSQL a LATERAL
    subquery holds that order, with the month's range applied outside it: a generic plan
    (psycopg prepares a statement run five times) estimates the month's range of events at
    a few rows and reads all of them for each pair instead (~1.7 ms a pair on the bench
    database, where the pair's events by index take ~0.03 ms)."""
    read, event = AuditReviewRead, AuditEvent
    where = (event.user_id == read.user_id, event.participant_id == read.participant_id,
             *review_events_where(), event.action == "read",
             event.role.in_(sorted(CASELOAD_ROLES)))
    if dialect == "postgresql":
        # OFFSET keeps PostgreSQL from pulling the subquery up into a plain join, or pushing
        # the month's range into it (where the index on `at` would serve it).
        # Labelled: two NULL casts of a subquery would otherwise share one name.
        events = (select(*(column.label(f"c{i}") for i, column in enumerate(columns(event))),
                         event.at.label("at_utc"))
                  .where(*where).offset(0).lateral())
        return (select(*list(events.c)[:-1]).select_from(read).join(events, true())
                .where(*_month(read), ~_in_caseload(), *month_range(events.c.at_utc)))
    return (select(*columns(event)).select_from(read).join(event, and_(*where[:2]))
            .where(*_month(read), ~_in_caseload(), *where[2:], *month_range(event.at)))


def _reviewed(event_id):
    """The event has a review mark (`review_marks` reads the marks with their reviewer)."""
    return (select(AuditReview.id).join(User, User.id == AuditReview.reviewed_by_id)
            .where(AuditReview.audit_event_id == event_id).exists())


@cache
def _page_statement(dialect: str) -> CompoundSelect:
    """The month's flagged events (the stored flags and the events of the reads outside
    today's caseloads, as in `_stored`, not reviewed first, then local time, then id) in one
    statement: counts ("n": the outside events not stored as flagged, the flagged events
    reviewed, the outside ones not stored by a user), the page's rows ("p": id, at_local,
    stored flags, outside, user id; `limit` from `offset`) and the sample ("c": the first
    SAMPLE_SIZE candidates in the month's random order that are not flagged).

    Nothing here reads every stored flag: the stored ones are counted in
    `AuditReviewMonth.flagged` (read by `_check`) and the outside events are few; the reviewed
    ones are found from the marks on the ids between the month's first and last flag; the
    page's rows are merged from the first `rows` (= offset + limit) unreviewed stored flags,
    read in page order by index (migration 0017), the reviewed ones in that order and the
    outside events: every row of the page is among them."""
    none = null()
    flag, candidate = AuditReviewFlag, AuditReviewCandidate
    outside = _outside_events(dialect, lambda event: (
        event.id, _local(event.at, dialect),
        select(flag.flags).where(*_month(flag), flag.audit_event_id == event.id)
        .scalar_subquery(), event.user_id, case((_reviewed(event.id), 1), else_=0))
    ).cte("outside")
    o_id, o_at, o_flags, o_user, o_reviewed = outside.c
    first = select(func.min(flag.audit_event_id)).where(*_month(flag)).scalar_subquery()
    last = select(func.max(flag.audit_event_id)).where(*_month(flag)).scalar_subquery()
    marked = (select(AuditReview.audit_event_id.label("id"))
              .join(User, User.id == AuditReview.reviewed_by_id)
              .where(AuditReview.audit_event_id.between(first, last)).distinct().subquery())
    reviewed = (select(flag.audit_event_id.label("id"), flag.at_local, flag.flags, flag.user_id)
                .select_from(marked)
                .join(flag, and_(*_month(flag), flag.audit_event_id == marked.c.id))
                .cte("reviewed"))
    rows = bindparam("rows", type_=BigInteger)
    columns = ("id", "at_local", "flags", "outside", "user_id", "reviewed")

    def labelled(*values):
        return [value.label(name) for value, name in zip(values, columns, strict=True)]

    unreviewed = (select(*labelled(flag.audit_event_id, flag.at_local, flag.flags, literal(0),
                                   flag.user_id, literal(0)))
                  .where(*_month(flag), ~_reviewed(flag.audit_event_id))
                  .order_by(flag.at_local, flag.audit_event_id).limit(rows).subquery())
    reviewed_first = (select(*labelled(*reviewed.c[:3], literal(0), reviewed.c.user_id,
                                       literal(1)))
                      .order_by(reviewed.c.at_local, reviewed.c.id).limit(rows).subquery())
    both = union_all(
        select(*unreviewed.c), select(*reviewed_first.c),
        select(*labelled(o_id, o_at, o_flags, literal(1), o_user, o_reviewed))).subquery()
    page = (select(both.c.id, func.max(both.c.at_local).label("at_local"),
                   func.max(both.c.flags).label("flags"),
                   func.max(both.c.outside).label("outside"),
                   func.max(both.c.user_id).label("user_id"))
            .group_by(both.c.id)
            .order_by(func.max(both.c.reviewed), func.max(both.c.at_local), both.c.id)
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=BigInteger)).subquery())  # ?page= up to 2^31
    sample = (select(candidate.audit_event_id, candidate.at_local, candidate.sample_key)
              .where(*_month(candidate),
                     ~exists().where(*_month(flag),
                                     flag.audit_event_id == candidate.audit_event_id),
                     candidate.audit_event_id.not_in(select(o_id)))
              .order_by(candidate.sample_key, candidate.audit_event_id)
              .limit(SAMPLE_SIZE).subquery())
    not_stored = o_flags.is_(None)  # an outside event not flagged otherwise
    return union_all(
        select(literal("n"), cast(none, Integer), cast(none, DateTime), cast(none, String),
               func.count(o_id).filter(not_stored),
               select(func.count()).select_from(reviewed).scalar_subquery()
               + func.count(o_id).filter(not_stored, o_reviewed == 1),
               func.count(o_user).filter(not_stored)).select_from(outside),
        select(literal("p"), *page.c, cast(none, BigInteger)),
        select(literal("c"), sample.c.audit_event_id, sample.c.at_local, cast(none, String),
               sample.c.sample_key, cast(none, Integer), cast(none, BigInteger)))


_WRITTEN: dict[tuple, TextClause] = {}
_WRITTEN_LIMIT = 64


def _page_written(organisation_id: int, month: date, per_page: int, page: int,
                  values: dict) -> TextClause:
    """`_page_statement` on PostgreSQL with its values written into the SQL, compiled once per
    organisation, month and page. Without parameters it has one plan, made when psycopg
    prepares it (its fifth run on the connection): with them, PostgreSQL planned it anew on
    every view (~3 ms; the generic plan, the page's LIMIT unknown, looked a little dearer
    than each custom one). The values are ids, dates, times and numbers, never text typed in."""
    key = (organisation_id, month, per_page, page)
    statement = _WRITTEN.get(key)
    if statement is None:
        if len(_WRITTEN) >= _WRITTEN_LIMIT:
            _WRITTEN.clear()
        statement = _WRITTEN[key] = written_sql(_page_statement("postgresql").params(**values))
    return statement


def _page_of_events(organisation_id: int, month: date, per_page: int) -> ReviewPage:
    """`ReviewPage` from all of the month's events (`month_review_of_events`), paged here:
    the stored review could not be used."""
    review = month_review_of_events(organisation_id, month)
    reviews = review_marks([e.id for e in review.flagged], organisation_id, month)[0]
    # Not yet reviewed first (a stable sort: each part stays in time order).
    flagged = sorted(review.flagged, key=lambda e: e.id in reviews)
    page, pages = page_of(len(flagged), per_page)
    shown = [e.id for e in flagged[(page - 1) * per_page:page * per_page]]
    reviewed = sum(e.id in reviews for e in review.flagged)
    return ReviewPage(review.total, len(flagged), len(flagged) - reviewed, page, pages, shown,
                      {i: review.flags[i] for i in shown},
                      [Item(e.id, e.at_local) for e in review.sample])


def review_page(organisation_id: int, month: date, per_page: int) -> ReviewPage:
    """The page of the month's review that ?page= asks for: the same as `_page_of_events`,
    from the stored review brought up to date, with only the page's rows read."""
    shifts = _shifts(month)
    if shifts is None:
        return _page_of_events(organisation_id, month, per_page)
    params = {**_params(organisation_id, month), **shifts}
    wanted = page_arg()

    def read(execute, page: int) -> list:
        values = {**params, "limit": per_page, "offset": (page - 1) * per_page,
                  "rows": page * per_page}
        if dialect_name() == "postgresql":
            return execute(_page_written(organisation_id, month, per_page, page, values),
                           {}).all()
        return execute(_page_statement("sqlite"), values).all()

    counts = _unchanged(params)
    if counts is not None:  # nothing to store: read what is stored on the request's session
        rows = read(run, wanted)
    else:
        try:
            with Session(db.engine) as session:
                counts = _update(session, organisation_id, month, params)
                rows = read(session.execute, wanted)
                session.commit()
        except SQLAlchemyError:  # storing is an optimisation: the page still shows the review
            log.warning("stored log review: %s %s failed", organisation_id, month,
                        exc_info=True)
            return _page_of_events(organisation_id, month, per_page)
    (_n, _id, _at, _text, outside_only, reviewed, outside_only_by_user), = (
        row for row in rows if row[0] == "n")
    flagged_total = counts.flagged + outside_only
    flagged_by_user = counts.flagged_with_user + outside_only_by_user
    page, pages = page_of(flagged_total, per_page)
    if page != wanted:  # asked past the last page: the last one
        rows = read(run, page)
    shown, flags, sample = [], {}, []
    for kind, event_id, at, joined, number, _user, _ in rows:
        if kind == "p":
            found = joined.split(",") if joined is not None else []
            shown.append(event_id)
            flags[event_id] = with_flag(found, "outside_caseload") if number else found
        elif kind == "c":
            sample.append(Item(event_id, at))
    if len(sample) < min(SAMPLE_SIZE, counts.with_user - flagged_by_user):
        # Most candidates flagged (a month of night work): draw from all of the month.
        return _page_of_events(organisation_id, month, per_page)
    sample.sort(key=lambda item: (item.at_local, item.id))
    return ReviewPage(counts.events, flagged_total, flagged_total - reviewed, page, pages, shown,
                      flags, sample)
