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

from ..access import housing_team_ids
from ..extensions import db

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
