"""The links the admin's user and team pages change: team memberships and staff assignments.

Both pages change memberships (a user's teams, a team's members) through these functions, so a
membership is added and removed one way. A link is data about nobody: it is deleted, and the
audit row each page writes keeps the history."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..extensions import db
from ..models import TeamMembership, User


def add_membership(team_id: int, user_id: int) -> None:
    db.session.add(TeamMembership(team_id=team_id, user_id=user_id))


def remove_link(model, **keys) -> None:
    """Delete the one link row with these keys (404 when there is none)."""
    link = db.session.scalar(select(model).filter_by(**keys))
    if link is None:
        abort(404)
    db.session.delete(link)


def set_teams(user: User, wanted: set[int], shown: set[int]) -> set[int]:
    """Make the user a member of exactly `wanted` among the teams `shown` on the form (archived
    teams are not shown, so saving leaves those memberships alone); returns the teams before."""
    current = set(user.team_ids()) & shown
    for team_id in wanted - current:
        add_membership(team_id, user.id)
    for team_id in current - wanted:
        remove_link(TeamMembership, team_id=team_id, user_id=user.id)
    return current


def team_members(team_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team_id).order_by(User.display_name)))
