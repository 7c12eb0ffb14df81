"""Bofast: the application factory (`flask --app webapp ...`, `gunicorn 'webapp:create_app()'`)."""
from __future__ import annotations

import functools
import re

import psycopg
from flask import Flask, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import joinedload

from . import access, security
from .access import SAFE_METHODS
from .extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

AREAS = ("main", "auth", "staff", "checklists", "me", "housing", "admin", "push", "pwa",
         "social")
LANGUAGES = ("sv", "en")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from .inputs import install_date_bounds, register_converters, reject_bad_input

    register_converters(app)
    install_date_bounds()
    from .config import engine_options, load_config

    load_config(app)
    if config:
        app.config.update(config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )

    _trust_proxies(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)
    limiter.init_app(app)
    from .pwa.compression import init_compression

    init_compression(app)  # first: its after_request hooks then run last, on the final body
    _configure_login(app)
    _configure_sqlite(app)

    for area in AREAS:
        module = __import__(f"{__name__}.{area}", fromlist=["bp"])
        app.register_blueprint(module.bp)

    app.before_request(access.forget_request_caches)
    app.before_request(reject_bad_input)
    app.before_request(security.enforce_idle_timeout)
    app.before_request(security.enforce_password_change)
    app.before_request(access.enforce_area_access)
    app.before_request(security.check_json_body)
    app.after_request(commit_audit)
    app.after_request(security.set_security_headers)

    from .errors import register_error_handlers
    from .templating import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N proxies, take client address, scheme and host from their X-Forwarded-* headers,
    so rate limits key on the real client and https is seen (HSTS, Secure cookies)."""
    count = app.config.get("BOFAST_TRUSTED_PROXIES", 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def select_locale() -> str:
    if not has_request_context():
        return "sv"  # CLI and background jobs: the source language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or "sv"


def commit_audit(response):
    """Reads are audited too: commit audit rows written during a successful request.

    A read, and any refused request (4xx), commits only its audit rows: whatever else it may
    have added or changed in the session is rolled back, so opening a page never writes domain
    data and a refusal is logged without storing anything else.
    """
    # Popped: in a test or benchmark one app context (and `g`) outlives many requests.
    wrote = g.pop("statement_wrote", False)
    if request.method in SAFE_METHODS or response.status_code >= 400:
        events = g.pop("audit_events", [])
        changed = wrote or db.session.new or db.session.dirty or db.session.deleted
        if not events or response.status_code >= 500:
            if changed or response.status_code >= 500:
                db.session.rollback()
            else:
                # Only read: ended with COMMIT, which costs the database what ROLLBACK does,
                # because psycopg forgets every statement it has prepared on the connection
                # at a ROLLBACK, and a page's statements would be planned anew each time.
                try:
                    db.session.commit()
                except SQLAlchemyError:  # a read whose transaction had failed (handler caught it)
                    db.session.rollback()
            return response
        rows = [_audit_row(e) for e in events]
        if changed:
            db.session.rollback()
        # Otherwise the transaction has only read: the rows go into it, which saves the
        # ROLLBACK and BEGIN round trips of a fresh one.
        try:
            _insert_audit_rows(rows)
        except (DBAPIError, psycopg.Error):
            # The read's transaction had failed (an error its handler caught): a fresh one.
            db.session.rollback()
            _insert_audit_rows(rows)
        return response
    if g.get("audit_pending") and response.status_code < 500:
        db.session.commit()
    return response


def _insert_audit_rows(rows: list[dict]) -> None:
    from .models import AuditEvent

    # Committed synchronously like any write: who read what must survive a database crash.
    # One executemany: a list page audits a row per participant shown, and the unit of work
    # would flush (and fetch ids for) each one separately. (Not one INSERT with a VALUES row
    # each: SQLAlchemy compiles such a statement anew for every request, ~0.4 ms per 10 rows.)
    connection = db.session.connection()
    if connection.dialect.driver != "psycopg":
        db.session.execute(insert(AuditEvent.__table__), rows)
        db.session.commit()
        g.pop("statement_wrote", None)  # set by these statements, not by the request's own
        return
    # On PostgreSQL the rows and the COMMIT go in one round trip (psycopg's pipeline mode), on
    # the driver's connection: every audited page waited for the INSERT's answer before it
    # sent the COMMIT. SQLAlchemy's commit after it finds the transaction ended and sends none.
    # A list's rows go as one INSERT of arrays: as many INSERTs, each its own execution in
    # the database, cost /housing's 26 rows ~2 ms more under load.
    driver = connection.connection.driver_connection
    keys, one, many = _audit_insert_sql(db.engine.dialect, AuditEvent.__table__)
    with driver.pipeline(), driver.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(one, rows[0])
        else:
            cursor.execute(many, {key: [row[key] for row in rows] for key in keys})
        driver.commit()
    db.session.commit()


@functools.cache
def _audit_insert_sql(dialect, table) -> tuple[list[str], str, str]:
    """(the columns but the id, the audit INSERT of one row, of rows given as an array per
    column), in psycopg's named-parameter style."""
    columns = [column for column in table.columns if column.key != "id"]
    names = ", ".join(column.key for column in columns)
    one = ", ".join(f"%({column.key})s" for column in columns)
    # Arrays of the base type: a too long value fails on the column, not cut by the cast.
    arrays = ", ".join(f"%({column.key})s::{column.type.compile(dialect).split('(')[0]}[]"
                       for column in columns)
    # Names and types come from the model, values go as parameters.
    return ([column.key for column in columns],
            f"INSERT INTO {table.name} ({names}) VALUES ({one})",  # noqa: S608
            f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})")  # noqa: S608


# A statement that may change data: anything but a query (SELECT, or WITH ... SELECT whose
# parts write nothing). A false alarm only costs a rollback.
_WRITING_WORDS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


@sa_event.listens_for(Engine, "before_cursor_execute")
def _note_write(_conn, _cursor, statement, _params, _context, _executemany) -> None:
    """A request that sent anything but a query must have its transaction rolled back before
    its read's audit rows are committed (commit_audit)."""
    if not has_request_context():
        return
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" or (head[:4] == "WITH" and not _WRITING_WORDS.search(statement)):
        return
    g.statement_wrote = True


def _audit_row(event) -> dict:
    """The event's columns, unset ones filled from their defaults (one shape for every row of
    the multi-row INSERT). A read's event is already its row (`audit.record`)."""
    if isinstance(event, dict):
        return event
    row = {}
    for column in event.__table__.columns:
        if column.key == "id":
            continue
        value = getattr(event, column.key)
        if value is None and column.default is not None:
            value = (column.default.arg(None) if column.default.is_callable
                     else column.default.arg)
        row[column.key] = value
    return row


def _configure_login(app: Flask) -> None:
    from .models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logga in för att fortsätta.")
    # str() resolves the lazy text in the request's language before it is flashed.
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id carries the session token, so logout/deactivation invalidates old cookies.
        ident, _, token = user_id.partition(":")
        if not ident.isdigit():
            return None
        # The organisation comes along: most staff pages read its rules or name, which was
        # a statement of its own per request.
        user = db.session.get(User, int(ident), options=[joinedload(User.organisation)])
        if user is None or not user.active or user.session_token != token:
            return None
        return user


def _configure_sqlite(app: Flask) -> None:
    """WAL and foreign keys on every SQLite connection (DESIGN §8)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
