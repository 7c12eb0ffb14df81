"""Fixtures: `app`, `db`, `client`, `login_as(role)`, data factories (see factories.py).

The database comes from BOFAST_TEST_DATABASE_URL (default: SQLite). CI runs the whole suite
once on SQLite and once on PostgreSQL. Without a reachable PostgreSQL, tests marked `postgres`
skip with the reason; with CI=true they fail instead.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, text

from webapp import create_app
from webapp.extensions import db as _db
from webapp.models import utcnow

POSTGRES_URL = os.environ.get(
    "BOFAST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_DB_URL = os.environ.get("BOFAST_TEST_DATABASE_URL", "sqlite")
IN_CI = os.environ.get("CI") == "true"

TEST_CONFIG = {
    "TESTING": True,
    "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    "RATELIMIT_ENABLED": False,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "test-secret-key",
    "BOFAST_BASE_URL": "http://localhost",
}


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None if PostgreSQL answers, else the reason."""
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}"


def require_postgres(url: str = POSTGRES_URL) -> None:
    reason = postgres_available(url)
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def scratch_postgres(prefix: str):
    """A PostgreSQL database of its own for one test (migrations from an empty or released
    schema), dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def scratch_app(url: str):
    """The app on a scratch database (SQLite file or `scratch_postgres`), its context pushed for
    the body; the session and the engine's connections are let go afterwards."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            yield app
        finally:
            _db.session.remove()
            _db.engine.dispose()


def fill_at(revision: str, rows: list[tuple[str, dict]]) -> MetaData:
    """Upgrade the scratch app's database to `revision` and write `rows` ((table, row) in
    foreign-key order, ids given) with SQLAlchemy Core into its tables as they are at that
    revision (the ORM models move ahead of it); returns those tables, reflected before the
    write. A migration test then upgrades past the revision it tests."""
    upgrade(revision=revision)
    tables = MetaData()
    tables.reflect(_db.engine)
    with _db.engine.begin() as conn:
        for table, row in rows:
            conn.execute(tables.tables[table].insert().values(**row))
        if conn.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; the app does this after a restore.
            for table in {t for t, _ in rows}:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
    return tables


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords:
            item.fixturenames.insert(0, "_postgres_required")


@pytest.fixture
def _postgres_required():
    require_postgres()


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory):
    """Create the schema once; each test gets a fresh copy (SQLite) or truncation (PostgreSQL)."""
    if TEST_DB_URL == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite"
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            _db.create_all()
            _db.engine.dispose()
        return path
    require_postgres(TEST_DB_URL)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": TEST_DB_URL})
    with app.app_context():
        with _db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        _db.create_all()
        _db.engine.dispose()
    return None


@pytest.fixture
def app(_db_template, tmp_path):
    if TEST_DB_URL == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(_db_template, path)
        uri = f"sqlite:///{path}"
    else:
        uri = TEST_DB_URL
    instance = tempfile.mkdtemp(prefix="bofast-instance-")
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    application.instance_path = instance
    with application.app_context():
        yield application
        _db.session.remove()
        if TEST_DB_URL != "sqlite":
            # DELETE is much faster than TRUNCATE on small tables; replica mode skips the
            # audit log's append-only trigger and FK checks for this cleanup only.
            with _db.engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in reversed(_db.metadata.sorted_tables):
                    conn.execute(table.delete())
        _db.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture
def db(app):
    return _db


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The test body keeps an app context open for convenience; without this, Flask would reuse it
    for requests and `g` (flask-login's cached user, per-request caches) would leak between
    requests. The test's own session is committed before and after, so it sees what the
    request wrote.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            _db.session.commit()


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def world(app):
    """A small organisation with one user of each role and participants in and out of scope."""
    from tests.factories import build_world

    return build_world()


def utcnow_ts() -> float:
    """The idle clock's time (naive UTC, as `security.enforce_idle_timeout` reads it)."""
    return utcnow().timestamp()


@pytest.fixture
def login_as(client, world):
    """login_as("staff") signs the test client in as that role's user from `world`."""

    def _login(role_or_user):
        user = world.users[role_or_user] if isinstance(role_or_user, str) else role_or_user
        _db.session.refresh(user)  # a logout in an earlier request rotated its session token
        with client.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["last_seen"] = utcnow_ts()  # as a real sign-in does (idle timeout)
        return user

    return _login


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def sent_statements():
    """The SQL statements (their text) sent inside the block, in order: for the tests that
    count a page's statements or look for one of them."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


def statements_and_page(client, url: str) -> tuple[int, str]:
    """(how many SQL statements a GET of `url` sent, its HTML): for the tests that a page's
    statements do not grow with what it shows."""
    with sent_statements() as seen:
        page = client.get(url).get_data(as_text=True)
    return len(seen), page
