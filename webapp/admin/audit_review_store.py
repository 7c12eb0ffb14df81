"""The monthly log review, stored (issue 17): a view no longer reads the whole month's log.

The log is append-only, and most of what the review shows follows from the events alone: the
refusal, night and burst flags (`log_review.event_flags`, monotone: a new event can add a flag
to an older one, a burst, never take one away), which workers read which participants, and the
sample's candidates (the events with the smallest `log_review.sample_key`s). That is kept per
organisation and month (models AuditReviewMonth, ...Flag, ...Read, ...Candidate) for every
event up to `upto_id`, and each view adds the events since: flags of the new events and of the
older ones a new burst reaches (the same worker's events within the burst window around them),
new (worker, participant) pairs, and candidates that now rank among the first.

Whether a read was outside the worker's caseload depends on today's caseloads (DESIGN §3), so
it is worked out on every view: the month's distinct (worker, participant) pairs against
`caseloads_of`, and the events of the pairs outside read by index. Nothing to invalidate when
assignments change.

Events committed out of id order: `upto_id` only moves up to events older than SETTLE (a
request inserting an event with a smaller id commits within it); newer ones are added too, up
to `seen_id`, and read again only when their number (`seen_count`) grew: one committed late.
Storing holds a PostgreSQL advisory lock of the organisation (SQLite's single writer does the
same); if storing fails the review is worked out from all of the month's events, as before.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

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
from ..models import (
    AuditEvent,
    AuditReviewCandidate,
    AuditReviewFlag,
    AuditReviewMonth,
    AuditReviewRead,
    utcnow,
)
from ..queries import among
from ..timeutil import month_key
from .audit_queries import (
    ACCESS_COLUMNS,
    SAMPLE_SIZE,
    MonthReview,
    access_events,
    caseloads_of,
    month_review_of_events,
    month_where,
)

log = logging.getLogger(__name__)

# Counted up when the rules (log_review) or what is stored change: a month stored under other
# rules is worked out again from its events.
RULES = "2026-11-30"
CANDIDATES = 100  # the sample's candidates kept: 20 shown, the rest stand in for flagged ones
SETTLE = timedelta(minutes=2)
REVIEW_LOCK = 1717  # pg_advisory_xact_lock(REVIEW_LOCK, organisation id)
# Local time is UTC plus an offset that changes by an hour at a daylight-saving switch.
SLACK = BURST_WINDOW + timedelta(hours=1)


class Item(NamedTuple):
    """A flagged or sampled event as the page needs it: its id, in local time order."""
    id: int
    at_local: object


def _month(model, organisation_id: int, month: date) -> list:
    return [model.organisation_id == organisation_id, model.month == month]


def _counts(session: Session, where: list, above: int, upto: int) -> tuple[int, int]:
    """(events, events by a user) of the month with an id in (above, upto]."""
    if upto <= above:
        return 0, 0
    return tuple(session.execute(
        select(func.count(), func.count(AuditEvent.user_id))
        .where(*where, AuditEvent.id > above, AuditEvent.id <= upto)).one())


def _since(session: Session, organisation_id: int, month: date, where: list):
    """The month's stored state (None: none, or under other rules), the events to add, and
    the id up to which the stored flags already count every event (a burst reaches back to
    those). The events after `seen_id` are new; those between `upto_id` and `seen_id` (not
    settled) were added at an earlier view and are read again only when their number grew:
    one committed late, with an id among them."""
    state = session.get(AuditReviewMonth, (organisation_id, month), populate_existing=True)
    if state is None or state.rules != RULES:
        return state, session.execute(select(*ACCESS_COLUMNS).where(*where)).all(), 0
    after, known = state.seen_id, state.seen_id
    if (state.seen_id > state.upto_id
            and _counts(session, where, state.upto_id, state.seen_id)[0] != state.seen_count):
        after, known = state.upto_id, state.upto_id
    return state, session.execute(select(*ACCESS_COLUMNS).where(
        *where, AuditEvent.id > after)).all(), known


def _update(session: Session, organisation_id: int, month: date
            ) -> tuple[int, int, list, list, list]:
    """Add the events since the stored state; returns (events, events by a user) of the month
    and the stored flags, reads and candidates."""
    where = month_where(organisation_id, month)
    state, raw, known = _since(session, organisation_id, month, where)
    if raw or (state is not None and state.rules != RULES):
        # Something to store: under the lock, from the state as it is then (another view may
        # have stored the same events meanwhile).
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(REVIEW_LOCK, organisation_id)))
            state, raw, known = _since(session, organisation_id, month, where)
        if state is not None and state.rules != RULES:
            for model in (AuditReviewCandidate, AuditReviewRead, AuditReviewFlag,
                          AuditReviewMonth):
                session.execute(delete(model).where(*_month(model, organisation_id, month)))
            session.expunge(state)
            state, known = None, 0
    upto = state.upto_id if state is not None else 0
    seen = max(state.seen_id if state is not None else 0, known)
    new = access_events(raw)
    settled = upto
    if new:
        _add(session, organisation_id, month, known, where, raw, new)
        seen = max(seen, max(e.id for e in new))
    if seen > upto:
        # Only events older than SETTLE are settled (ids can commit out of order).
        recent = session.scalar(select(func.min(AuditEvent.id))
                                .where(AuditEvent.at >= utcnow() - SETTLE))
        settled = max(upto, min(seen, recent - 1) if recent is not None else seen)
    done, done_by_user = _counts(session, where, upto, settled)
    pending, pending_by_user = _counts(session, where, settled, seen)
    events = (state.events if state is not None else 0) + done
    with_user = (state.with_user if state is not None else 0) + done_by_user
    if state is None and new:
        session.add(AuditReviewMonth(organisation_id=organisation_id, month=month, rules=RULES,
                                     upto_id=settled, events=events, with_user=with_user,
                                     seen_id=seen, seen_count=pending))
    elif state is not None and (settled, seen, pending) != (
            state.upto_id, state.seen_id, state.seen_count):
        state.upto_id, state.events, state.with_user = settled, events, with_user
        state.seen_id, state.seen_count = seen, pending
    flags, reads, candidates = (_stored(session, organisation_id, month)
                                if state is not None or new else ([], [], []))
    session.commit()
    return events + pending, with_user + pending_by_user, flags, reads, candidates


def _stored(session: Session, organisation_id: int, month: date) -> tuple[list, list, list]:
    """The month's stored flags (id, at_local, user_id, flags), reads (user_id, participant_id)
    and candidates (id, at_local; first in the month's random order first), in one
    statement."""
    none = null()
    rows = session.execute(union_all(
        select(literal("f"), AuditReviewFlag.audit_event_id, AuditReviewFlag.user_id,
               AuditReviewFlag.at_local, AuditReviewFlag.flags, cast(none, BigInteger))
        .where(*_month(AuditReviewFlag, organisation_id, month)),
        select(literal("r"), AuditReviewRead.user_id, AuditReviewRead.participant_id,
               cast(none, DateTime), cast(none, String), cast(none, BigInteger))
        .where(*_month(AuditReviewRead, organisation_id, month)),
        select(literal("c"), AuditReviewCandidate.audit_event_id, cast(none, Integer),
               AuditReviewCandidate.at_local, cast(none, String),
               AuditReviewCandidate.sample_key)
        .where(*_month(AuditReviewCandidate, organisation_id, month)))).all()
    flags = [(a, at, b, text) for kind, a, b, at, text, _key in rows if kind == "f"]
    reads = [(a, b) for kind, a, b, _at, _text, _key in rows if kind == "r"]
    candidates = sorted(((key, a, at) for kind, a, _b, at, _text, key in rows if kind == "c"),
                        key=lambda c: (c[0], c[1]))
    return flags, reads, [(a, at) for _key, a, at in candidates]


def _add(session: Session, organisation_id: int, month: date, known: int, where: list,
         raw: list, new: list[AccessEvent]) -> None:
    """Store what the new events add: flags (theirs, and bursts they make of older events),
    reads and candidates. Idempotent: an event seen again (not settled yet) adds nothing."""
    key = dict(organisation_id=organisation_id, month=month)
    # A burst joins the same worker's events within the window around the new ones.
    burst_users = {e.user_id for e in new if e.role in WORKER_ROLES and e.action != "list"
                   and e.user_id is not None and e.participant_id is not None}
    context: list[AccessEvent] = []
    if burst_users and known:
        lo, hi = min(row.at for row in raw), max(row.at for row in raw)
        context = access_events(session.execute(select(*ACCESS_COLUMNS).where(
            *where, AuditEvent.id <= known, among(AuditEvent.user_id, burst_users),
            AuditEvent.role.in_(WORKER_ROLES), AuditEvent.action != "list",
            AuditEvent.participant_id.is_not(None),
            AuditEvent.at >= lo - SLACK, AuditEvent.at <= hi + SLACK)))
    found = event_flags(context + new)
    if found:
        stored = dict(session.execute(
            select(AuditReviewFlag.audit_event_id, AuditReviewFlag.flags).where(
                *_month(AuditReviewFlag, organisation_id, month),
                among(AuditReviewFlag.audit_event_id, found))).all())
        by_id = {e.id: e for e in context + new}
        added, changed = [], []
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
        known = set(session.execute(
            select(AuditReviewRead.user_id, AuditReviewRead.participant_id).where(
                *_month(AuditReviewRead, organisation_id, month),
                among(AuditReviewRead.user_id, {user for user, _ in pairs}))).all())
        if pairs - known:
            session.execute(insert(AuditReviewRead), [
                dict(key, user_id=user, participant_id=pid) for user, pid in pairs - known])
    seed = month_key(month)
    ranked = {e.id: (sample_key(seed, e.id), e.at_local) for e in new if e.user_id is not None}
    if ranked:
        kept = dict(session.execute(
            select(AuditReviewCandidate.audit_event_id, AuditReviewCandidate.sample_key)
            .where(*_month(AuditReviewCandidate, organisation_id, month))).all())
        keys = {**{i: k for i, (k, _at) in ranked.items()}, **kept}
        first = set(sorted(keys, key=lambda i: (keys[i], i))[:CANDIDATES])
        gone = set(kept) - first
        if gone:
            session.execute(delete(AuditReviewCandidate).where(
                *_month(AuditReviewCandidate, organisation_id, month),
                among(AuditReviewCandidate.audit_event_id, gone)))
        entering = [dict(key, audit_event_id=i, sample_key=ranked[i][0], at_local=ranked[i][1])
                    for i in first - set(kept)]
        if entering:
            session.execute(insert(AuditReviewCandidate), entering)


def month_review(organisation_id: int, month: date) -> MonthReview:
    """The month's events flagged, and the sample to read (the same on every visit): the same
    as `month_review_of_events`, from the stored review brought up to date."""
    try:
        with Session(db.engine) as session:
            total, with_user, stored, reads, candidates = _update(session, organisation_id,
                                                                  month)
    except SQLAlchemyError:  # storing is an optimisation: the page still shows the review
        log.warning("stored log review: %s %s failed", organisation_id, month, exc_info=True)
        return month_review_of_events(organisation_id, month)
    flags = {event_id: text.split(",") for event_id, _at, _user, text in stored}
    items = {event_id: (at, user_id) for event_id, at, user_id, _text in stored}
    # Outside the caseload: today's caseloads, for the month's distinct (worker, participant).
    read: dict[int, set[int]] = {}
    for user_id, participant_id in reads:
        read.setdefault(user_id, set()).add(participant_id)
    loads = caseloads_of(read)
    outside = [(user_id, pid) for user_id, pids in read.items() for pid in pids
               if pid not in loads.get(user_id, set())]
    if outside:
        for event in access_events(db.session.connection().execute(
                select(*ACCESS_COLUMNS).where(
                    *month_where(organisation_id, month), AuditEvent.action == "read",
                    AuditEvent.role.in_(CASELOAD_ROLES),
                    tuple_(AuditEvent.user_id, AuditEvent.participant_id).in_(outside)))):
            flags[event.id] = with_flag(flags.get(event.id, []), "outside_caseload")
            items[event.id] = (event.at_local, event.user_id)
    flagged = sorted((Item(event_id, at) for event_id, (at, _user) in items.items()),
                     key=lambda item: (item.at_local, item.id))
    pool = with_user - sum(user is not None for _at, user in items.values())
    sample = [Item(event_id, at) for event_id, at in candidates
              if event_id not in flags][:SAMPLE_SIZE]
    if len(sample) < min(SAMPLE_SIZE, pool):
        # Most candidates flagged (a month of night work): draw from all of the month.
        return month_review_of_events(organisation_id, month)
    sample.sort(key=lambda item: (item.at_local, item.id))
    return MonthReview(total, flags, flagged, sample)
