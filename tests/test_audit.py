import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

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
