import contextlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.conftest import TEST_DB_URL
from webapp.audit import record
from webapp.models import AuditEvent


def test_audit_log_is_append_only(app, db, world):
    record("read", participant_id=world.participant.id, user=world.users["staff"])
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_events SET action = 'x'"))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.commit()
    db.session.rollback()
    assert db.session.query(AuditEvent).count() == 1


def _read_probe(db, participant_id: int, change: str, audited: bool):
    """A GET view that reads a participant (and audits it, if `audited`), then leaves the
    session as `change` says: nothing, a query only, a change unflushed, flushed or sent as a
    statement, or a transaction failed by an error it caught."""
    from webapp.models import Participant

    def probe():
        participant = db.session.get(Participant, participant_id)
        if audited:
            record("read", participant_id=participant_id, object_type="probe")
        if change == "with_query":  # a query with a common table expression only reads
            db.session.execute(text("WITH x AS (SELECT id FROM participants) SELECT * FROM x"))
        elif change == "dirty":
            participant.first_name = "Changed"
        elif change == "flushed":
            participant.first_name = "Changed"
            db.session.flush()
        elif change == "statement":
            db.session.execute(
                text("UPDATE participants SET first_name = 'Changed' WHERE id = :id"),
                {"id": participant_id})
        elif change == "failed":
            with contextlib.suppress(DatabaseError):
                db.session.execute(text("SELECT no_such_column FROM participants"))
        return "ok"

    return probe


@pytest.mark.parametrize("change", ["none", "dirty", "flushed", "statement", "failed"])
def test_a_read_commits_its_audit_row_and_nothing_else(app, db, world, client, login_as,
                                                       monkeypatch, change):
    """commit_audit puts a read's rows into the read's own transaction only when it wrote
    nothing; a change left in the session, flushed, or sent as a statement is rolled back, and
    a transaction failed by a caught error (PostgreSQL) gives way to a fresh one."""
    from flask import g

    from webapp import access
    from webapp.models import Participant

    participant_id = world.participant.id
    monkeypatch.setitem(access.ENDPOINT_ROLES, "audit_probe", frozenset({"staff"}))

    app.add_url_rule("/audit-probe", "audit_probe",
                     _read_probe(db, participant_id, change, audited=True))
    login_as("staff")
    before = db.session.query(AuditEvent).filter_by(object_type="probe").count()
    assert client.get("/audit-probe").status_code == 200
    assert client.get("/audit-probe").status_code == 200
    db.session.rollback()
    assert db.session.get(Participant, participant_id).first_name != "Changed"
    rows = db.session.query(AuditEvent).filter_by(object_type="probe").all()
    assert len(rows) == before + 2
    assert {(row.action, row.participant_id) for row in rows} == {("read", participant_id)}
    assert "statement_wrote" not in g


@pytest.mark.skipif(not TEST_DB_URL.startswith("postgresql"),
                    reason="psycopg's pipeline mode is PostgreSQL's (BOFAST_TEST_DATABASE_URL)")
def test_a_reads_audit_rows_and_their_commit_go_in_one_pipeline(app, db, world, client,
                                                                  login_as, monkeypatch):
    """On PostgreSQL a read's audit INSERT and its COMMIT are sent together (one round trip),
    and the rows are stored."""
    import psycopg
    from psycopg import pq

    from webapp import access

    participant_id = world.participant.id
    monkeypatch.setitem(access.ENDPOINT_ROLES, "audit_probe", frozenset({"staff"}))
    app.add_url_rule("/audit-probe", "audit_probe",
                     _read_probe(db, participant_id, "none", audited=True))
    login_as("staff")
    commits = []
    driver_commit = psycopg.Connection.commit

    def spy(connection):
        commits.append(connection.pgconn.pipeline_status != pq.PipelineStatus.OFF)
        return driver_commit(connection)

    monkeypatch.setattr(psycopg.Connection, "commit", spy)
    assert client.get("/audit-probe").status_code == 200
    monkeypatch.undo()
    # (The test client commits the test's own session around the request, outside any.)
    assert True in commits
    db.session.rollback()
    assert db.session.query(AuditEvent).filter_by(object_type="probe").count() == 1


@pytest.mark.parametrize("change", ["none", "with_query", "dirty", "flushed", "statement",
                                    "failed"])
def test_a_read_without_audit_rows_ends_in_commit_only_when_it_changed_nothing(
        app, db, world, client, login_as, monkeypatch, change):
    """A read that audits nothing (Idag, /healthz) ends its transaction with COMMIT when it
    wrote nothing: psycopg forgets every prepared statement of the connection at a ROLLBACK.
    Anything it changed is still rolled back, and a failed transaction still answers 200."""
    from sqlalchemy import event

    from webapp import access
    from webapp.models import Participant

    participant_id = world.participant.id
    monkeypatch.setitem(access.ENDPOINT_ROLES, "read_probe", frozenset({"staff"}))

    app.add_url_rule("/read-probe", "read_probe",
                     _read_probe(db, participant_id, change, audited=False))
    login_as("staff")
    ended = []
    event.listen(db.engine, "commit", lambda _conn: ended.append("commit"))
    event.listen(db.engine, "rollback", lambda _conn: ended.append("rollback"))
    assert client.get("/read-probe").status_code == 200
    db.session.rollback()
    ended_by_request = ended[:]
    assert db.session.get(Participant, participant_id).first_name != "Changed"
    if change in ("none", "with_query"):
        assert ended_by_request[-1] == "commit" and "rollback" not in ended_by_request
    elif change != "failed":  # failed: whichever ends it, the answer is 200 (above)
        assert ended_by_request[-1] == "rollback"


@pytest.mark.parametrize("statement, writes", [
    ("SELECT 1", False),
    ("  select id FROM participants", False),
    ("WITH x AS (SELECT id FROM participants) SELECT * FROM x", False),
    ("WITH x AS (UPDATE participants SET phase = 2 RETURNING id) SELECT * FROM x", True),
    ("with x as (delete from absences returning id) select * from x", True),
    ("UPDATE participants SET phase = 2", True),
    ("INSERT INTO absences DEFAULT VALUES", True),
    ("DELETE FROM absences", True),
])
def test_only_queries_count_as_reads(app, statement, writes):
    """What makes commit_audit roll a read back: any statement but a query."""
    from flask import g

    from webapp import _note_write

    with app.test_request_context("/"):
        _note_write(None, None, statement, None, None, False)
        assert g.get("statement_wrote", False) is writes


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_list_records_one_event_per_participant_shown(app, db, world, client, login_as,
                                                         monkeypatch, method):
    """record_list: one "list" event per participant, once each, in the order shown, with the
    same who and where; a read's copies are stored like its first row."""
    from webapp import access
    from webapp.audit import record_list
    from webapp.models import Participant

    other = db.session.scalar(db.select(Participant.id).where(
        Participant.id != world.participant.id).limit(1))
    ids = [world.participant.id, other, world.participant.id]
    monkeypatch.setitem(access.ENDPOINT_ROLES, "list_probe", frozenset({"staff"}))

    def probe():
        record_list(ids, "probe_list")
        if method == "POST":
            db.session.commit()
        return "ok"

    app.add_url_rule("/list-probe", "list_probe", probe, methods=[method])
    login_as("staff")
    assert client.open("/list-probe", method=method).status_code == 200
    db.session.rollback()
    rows = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.object_type == "probe_list").order_by(AuditEvent.id)).all()
    assert [row.participant_id for row in rows] == [world.participant.id, other]
    assert {(row.action, row.user_id, row.role, row.path) for row in rows} == {
        ("list", world.users["staff"].id, "staff", "/list-probe")}
