"""What the admin pages choose from: the organisation's teams and participants as choice lists,
the participant list one page at a time, and the `?month=` of the monthly pages.

Lists read only the columns a choice shows, so a select of every participant stays cheap."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import load_only, selectinload
from wtforms import SelectChoice

from ..access import display_name
from ..extensions import db
from ..inputs import page_of, sane_date
from ..models import Participant, Team

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


def _names_only():
    # display_name needs the names, the protection flag and the linked login, nothing else.
    return load_only(Participant.id, Participant.first_name, Participant.last_name,
                     Participant.pseudonym, Participant.protected_identity,
                     Participant.user_id, Participant.organisation_id)


def participant_choices(empty: str | None = None, *, unlinked: bool = False,
                        exclude=()) -> list[SelectChoice]:
    """The organisation's participants by name; `unlinked`: only those without a login."""
    query = select(Participant).where(Participant.organisation_id == org_id())
    if unlinked:
        query = query.where(Participant.user_id.is_(None))
    if exclude:
        query = query.where(Participant.id.not_in(exclude))
    people = db.session.scalars(query.options(_names_only())
                                .order_by(Participant.last_name, Participant.first_name))
    return people_choices(people, empty)


def people_choices(people, empty: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", empty)] if empty else []
    return choices + [SelectChoice(p.id, display_name(p)) for p in people]


def participant_page() -> tuple[list[Participant], int, int]:
    """The ?page= of the participant list: (participants, page, pages)."""
    total = db.session.scalar(select(func.count()).select_from(Participant)
                              .where(Participant.organisation_id == org_id()))
    page, pages = page_of(total, PARTICIPANT_PAGE_SIZE)
    people = db.session.scalars(
        select(Participant).where(Participant.organisation_id == org_id())
        .options(selectinload(Participant.team), selectinload(Participant.social_worker),
                 selectinload(Participant.user))
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
        .limit(PARTICIPANT_PAGE_SIZE).offset((page - 1) * PARTICIPANT_PAGE_SIZE)).all()
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
