"""What the admin pages choose from: the organisation's teams and participants as choice lists,
the participant list one page at a time, and the `?month=` of the monthly pages.

Lists read only the columns a choice shows, so a select of every participant stays cheap; the
largest (every participant without a login, every user) are written once per content
(`form_fields.KeptIdSelect`)."""
from __future__ import annotations

from datetime import date
from functools import cache
from typing import NamedTuple

from flask import request
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased
from wtforms import SelectChoice

from ..access import NAME_COLUMNS, display_name_sql, display_names
from ..extensions import db
from ..inputs import page_of, sane_date
from ..models import Participant, Team, User
from ..queries import run

PARTICIPANT_PAGE_SIZE = 100


def org_id() -> int:
    return current_user.organisation_id


def org_teams(active_only: bool = True) -> list[Team]:
    """The organisation's teams by name; archived ones only when asked for."""
    query = select(Team).where(Team.organisation_id == org_id())
    if active_only:
        query = query.where(Team.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(Team.name, Team.id)))


def team_choices(kind: str | None = None) -> list[SelectChoice]:
    """Active teams as choices (an archived team takes no new members or participants)."""
    return [SelectChoice(t.id, t.name) for t in org_teams() if kind in (None, t.kind)]


def org_participant_names(*, unlinked: bool = False, exclude=()) -> dict[int, str]:
    """The organisation's participants by name (one statement, columns only); `unlinked`:
    only those without a login."""
    query = select(*NAME_COLUMNS).where(Participant.organisation_id == org_id())
    if unlinked:
        query = query.where(Participant.user_id.is_(None))
    if exclude:
        query = query.where(Participant.id.not_in(exclude))
    return display_names(db.session.execute(
        query.order_by(Participant.last_name, Participant.first_name)))


def participant_choices(empty: str | None = None, *, unlinked: bool = False,
                        exclude=(), names: dict[int, str] | None = None) -> list[SelectChoice]:
    """The organisation's participants by name as choices (`names`: already read ones)."""
    if names is None:
        names = org_participant_names(unlinked=unlinked, exclude=exclude)
    choices = [SelectChoice("", empty)] if empty else []
    return choices + [SelectChoice(pid, name) for pid, name in names.items()]


def unlinked_participant_options(empty: str) -> tuple[tuple, ...]:
    """(id, name as the admin may see it) of the organisation's participants without a login,
    by name, after ("", `empty`): the name worked out in the statement, not per row."""
    user = current_user._get_current_object()  # noqa: SLF001 - the proxy once
    rows = db.session.execute(
        select(Participant.id, display_name_sql(user))
        .where(Participant.organisation_id == org_id(), Participant.user_id.is_(None))
        .order_by(Participant.last_name, Participant.first_name))
    return (("", empty), *map(tuple, rows))


class ParticipantRow(NamedTuple):
    id: int
    name: str  # as the signed-in user may see it (access.display_name)
    protected_identity: bool
    phase: int
    team_name: str
    social_worker_name: str | None  # None: no social worker yet
    username: str | None  # None: no login yet


@cache
def _participant_page_statement():
    """The page's rows with their team, social worker and login as columns, built once per
    process (the aliases and their columns cost ~40 object constructions a view)."""
    worker, login = aliased(User), aliased(User)
    return (select(*NAME_COLUMNS, Participant.phase, Team.name, worker.display_name,
                   login.username)
            .join(Team, Participant.team_id == Team.id)
            .outerjoin(worker, Participant.social_worker_id == worker.id)
            .outerjoin(login, Participant.user_id == login.id)
            .where(Participant.organisation_id == bindparam("org"))
            .order_by(Participant.last_name, Participant.first_name, Participant.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


def participant_page() -> tuple[list[ParticipantRow], int, int]:
    """The ?page= of the participant list: (rows, page, pages). One statement for the page's
    rows with their team, social worker and login as columns (not three ORM collections)."""
    total = db.session.scalar(select(func.count()).select_from(Participant)
                              .where(Participant.organisation_id == org_id()))
    page, pages = page_of(total, PARTICIPANT_PAGE_SIZE)
    rows = run(_participant_page_statement(),
               {"org": org_id(), "limit": PARTICIPANT_PAGE_SIZE,
                "offset": (page - 1) * PARTICIPANT_PAGE_SIZE}).all()
    names = display_names(rows)
    people = [ParticipantRow(row.id, names[row.id], row.protected_identity,
                             *row[len(NAME_COLUMNS):])
              for row in rows]
    return people, page, pages


def month_arg(default: date) -> date:
    """`?month=YYYY-MM` as the month's first day; a bad value falls back to `default`."""
    try:
        year, month = (int(part) for part in request.args.get("month", "").split("-"))
        if sane_date(date(year, month, 1)):
            return date(year, month, 1)
    except ValueError:
        pass
    return default.replace(day=1)
