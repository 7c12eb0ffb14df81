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
    """The stored review (brought up to date) and the one from all events, compared; so are
    the month's stored flag counts and every page of the review page (`_same_pages`)."""
    with app.test_request_context():
        stored = audit_review_store.month_review(org_id, MONTH)
        full = month_review_of_events(org_id, MONTH)
    assert stored.total == full.total
    assert stored.flags == full.flags
    assert [e.id for e in stored.flagged] == [e.id for e in full.flagged]
    assert [e.id for e in stored.sample] == [e.id for e in full.sample]
    _same_counts(org_id, full)
    _same_pages(app, org_id)
    return stored


def _same_counts(org_id, full):
    """The month's stored counts are its flag rows, and the events the rules flag counted
    afresh (all but those only outside the caseload: worked out per view, never stored)."""
    from webapp.extensions import db

    state = db.session.get(AuditReviewMonth, (org_id, MONTH), populate_existing=True)
    rows = db.session.execute(select(func.count(), func.count(AuditReviewFlag.user_id)).where(
        AuditReviewFlag.organisation_id == org_id, AuditReviewFlag.month == MONTH)).one()
    by_rules = [e for e in full.flagged if full.flags[e.id] != ["outside_caseload"]]
    assert (state.flagged, state.flagged_with_user) == tuple(rows) == (
        len(by_rules), sum(e.user_id is not None for e in by_rules))


def _same_pages(app, org_id, per_page=4):
    """Every page of the review page (and one past the last) as worked out from all of the
    month's events: counts, rows in order, their flags, the sample."""
    page, pages = 1, 1
    while page <= pages + 1:
        with app.test_request_context(f"/?page={page}"):
            paged = audit_review_store.review_page(org_id, MONTH, per_page)
            before = _page_from_all_events(org_id, MONTH, per_page)
        assert paged == before, page
        page, pages = page + 1, paged.pages


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


def _page_and_statements(db, client):
    """The review page of MONTH (its CSRF token left out) and the statements it ran."""
    import re

    from sqlalchemy import event as sa_event

    seen = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listen)
    try:
        response = client.get("/admin/audit/review?month=2026-02")
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listen)
    assert response.status_code == 200
    # The CSRF token (in the form and in htmx's headers) carries the second it was signed.
    return re.sub(r'csrf_token" value="[^"]*"|"X-CSRFToken": "[^"]*"', "",
                  response.get_data(as_text=True)), seen


def test_a_view_with_nothing_new_checks_once_and_shows_the_same_page(db, app, client,
                                                                    login_as, world):
    """Nothing added since the stored state: one statement checks that, one reads what is
    stored (and today's outside-caseload reads), nothing is written, and the page is the same
    as the view that stored it. A new event afterwards is added at the next view."""
    staff = world.users["staff"]
    secret = make_participant(world.org, world.team, "Hemlig", "Person", protected=True)
    night = add_event(db, staff, world.participant, datetime(2026, 2, 13, 23, 30))
    outside = add_event(db, staff, world.other, datetime(2026, 2, 13, 10, 0))
    for minute in range(5):
        add_event(db, staff, secret, datetime(2026, 2, 14, 10, minute))
    db.session.commit()
    login_as("admin")
    stored_page, storing = _page_and_statements(db, client)
    assert any(statement.lstrip().startswith("INSERT") for statement in storing)
    page, statements = _page_and_statements(db, client)
    assert page == stored_page
    assert f'id="event-{night.id}"' in page and f'id="event-{outside.id}"' in page
    assert "Skyddad" in page and "Hemlig" not in page  # the admin is not assigned
    # The signed-in user, the check, the stored review, the marks with the sign-off, the
    # shown events with their names: no write, no lock, no event read again.
    assert len(statements) == 5
    assert not any(s.lstrip().startswith(("INSERT", "UPDATE", "DELETE")) or "advisory" in s
                   for s in statements)
    assert sum("FROM audit_review_months" in s for s in statements) == 1
    assert _same(app, world.org.id).flags == {night.id: ["night"],
                                              outside.id: ["outside_caseload"]}
    later = add_event(db, staff, world.participant, datetime(2026, 2, 15, 23, 0))
    db.session.commit()
    page, statements = _page_and_statements(db, client)
    assert f'id="event-{later.id}"' in page and "8 händelser" in page
    assert len(statements) > 5


def test_outside_caseload_in_the_database_is_exactly_scope_or_direct_assignment(db, app,
                                                                                world):
    """The stored review checks every worker's reads against today's scopes in one statement
    (`access.visible_to`): the same pairs as access.py's own rules, for every caseload role,
    a stray assignment row included, and a tenant of another housing team's apartment (its
    teams are the reading user's, not anyone's)."""
    from tests.factories import make_team, make_user
    from tests.test_admin_audit import _access_rules_caseload

    users = world.users
    third = make_participant(world.org, world.other_team, "Tredje", "Person")
    for role in ("social_worker", "housing", "other_staff"):
        db.session.add(StaffAssignment(participant_id=third.id, user_id=users[role].id))
    elsewhere = make_team(world.org, "Bostad 2", kind="housing")
    make_user(world.org, "housing", "housing2", teams=[elsewhere])
    tenant = make_participant(world.org, world.other_team, "Fjärde", "Person",
                              housing_team=elsewhere)
    everyone = [world.participant, world.other, third, tenant]
    events = []
    for n, role in enumerate(("staff", "other_staff", "social_worker", "housing")):
        for m, person in enumerate(everyone):
            events.append(add_event(db, users[role], person,
                                    datetime(2026, 2, 16, 10, 5 * n + m)))
    db.session.commit()
    review = _same(app, world.org.id)
    with app.test_request_context():
        caseload = {role: _access_rules_caseload(users[role], [p.id for p in everyone])
                    for role in ("staff", "other_staff", "social_worker", "housing")}
    expected = {e.id for e in events
                if e.participant_id not in caseload[next(r for r in caseload
                                                         if users[r].id == e.user_id)]}
    assert {i for i, flags in review.flags.items() if "outside_caseload" in flags} == expected
    assert expected and len(expected) < len(events)


def test_an_event_committed_while_a_view_reads_is_added_at_the_next(db, app, world):
    """An event that commits after the view read the new events, with an id among them: the
    view settles nothing and leaves a count that never matches, so the next view reads again
    from `upto_id` and adds it (settled, it would never be read)."""
    from sqlalchemy import event as sa_event

    from webapp.models import AuditEvent
    from webapp.timeutil import to_utc

    staff = world.users["staff"]
    first = add_event(db, staff, world.participant, datetime(2026, 2, 17, 10, 0))
    db.session.commit()
    _same(app, world.org.id)
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert state.upto_id == first.id  # February's events are long settled

    def row(event_id, local):
        return dict(id=event_id, at=to_utc(local), user_id=staff.id, role="staff",
                    action="read", object_type="identity", path="/x", detail="", ip="",
                    participant_id=world.participant.id)

    with db.engine.begin() as connection:  # id first.id + 1 is taken by a request still open
        connection.execute(AuditEvent.__table__.insert(),
                           row(first.id + 2, datetime(2026, 2, 17, 11, 0)))
    late = []

    def commit_late(_conn, _cursor, statement, *_args):
        if not late and "audit_events.id >" in statement and "count(" not in statement:
            late.append(True)  # ...and commits right after this view read the new ones
            with db.engine.begin() as connection:
                connection.execute(AuditEvent.__table__.insert(),
                                   row(first.id + 1, datetime(2026, 2, 17, 23, 30)))

    sa_event.listen(db.engine, "after_cursor_execute", commit_late)
    try:
        with app.test_request_context():
            audit_review_store.month_review(world.org.id, MONTH)
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", commit_late)
    assert late
    db.session.expire_all()
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert (state.upto_id, state.seen_count) == (first.id, -1)
    review = _same(app, world.org.id)
    assert review.total == 3 and review.flags == {first.id + 1: ["night"]}
    db.session.expire_all()
    state = db.session.get(AuditReviewMonth, (world.org.id, MONTH))
    assert state.upto_id == state.seen_id == first.id + 2 and state.seen_count == 0


def _rows(staff, participant, ids_and_times, action="read"):
    """Audit rows with the given ids (as a request holding those ids would commit them)."""
    from webapp.timeutil import to_utc

    return [dict(id=event_id, at=to_utc(local), user_id=staff.id, role="staff", action=action,
                 object_type="identity", path="/x", detail="", ip="",
                 participant_id=participant.id) for event_id, local in ids_and_times]


def _commit_rows(db, rows):
    from webapp.models import AuditEvent

    with db.engine.begin() as connection:
        connection.execute(AuditEvent.__table__.insert(), rows)


def _state(db, org_id, month=MONTH):
    db.session.expire_all()
    return db.session.get(AuditReviewMonth, (org_id, month))


def test_an_event_older_than_settle_settles_only_the_ids_up_to_itself(db, app, world,
                                                                       monkeypatch):
    """An id just below a young event may still be committing: an older event settles the ids
    up to itself, not up to the young one (the id between them is counted when it commits)."""
    from webapp.models import utcnow
    from webapp.timeutil import to_utc

    # Events before 12 February are older than SETTLE, those after it younger.
    monkeypatch.setattr(audit_review_store, "SETTLE", utcnow() - to_utc(datetime(2026, 2, 12)))
    staff = world.users["staff"]
    old = add_event(db, staff, world.participant, datetime(2026, 2, 11, 10, 0))
    db.session.commit()
    _commit_rows(db, _rows(staff, world.participant, [(old.id + 2, datetime(2026, 2, 13, 10, 0))]))
    assert _same(app, world.org.id).total == 2
    assert _state(db, world.org.id).upto_id == old.id  # not old.id + 1: it may still commit
    _commit_rows(db, _rows(staff, world.participant, [(old.id + 1, datetime(2026, 2, 13, 23, 0))]))
    review = _same(app, world.org.id)
    assert review.total == 3 and review.flags == {old.id + 1: ["night"]}


def test_a_late_commit_below_many_newer_events_is_counted(db, app, world, monkeypatch):
    """A high rate: far more than SPAN events commit after an id still open (all younger than
    SETTLE). The gap holds the stored state below it (nothing settles past an id that may
    commit), the event is counted when it commits, and then all but the newest SPAN settle."""
    from webapp.models import utcnow
    from webapp.timeutil import to_utc

    # Events before 10 February are older than SETTLE, those after it younger.
    monkeypatch.setattr(audit_review_store, "SETTLE", utcnow() - to_utc(datetime(2026, 2, 10)))
    span = audit_review_store.SPAN
    staff = world.users["staff"]
    first = add_event(db, staff, world.participant, datetime(2026, 2, 9, 9, 0))
    db.session.commit()
    newer = [(first.id + 2 + i, datetime(2026, 2, 11, 10, 0) + timedelta(seconds=10 * i))
             for i in range(3 * span)]
    _commit_rows(db, _rows(staff, world.participant, newer))
    assert _same(app, world.org.id).total == 1 + 3 * span
    state = _state(db, world.org.id)
    assert state.upto_id == first.id and state.seen_id == newer[-1][0]
    assert _same(app, world.org.id).total == 1 + 3 * span  # nothing new: the same
    _commit_rows(db, _rows(staff, world.participant, [(first.id + 1,
                                                       datetime(2026, 2, 11, 23, 30))]))
    review = _same(app, world.org.id)
    assert review.total == 2 + 3 * span and review.flags == {first.id + 1: ["night"]}
    state = _state(db, world.org.id)
    assert state.seen_id - state.upto_id == span and state.seen_count == span
    assert state.events == review.total - span
    assert _same(app, world.org.id).total == review.total


def test_many_events_within_the_settle_window_leave_only_span_to_check(db, app, world):
    """The log's rate: three times SPAN events of the last minutes (all younger than SETTLE).
    Their ids are unbroken, so all but the newest SPAN settle at once, and a later view with
    nothing new checks only those: no event read again, nothing written."""
    from sqlalchemy import event as sa_event

    from webapp.models import AuditEvent, utcnow
    from webapp.timeutil import local_today

    span = audit_review_store.SPAN
    staff = world.users["staff"]
    month = local_today().replace(day=1)
    # The log before them: an event long settled (nothing settles above ids that may yet
    # commit, and on PostgreSQL the ids of earlier tests' rows are missing).
    add_event(db, staff, world.participant, datetime(2026, 2, 1, 10, 0))
    people = [world.participant, world.other]
    events = []
    for i in range(3 * span):
        event = AuditEvent(at=utcnow(), user_id=staff.id, role="staff", action="list",
                           object_type="participant", path="/participants",
                           participant_id=people[i % 2].id)
        db.session.add(event)
        db.session.flush()
        events.append(event)
    db.session.commit()
    with app.test_request_context():
        review = audit_review_store.month_review(world.org.id, month)
        full = month_review_of_events(world.org.id, month)
    assert (review.total, review.flags) == (full.total, full.flags) and full.total >= 3 * span
    assert [e.id for e in review.sample] == [e.id for e in full.sample]
    state = _state(db, world.org.id, month)
    assert state.seen_id == events[-1].id and state.upto_id == events[-span - 1].id
    assert state.seen_count == span and state.events == review.total - span
    seen = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.test_request_context():
            assert audit_review_store.month_review(world.org.id, month).total == full.total
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listen)
    assert sum("audit_" in s for s in seen) == 2  # the check, the stored review
    assert not any(s.lstrip().startswith(("INSERT", "UPDATE", "DELETE")) for s in seen)


def test_a_transaction_still_open_below_many_committed_events_is_counted(db, app, world):
    """PostgreSQL, real transactions: a request has taken an id and not committed yet while
    others commit many events after it (a view reads in between); it commits, and the next view
    counts it."""
    import pytest

    from webapp.models import AuditEvent, utcnow
    from webapp.timeutil import local_today

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: ids commit in order")
    staff = world.users["staff"]
    month = local_today().replace(day=1)

    def row():
        return dict(at=utcnow(), user_id=staff.id, role="staff", action="read",
                    object_type="identity", path="/x", detail="", ip="", object_id=None,
                    participant_id=world.participant.id)

    db.session.commit()
    table = AuditEvent.__table__
    with db.engine.connect() as open_request:
        open_request.begin()
        late_id = open_request.execute(table.insert().returning(table.c.id), row()).scalar()
        with db.engine.begin() as connection:  # the others, after it
            connection.execute(table.insert(), [row() for _ in range(2 * audit_review_store.SPAN)])
        with app.test_request_context():
            before = audit_review_store.month_review(world.org.id, month)
            assert before.total == month_review_of_events(world.org.id, month).total
        open_request.commit()
    with app.test_request_context():
        after = audit_review_store.month_review(world.org.id, month)
        full = month_review_of_events(world.org.id, month)
    assert after.total == full.total == before.total + 1
    assert (after.flags, [e.id for e in after.sample]) == (full.flags,
                                                          [e.id for e in full.sample])
    assert late_id > 0


def test_a_month_of_night_work_draws_its_sample_from_the_stored_candidates(db, app, world,
                                                                           monkeypatch):
    """Events flagged when added (night, refusals, bursts: these flags never go) are no
    candidates: with most of a month's events at night, the sample still comes from the stored
    candidates, not from reading all of the month's events at every view, and is the same."""
    staff = world.users["staff"]
    for day in range(1, 26):
        for minute in range(0, 60, 10):
            add_event(db, staff, world.participant, datetime(2026, 2, day, 23, minute))
        add_event(db, staff, world.participant, datetime(2026, 2, day, 11, 0))
    db.session.commit()
    _same(app, world.org.id)  # stored

    def whole_month(*_args):
        raise AssertionError("the sample was drawn from all of the month's events")

    monkeypatch.setattr(audit_review_store, "month_review_of_events", whole_month)
    with app.test_request_context():
        stored = audit_review_store.month_review(world.org.id, MONTH)
    monkeypatch.undo()
    with app.test_request_context():
        full = month_review_of_events(world.org.id, MONTH)
    assert len(full.sample) == SAMPLE_SIZE and len(full.flagged) == 25 * 6
    assert (stored.total, stored.flags) == (full.total, full.flags)
    assert [e.id for e in stored.sample] == [e.id for e in full.sample]


def _page_from_all_events(organisation_id, month, per_page):
    """The review page as the route worked it out before paging in the database: from all of
    the month's events, the marks of every flagged one, not yet reviewed first."""
    from webapp.admin.audit_queries import review_marks
    from webapp.inputs import page_of

    review = month_review_of_events(organisation_id, month)
    reviews = review_marks([e.id for e in review.flagged], organisation_id, month)[0]
    flagged = sorted(review.flagged, key=lambda e: e.id in reviews)
    page, pages = page_of(len(flagged), per_page)
    shown = [e.id for e in flagged[(page - 1) * per_page:page * per_page]]
    return audit_review_store.ReviewPage(
        review.total, len(flagged), sum(e.id not in reviews for e in flagged), page, pages,
        shown, {i: review.flags[i] for i in shown},
        [audit_review_store.Item(e.id, e.at_local) for e in review.sample])


def test_the_flagged_list_paged_in_the_database_shows_every_page_as_before(
        db, app, client, login_as, world, monkeypatch):
    """Many flagged events of every kind (night, burst, refused, outside today's caseloads by
    day and by night), some reviewed: every page of the list, and a page past the last, is
    the same HTML as worked out from all of the month's events, in a month without a
    daylight-saving change and in the two with one (October: an hour's local times repeat,
    so local order is not UTC order)."""
    import re

    from webapp.models import AuditEvent, AuditReview

    staff, admin = world.users["staff"], world.users["admin"]
    people = [make_participant(world.org, world.team, f"P{i}", f"Page{i}") for i in range(22)]
    months = {"2026-02": date(2026, 2, 1), "2026-03": date(2026, 3, 1),
              "2026-10": date(2026, 10, 1)}
    events = []
    for month in months.values():
        day = month.replace(day=10)
        for i in range(40):  # night reads, in and outside the caseload
            who = world.other if i % 3 == 0 else world.participant
            events.append(add_event(db, staff, who, datetime.combine(day, datetime.min.time())
                                    + timedelta(hours=23, minutes=i)))
        for i in range(6):  # outside by day, same minute as another (order by id)
            events.append(add_event(db, staff, world.other, datetime.combine(
                day, datetime.min.time()) + timedelta(hours=10, minutes=i // 2)))
        for i, person in enumerate(people):  # a burst
            events.append(add_event(db, staff, person, datetime.combine(
                day, datetime.min.time()) + timedelta(hours=14, seconds=10 * i)))
        for i in range(4):
            events.append(add_event(db, staff, world.participant, datetime.combine(
                day, datetime.min.time()) + timedelta(hours=12, minutes=i), action="refused"))
        for i in range(30):  # unflagged: the sample
            events.append(add_event(db, staff, world.participant, datetime.combine(
                day, datetime.min.time()) + timedelta(hours=9, minutes=i)))
    # Around the switches (local times given as UTC + the offset by `to_utc` would be
    # ambiguous in October: inserted in UTC).
    for at in (datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 30),
               datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 0, 50),
               datetime(2026, 10, 25, 1, 10), datetime(2026, 10, 25, 1, 40)):
        for who in (world.other, world.participant):
            event = AuditEvent(at=at, user_id=staff.id, role=staff.role, action="read",
                               object_type="identity", path="/x", participant_id=who.id)
            db.session.add(event)
            db.session.flush()
            events.append(event)
    for event in events[::4]:
        db.session.add(AuditReview(audit_event_id=event.id, reviewed_by_id=admin.id,
                                   comment="ok"))
    db.session.commit()
    login_as("admin")

    def pages_of(month_text):
        shown = []
        for page in range(1, 6):
            response = client.get(f"/admin/audit/review?month={month_text}&page={page}")
            assert response.status_code == 200
            # The CSRF tokens left out: signed with the second they were made.
            shown.append(re.sub(r'(csrf_token" value="|"X-CSRFToken": ")[^"]*"', "",
                                response.get_data(as_text=True)))
        return shown

    for month_text, month in months.items():
        with app.test_request_context():
            stored = audit_review_store.review_page(world.org.id, month, 30)
        assert stored.flagged_total > 60 and stored.pages >= 3
        assert 0 < stored.unreviewed_flagged < stored.flagged_total
        paged = pages_of(month_text)
        with monkeypatch.context() as patch:
            patch.setattr(audit_review_store, "review_page", _page_from_all_events)
            before = pages_of(month_text)
        ids = [re.findall(r'id="event-(\d+)"', page) for page in paged]
        assert ids == [re.findall(r'id="event-(\d+)"', page) for page in before], month_text
        assert paged == before
        # Past the last page: the last one.
        assert (re.findall(r'id="event-\d+"', paged[4])
                == re.findall(r'id="event-\d+"', paged[stored.pages - 1]))
        assert "Utanför egna ärenden" in "".join(paged) and "Nekad åtkomst" in "".join(paged)


def test_local_time_in_sql_is_the_local_time_of_access_events(db, app, world):
    """`_local` (the outside-caseload events' local time, ordered in the database) is exactly
    `access_events`' local time, across both daylight-saving changes, microseconds kept."""
    from webapp.admin.audit_queries import ACCESS_COLUMNS, access_events
    from webapp.models import AuditEvent
    from webapp.queries import dialect_name

    staff = world.users["staff"]
    times = [datetime(2026, 3, 29, 0, 59, 59, 999999), datetime(2026, 3, 29, 1, 0),
             datetime(2026, 3, 29, 1, 30, 0, 1234), datetime(2026, 3, 1, 0, 0),
             datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 0, 59, 59, 500000),
             datetime(2026, 10, 25, 1, 0), datetime(2026, 10, 25, 1, 40, 12, 345678),
             datetime(2026, 10, 31, 22, 59, 59), datetime(2026, 10, 1, 12, 0, 0, 7)]
    for at in times:
        db.session.add(AuditEvent(at=at, user_id=staff.id, role=staff.role, action="read",
                                  object_type="identity", path="/x",
                                  participant_id=world.participant.id))
    db.session.commit()
    with app.test_request_context():
        for month in (date(2026, 3, 1), date(2026, 10, 1)):
            shifts = audit_review_store._shifts(month)
            local = audit_review_store._local(AuditEvent.at, dialect_name())
            rows = db.session.execute(select(*ACCESS_COLUMNS, local).where(
                AuditEvent.at >= datetime(month.year, month.month, 1) - timedelta(days=1),
                AuditEvent.at < datetime(month.year, month.month + 1, 1)), shifts).all()
            assert len(rows) >= 4
            expected = {e.id: e.at_local for e in access_events(row[:-1] for row in rows)}
            month_from, month_to = audit_review_store.month_bounds_utc(month)
            assert {row[0]: row[-1] for row in rows if month_from <= row[1] < month_to} == {
                i: at for i, at in expected.items()
                if month_from <= next(r[1] for r in rows if r[0] == i) < month_to}


def test_a_view_reads_only_the_pages_flagged_events(db, app, client, login_as, world,
                                                    monkeypatch):
    """A month of night work: the view asks for the marks and rows of the page's 30 flagged
    events and the sample only, not of every flagged event of the month."""
    from webapp.admin import audit_queries

    staff = world.users["staff"]
    for i in range(95):
        add_event(db, staff, world.participant, datetime(2026, 2, 3, 23, 0)
                  + timedelta(minutes=i))
    db.session.commit()
    login_as("admin")
    asked = []
    marks = audit_queries.review_marks

    def counted(event_ids, *args):
        asked.append(len(event_ids))
        return marks(event_ids, *args)

    monkeypatch.setattr(audit_queries, "review_marks", counted)
    for page in (1, 4):
        response = client.get(f"/admin/audit/review?month=2026-02&page={page}")
        assert response.status_code == 200
        assert "Avvikande (95)" in response.get_data(as_text=True)
    assert asked == [30, 5]


def test_review_page_counts_and_pages_with_marks_added_and_outside_events(db, app, world):
    """The page's counts and rows (not reviewed first) as worked out from all events, on every
    page: stored flags and outside-caseload events (some both), marks added after the month
    was stored (they change no stored count), and new events whose burst flags older ones."""
    from webapp.models import AuditReview

    staff, admin = world.users["staff"], world.users["admin"]
    night = [add_event(db, staff, world.participant if i % 4 else world.other,
                       datetime(2026, 2, 5, 22, 0) + timedelta(minutes=3 * i))
             for i in range(14)]
    by_day = [add_event(db, staff, world.other, datetime(2026, 2, 6, 10, i)) for i in range(5)]
    db.session.commit()
    _same(app, world.org.id)
    for event in (night[0], night[5], by_day[1], by_day[4]):  # stored, both, outside only
        db.session.add(AuditReview(audit_event_id=event.id, reviewed_by_id=admin.id,
                                   comment="ok"))
    db.session.commit()
    with app.test_request_context():
        page = audit_review_store.review_page(world.org.id, MONTH, 4)
    assert (page.flagged_total, page.unreviewed_flagged) == (19, 15)
    _same(app, world.org.id)
    people = [make_participant(world.org, world.team, f"P{i}", f"Mark{i}") for i in range(22)]
    for i, person in enumerate(people):  # a burst by day, reaching none of the night's
        add_event(db, staff, person, datetime(2026, 2, 7, 14, 0) + timedelta(seconds=10 * i))
    db.session.add(AuditReview(audit_event_id=by_day[2].id, reviewed_by_id=admin.id,
                               comment="ok"))
    db.session.commit()
    _same(app, world.org.id)
    with app.test_request_context():
        page = audit_review_store.review_page(world.org.id, MONTH, 4)
    assert (page.flagged_total, page.unreviewed_flagged) == (41, 36)
