"""The stored monthly log review (issue 17): each view adds only the events since the last one,
and shows exactly what working the review out from all of the month's events shows."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from tests.factories import make_participant
from tests.test_admin_audit import add_event
from webapp.admin import audit_review_store
from webapp.admin.audit_queries import SAMPLE_SIZE, month_review_of_events
from webapp.models import (
    AuditReviewCandidate,
    AuditReviewFlag,
    AuditReviewMonth,
    StaffAssignment,
)

MONTH = date(2026, 2, 1)


def _same(app, org_id):
    """The stored review (brought up to date) and the one from all events, compared."""
    with app.test_request_context():
        stored = audit_review_store.month_review(org_id, MONTH)
        full = month_review_of_events(org_id, MONTH)
    assert stored.total == full.total
    assert stored.flags == full.flags
    assert [e.id for e in stored.flagged] == [e.id for e in full.flagged]
    assert [e.id for e in stored.sample] == [e.id for e in full.sample]
    return stored


def test_stored_review_adds_new_events_and_bursts_reaching_back(db, app, world):
    staff = world.users["staff"]
    people = [make_participant(world.org, world.team, f"P{i}", f"Store{i}") for i in range(24)]
    start = datetime(2026, 2, 3, 10, 0)
    # Twelve reads, then a view: no burst yet.
    first = [add_event(db, staff, p, start + timedelta(seconds=20 * i))
             for i, p in enumerate(people[:12])]
    night = add_event(db, staff, world.participant, datetime(2026, 2, 4, 23, 15))
    db.session.commit()
    review = _same(app, world.org.id)
    assert review.total == 13 and list(review.flags) == [night.id]
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert state.upto_id == night.id and state.events == 13
    # Twelve more people within the window: the burst reaches the twelve stored before.
    later = [add_event(db, staff, p, start + timedelta(seconds=240 + 20 * i))
             for i, p in enumerate(people[12:])]
    db.session.commit()
    review = _same(app, world.org.id)
    assert review.total == 25
    assert {e.id for e in first + later} <= {i for i, f in review.flags.items() if "burst" in f}
    assert db.session.scalar(select(func.count()).select_from(AuditReviewFlag)) == 25
    # Nothing new: the same review again, and nothing stored twice.
    assert _same(app, world.org.id).flags == review.flags
    assert db.session.scalar(select(func.count()).select_from(AuditReviewFlag)) == 25


def test_outside_caseload_follows_todays_assignments(db, app, world):
    """Not stored: assigning the worker afterwards takes the flag away on the next view."""
    staff = world.users["staff"]
    outside = add_event(db, staff, world.other, datetime(2026, 2, 5, 10, 0))
    add_event(db, staff, world.participant, datetime(2026, 2, 5, 10, 5))
    db.session.commit()
    assert _same(app, world.org.id).flags == {outside.id: ["outside_caseload"]}
    db.session.add(StaffAssignment(participant_id=world.other.id, user_id=staff.id))
    db.session.commit()
    assert _same(app, world.org.id).flags == {}


def test_stored_sample_is_stable_and_only_kept_from_the_first_candidates(db, app, world):
    staff = world.users["staff"]
    for day in range(1, 28):
        for minute in range(0, 60, 10):
            add_event(db, staff, world.participant, datetime(2026, 2, day, 10, minute))
    db.session.commit()
    review = _same(app, world.org.id)
    assert len(review.sample) == SAMPLE_SIZE
    assert db.session.scalar(select(func.count()).select_from(AuditReviewCandidate)) == (
        audit_review_store.CANDIDATES)
    # More events: the sample only changes where a new event ranks first, and is the same
    # as drawing from all of the month's events.
    for minute in range(0, 60, 5):
        add_event(db, staff, world.participant, datetime(2026, 2, 28, 9, minute))
    db.session.commit()
    again = _same(app, world.org.id)
    assert len(set(e.id for e in again.sample) & set(e.id for e in review.sample)) >= (
        SAMPLE_SIZE - 12)
    # Most candidates flagged at night: the review still draws a full sample from the month.
    for minute in range(0, 60):
        add_event(db, staff, world.participant, datetime(2026, 2, 28, 23, minute))
    db.session.commit()
    assert len(_same(app, world.org.id).sample) == SAMPLE_SIZE


def test_events_of_the_last_minutes_are_counted_but_not_stored_as_done(db, app, world):
    """Ids can commit out of order: the stored state only moves past settled events."""
    from webapp.models import AuditEvent, utcnow

    staff = world.users["staff"]
    old = add_event(db, staff, world.participant, datetime(2026, 2, 6, 10, 0))
    db.session.commit()
    from webapp.timeutil import local_today

    month = local_today().replace(day=1)
    recent = AuditEvent(at=utcnow(), user_id=staff.id, role="staff", action="read",
                        object_type="identity", path="/x", participant_id=world.participant.id)
    db.session.add(recent)
    db.session.commit()
    with app.test_request_context():
        review = audit_review_store.month_review(world.org.id, month)
        assert review.total == month_review_of_events(world.org.id, month).total >= 1
        assert audit_review_store.month_review(world.org.id, month).total == review.total
    state = db.session.get(AuditReviewMonth, (world.org.id, month))
    assert state.upto_id < recent.id and state.upto_id >= old.id
    assert state.events == review.total - 1


def test_a_burst_adds_to_the_stored_flags_of_night_events(db, app, world):
    """Events stored with a flag (night) get the burst flag added, in flag order."""
    staff = world.users["staff"]
    people = [make_participant(world.org, world.team, f"N{i}", f"Natt{i}") for i in range(22)]
    start = datetime(2026, 2, 9, 23, 0)
    first = [add_event(db, staff, p, start + timedelta(seconds=15 * i))
             for i, p in enumerate(people[:11])]
    db.session.commit()
    assert _same(app, world.org.id).flags == {e.id: ["night"] for e in first}
    for i, p in enumerate(people[11:]):
        add_event(db, staff, p, start + timedelta(minutes=3, seconds=15 * i))
    db.session.commit()
    review = _same(app, world.org.id)
    assert all(review.flags[e.id] == ["night", "burst"] for e in first)
    stored = dict(db.session.execute(select(AuditReviewFlag.audit_event_id,
                                            AuditReviewFlag.flags)).all())
    assert all(stored[e.id] == "night,burst" for e in first)


def test_a_month_stored_under_other_rules_is_worked_out_again(db, app, world):
    staff = world.users["staff"]
    night = add_event(db, staff, world.participant, datetime(2026, 2, 10, 23, 0))
    add_event(db, staff, world.participant, datetime(2026, 2, 10, 12, 0))
    db.session.commit()
    _same(app, world.org.id)
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    state.rules, state.events = "older rules", 99  # and counted differently then
    db.session.execute(AuditReviewFlag.__table__.delete())
    db.session.commit()
    review = _same(app, world.org.id)
    assert review.total == 2 and review.flags == {night.id: ["night"]}
    db.session.expire_all()
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert state.rules == audit_review_store.RULES and state.events == 2


def test_an_event_committed_late_below_the_seen_id_is_added_at_the_next_view(
        db, app, world, monkeypatch):
    """Events not settled yet are added once and not read again at every view; one that
    commits later with a smaller id (its transaction took its id first) is still added."""
    from webapp.models import AuditEvent
    from webapp.timeutil import to_utc

    monkeypatch.setattr(audit_review_store, "SETTLE", timedelta(days=3650))  # none settles
    staff = world.users["staff"]
    first = add_event(db, staff, world.participant, datetime(2026, 2, 11, 10, 0))
    db.session.commit()

    def event(event_id, local):
        db.session.add(AuditEvent(id=event_id, at=to_utc(local), user_id=staff.id,
                                  role="staff", action="read", object_type="identity",
                                  path="/x", participant_id=world.participant.id))
        db.session.commit()

    event(first.id + 2, datetime(2026, 2, 11, 11, 0))  # id first.id + 1: still open
    assert _same(app, world.org.id).total == 2
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert state.upto_id < first.id and (state.seen_id, state.seen_count) == (first.id + 2, 2)
    reads = []

    def listen(_conn, _cursor, statement, params, *_args):
        values = params.values() if isinstance(params, dict) else params
        reads.append((statement, list(values)))

    from sqlalchemy import event as sa_event
    sa_event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert _same(app, world.org.id).total == 2  # nothing new: nothing read again
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listen)
    event_reads = [values for statement, values in reads if "count(" not in statement
                   and "FROM audit_events" in statement and "audit_events.id >" in statement]
    assert event_reads == []  # only counted after upto_id, in the check
    event(first.id + 1, datetime(2026, 2, 11, 23, 30))  # commits late, at night
    review = _same(app, world.org.id)
    assert review.total == 3 and review.flags == {first.id + 1: ["night"]}
    db.session.expire_all()
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert (state.seen_id, state.seen_count) == (first.id + 2, 3)
