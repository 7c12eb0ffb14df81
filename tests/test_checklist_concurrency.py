"""Two phones sending the same month's checklist at once (found by bench/soak.py): the second
waits for the first and becomes its correction; it used to be a 500 (two corrections of one
version break a unique key). Row locks are PostgreSQL's; SQLite writes one transaction at a
time, so this runs in CI's PostgreSQL pass."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from tests.conftest import TEST_DB_URL
from tests.test_checklists import filled, new_url, stored

pytestmark = pytest.mark.skipif(not TEST_DB_URL.startswith("postgresql"),
                                reason="row locks need PostgreSQL (BOFAST_TEST_DATABASE_URL)")


def test_a_checklist_sent_while_another_phone_corrects_the_month_becomes_the_next_version(
        app, client, db, world, login_as):
    login_as("staff")
    assert client.post(new_url(world), data=filled(db, world)).status_code == 303
    first = stored(db)[0].id
    answers = {}

    def send():
        with app.app_context():
            answers["status"] = client.post(new_url(world), data=filled(db, world)).status_code

    with db.engine.connect() as other:
        transaction = other.begin()
        # The other phone's send, in flight: it holds the participant's row as the route does
        # and has stored version 2, not yet committed.
        other.execute(text("SELECT id FROM participants WHERE id = :id FOR NO KEY UPDATE"),
                      {"id": world.participant.id})
        other.execute(text(
            "INSERT INTO checklist_submissions (participant_id, apartment_id, template_id, month,"
            " held_on, present, general_comment, tenant_agrees, tenant_comment, submitted_by_id,"
            " submitted_at, supersedes_id, version_no) SELECT participant_id, apartment_id,"
            " template_id, month, held_on, present, general_comment, tenant_agrees,"
            " tenant_comment, submitted_by_id, submitted_at, id, 2 FROM checklist_submissions"
            " WHERE id = :id"), {"id": first})
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.0)  # this phone's send reaches the database and waits
        transaction.commit()
    sender.join(timeout=30)
    assert answers.get("status") == 303
    chain = [(s.version_no, s.supersedes_id) for s in stored(db)]
    assert chain[0] == (1, None) and chain[1] == (2, first)
    assert chain[2][0] == 3 and chain[2][1] == stored(db)[1].id
