"""Two schedulers at once deliver every reminder exactly once (PostgreSQL, SKIP LOCKED)."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, TEST_CONFIG, TEST_DB_URL
from tests.factories import make_org, make_user
from tests.push_service import push_service_fixture  # noqa: F401 - the fixture
from webapp import create_app
from webapp.extensions import db
from webapp.models import PushSubscription, Reminder, ReminderAttempt
from webapp.push.outbox import send_due

REMINDERS = 40
ROUNDS = 4
NOW = datetime(2026, 3, 9, 12, 0)


@pytest.fixture
def race_database():
    """A database of its own, so parallel PostgreSQL test runs do not clash."""
    base = make_url(TEST_DB_URL if TEST_DB_URL.startswith("postgresql") else POSTGRES_URL)
    name = f"{base.database}_pushrace"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_two_schedulers_deliver_each_reminder_exactly_once(app, push_service, race_database):
    push_service.delay = 0.005
    apps = []
    for _ in range(2):  # each scheduler: its own app, engine and connection pool
        other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": race_database})
        other.instance_path = app.instance_path  # the same VAPID keys
        other.config["BOFAST_PUSH_ENDPOINTS"] = app.config["BOFAST_PUSH_ENDPOINTS"]
        other.config["BOFAST_PUSH_CONTACT"] = app.config["BOFAST_PUSH_CONTACT"]
        apps.append(other)
    with apps[0].app_context():
        db.create_all()
        user = make_user(make_org(), "staff", "racer")
        for _ in range(2):
            sub = push_service.new_device()
            db.session.add(PushSubscription(user_id=user.id, endpoint=sub["endpoint"],
                                            p256dh=sub["keys"]["p256dh"],
                                            auth=sub["keys"]["auth"]))
        db.session.commit()
        user_id = user.id

    reports, failures = [], []

    def scheduler(scheduler_app, start):
        try:
            with scheduler_app.app_context():
                start.wait()
                reports.append(send_due(now=NOW, limit=2))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(repr(exc))

    # Several rounds, each starting both schedulers at the same instant: the moment they are
    # most likely to reach for the same rows.
    for round_no in range(ROUNDS):
        with apps[0].app_context():
            for index in range(REMINDERS // ROUNDS):
                db.session.add(Reminder(
                    user_id=user_id, kind="staff_summary", dedupe_key=f"race:{round_no}:{index}",
                    due_at=NOW - timedelta(seconds=index), expires_at=NOW + timedelta(hours=1),
                    title="Bofast", body=f"Runda {round_no}: du har {index} besök idag"))
            db.session.commit()
            db.session.remove()
        start = threading.Barrier(2)
        threads = [threading.Thread(target=scheduler, args=(a, start)) for a in apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures and all(not t.is_alive() for t in threads)

    assert push_service.errors == []
    per_device = Counter((r.token, r.payload["body"]) for r in push_service.received)
    assert len(per_device) == REMINDERS * 2
    assert set(per_device.values()) == {1}, "a reminder reached a device twice"
    assert sum(r.sent for r in reports) == REMINDERS
    with apps[0].app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.status == "sent")) == REMINDERS
        assert db.session.scalar(select(func.count()).select_from(ReminderAttempt)) == (
            REMINDERS * 2)
        db.session.remove()
        db.engine.dispose()
    with apps[1].app_context():
        db.engine.dispose()
