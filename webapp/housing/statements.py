"""Housing's per-user statements, built once per process (issue 17).

Building the scope, the tenancies, the stored facts and the counts of a housing page took
more Python than running them (a third of /housing under cProfile; 0.6 ms for the tenancy
list's scope alone). What such a statement holds comes from its key: the user (scope,
organisation), the local day (the facts' validity, the month) and the user's teams, written
into it (`access.housing_participants`); the database reads the rows when it runs.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_login import current_user
from sqlalchemy import column

from ..access import housing_team_ids
from ..extensions import db
from ..queries import written_sql

_BUILT: dict[tuple, object] = {}
_LIMIT = 256  # yesterday's, or many users: start again


def built_once(name: str, day: date | None, build: Callable[[], object]):
    """`build()` for the signed-in user and `day` (None: any day), the one built before if
    any."""
    user = current_user._get_current_object()  # noqa: SLF001 - the proxy once
    key = (name, user.id, user.organisation_id, user.role, day,
           tuple(housing_team_ids(user)), db.session.get_bind().dialect.name)
    statement = _BUILT.get(key)
    if statement is None:
        if len(_BUILT) >= _LIMIT:
            _BUILT.clear()
        statement = _BUILT[key] = build()
    return statement


def written_once(name: str, day: date | None, build: Callable[[], object]):
    """`built_once`, and on PostgreSQL compiled once with its values written into the SQL
    (they are the key's: user, organisation, teams, day; and the page asked for, in `name`).
    A statement without parameters has one plan, made when psycopg prepares it (its fifth
    run on the connection): with parameters, PostgreSQL planned the tenancy list's and the
    inbox's anew on every run (their generic plan looked dearer than each custom one;
    ~1 ms), and SQLAlchemy worked out a large statement's cache key on each. Run it with
    `run`. The values are ids, dates and flags from the database, never text typed in."""
    def write():
        statement = build()
        dialect = db.session.get_bind().dialect
        if dialect.name != "postgresql":
            return statement
        # Its columns named, not the statement's (whose cache key SQLAlchemy would work out
        # on every run), so the result's columns are read once, when compiled.
        return written_sql(statement).columns(
            *(column(_name(selected, index), selected.type)
              for index, selected in enumerate(statement.selected_columns)))
    return built_once(name, day, write)


def _name(selected, index: int) -> str:
    """The column's label, or a made-up name for an anonymous one (read by position)."""
    name = getattr(selected, "name", None)
    return name if isinstance(name, str) and "%(" not in name else f"column_{index}"


def run(statement):
    """The result of a `written_once` statement on the session's connection."""
    return db.session.connection().execute(statement)
