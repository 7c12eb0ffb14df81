"""What the admin pages choose from: the organisation's teams and participants as choice lists,
the participant list one page at a time, and the `?month=` of the monthly pages.

Lists read only the columns a choice shows, so a select of every participant stays cheap; the
largest (every participant without a login, every user) are written once per content
(`KeptIdSelect`)."""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from wtforms import SelectChoice, widgets

from ..access import NAME_COLUMNS, display_name_sql, display_names
from ..extensions import db
from ..form_fields import FastSelect
from ..inputs import page_of, sane_date
from ..models import Participant, Team, User

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


_kept_options: dict[tuple, str] = {}
_KEPT_OPTIONS_SIZE = 64


def kept_options(options: tuple[tuple, ...]) -> str:
    """The <option>s of (value, label) pairs, none selected, as FastSelect writes them: written
    once per pairs (the labels are in the page's language) and process. Emptied when full."""
    html = _kept_options.get(options)
    if html is None:
        html = "".join([FastSelect._option(value, label, False)  # noqa: SLF001
                        for value, label in options])
        if len(_kept_options) >= _KEPT_OPTIONS_SIZE:
            _kept_options.clear()  # one step, safe with other threads; refills as used
        _kept_options[options] = html
    return html


class KeptIdSelect(FastSelect):
    """An id select (values "" and ints, coerce `int_or_none`) whose options are given as
    `field.options`, (value, label) pairs: the options are written once per their content
    (`kept_options`) and the chosen one marked per view, not a SelectChoice built and written
    per option per view (800 participants without a login: ~10,000 Python calls). The same
    HTML as FastSelect (tests/test_admin_users.py)."""

    def __call__(self, field, **kwargs):
        options = getattr(field, "options", None)
        if options is None or not (field.data is None or type(field.data) is int):
            if options is not None:  # data no id select holds: FastSelect decides
                field.choices = [SelectChoice(value, label) for value, label in options]
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        chosen = "" if field.data is None else str(field.data)
        html = kept_options(options).replace(f'<option value="{chosen}">',
                                             f'<option selected value="{chosen}">', 1)
        return Markup(  # noqa: S704 - escaped by FastSelect._option
            f"<select {widgets.html_params(name=field.name, **kwargs)}>{html}</select>")


def id_choices(field, options: tuple[tuple, ...]) -> None:
    """Give a KeptIdSelect field its options; its choices (what validation checks against)
    only when the form was sent."""
    field.options = options
    field.choices = ([SelectChoice(value, label) for value, label in options]
                     if request.method == "POST" else [])


class ParticipantRow(NamedTuple):
    id: int
    name: str  # as the signed-in user may see it (access.display_name)
    protected_identity: bool
    phase: int
    team_name: str
    social_worker_name: str | None  # None: no social worker yet
    username: str | None  # None: no login yet


def participant_page() -> tuple[list[ParticipantRow], int, int]:
    """The ?page= of the participant list: (rows, page, pages). One statement for the page's
    rows with their team, social worker and login as columns (not three ORM collections)."""
    total = db.session.scalar(select(func.count()).select_from(Participant)
                              .where(Participant.organisation_id == org_id()))
    page, pages = page_of(total, PARTICIPANT_PAGE_SIZE)
    worker, login = aliased(User), aliased(User)
    rows = db.session.execute(
        select(*NAME_COLUMNS, Participant.phase, Team.name, worker.display_name,
               login.username)
        .join(Team, Participant.team_id == Team.id)
        .outerjoin(worker, Participant.social_worker_id == worker.id)
        .outerjoin(login, Participant.user_id == login.id)
        .where(Participant.organisation_id == org_id())
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
        .limit(PARTICIPANT_PAGE_SIZE).offset((page - 1) * PARTICIPANT_PAGE_SIZE)).all()
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
