"""Admin: teams (issue 19). Create, rename, members, archive; support and housing teams.

A team is never deleted: participants, apartments and the audit log point at it. Archiving hides
it from every choice list, and is refused while participants (support team) or apartments
(housing team) still belong to it, so nobody drops out of a caseload by accident.
"""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from ..access import team_or_404
from ..audit import record
from ..extensions import db
from ..models import Apartment, Participant, Team, TeamMembership, User, utcnow
from ..rendering import render
from . import bp
from .choices import org_teams
from .forms import ROLE_LABELS
from .memberships import add_membership, remove_link, team_members
from .team_forms import MEMBER_ROLES, TEAM_KINDS, MemberForm, RenameForm, TeamForm

KIND_LABELS = {c.value: c.label for c in TEAM_KINDS}


def _taken_names(except_id: int | None = None) -> set[str]:
    """Names of the organisation's active teams: two active teams may not share a name."""
    return {t.name for t in org_teams() if t.id != except_id}


def _counts(column, ids) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)).all())


def _holdings(team: Team) -> int:
    """What keeps a team from being archived: its participants, or its apartments."""
    if team.kind == "housing":
        return _counts(Apartment.housing_team_id, [team.id]).get(team.id, 0)
    return _counts(Participant.team_id, [team.id]).get(team.id, 0)


def _list_page(form: TeamForm | None = None, status: int = 200):
    teams = org_teams(active_only=False)
    ids = [t.id for t in teams]
    return render(
        "admin/teams.html", status=status, teams=teams, kind_labels=KIND_LABELS,
        form=form or TeamForm(formdata=None),
        members=_counts(TeamMembership.team_id, ids),
        participants=_counts(Participant.team_id, ids),
        apartments=_counts(Apartment.housing_team_id, ids))


@bp.route("/admin/teams")
def teams():
    return _list_page()


@bp.route("/admin/teams", methods=["POST"])
def team_create():
    form = TeamForm(taken=_taken_names())
    if not form.validate_on_submit():
        return _list_page(form, status=422)
    team = Team(organisation_id=current_user.organisation_id, name=form.name.data,
                kind=form.kind.data)
    db.session.add(team)
    db.session.flush()
    record("create", object_type="team", object_id=team.id, detail=f"{team.kind}: {team.name}")
    db.session.commit()
    flash(_("Teamet %(name)s är skapat. Lägg till medlemmar nedan.", name=team.name), "info")
    return redirect(url_for("admin.team", team_id=team.id))


def _member_form(team: Team, members: list[User], form: MemberForm | None = None) -> MemberForm:
    form = form or MemberForm(formdata=None)
    taken = {m.id for m in members}
    candidates = db.session.scalars(select(User).where(
        User.organisation_id == team.organisation_id, User.active,
        User.role.in_(MEMBER_ROLES[team.kind])).order_by(User.display_name)).all()
    form.user_id.choices = [SelectChoice("", _("Välj person"))] + [
        SelectChoice(u.id, f"{u.display_name} ({u.username})") for u in candidates
        if u.id not in taken]
    return form


def _team_page(team: Team, rename_form=None, member_form=None, archive_error=None, status=200):
    members = team_members(team.id)
    return render(
        "admin/team.html", status=status, team=team, members=members,
        kind_labels=KIND_LABELS, role_labels=ROLE_LABELS, holdings=_holdings(team),
        rename_form=rename_form or RenameForm(formdata=None, name=team.name),
        member_form=_member_form(team, members, member_form), archive_error=archive_error,
        member_roles=[ROLE_LABELS[r] for r in MEMBER_ROLES[team.kind]])


@bp.route("/admin/teams/<int:team_id>")
def team(team_id: int):
    return _team_page(team_or_404(team_id))


@bp.route("/admin/teams/<int:team_id>/rename", methods=["POST"])
def team_rename(team_id: int):
    team = team_or_404(team_id)
    form = RenameForm(taken=_taken_names(except_id=team.id))
    if not form.validate_on_submit():
        return _team_page(team, rename_form=form, status=422)
    before, team.name = team.name, form.name.data
    record("update", object_type="team", object_id=team.id, detail=f"{before} -> {team.name}")
    db.session.commit()
    flash(_("Teamet heter nu %(name)s.", name=team.name), "info")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.route("/admin/teams/<int:team_id>/members", methods=["POST"])
def team_member_add(team_id: int):
    team = team_or_404(team_id)
    if team.archived_at is not None:
        return _team_page(team, status=422, archive_error=_(
            "Teamet är arkiverat. Återställ det innan du lägger till medlemmar."))
    form = _member_form(team, team_members(team.id), MemberForm())
    if not form.validate_on_submit():
        return _team_page(team, member_form=form, status=422)
    add_membership(team.id, form.user_id.data)
    record("create", object_type="team_membership", object_id=team.id,
           detail=f"användare {form.user_id.data}")
    db.session.commit()
    flash(_("Medlemmen är tillagd."), "info")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.route("/admin/teams/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
def team_member_remove(team_id: int, user_id: int):
    team = team_or_404(team_id)
    remove_link(TeamMembership, team_id=team.id, user_id=user_id)
    record("delete", object_type="team_membership", object_id=team.id,
           detail=f"användare {user_id}")
    db.session.commit()
    flash(_("Medlemmen är borttagen ur teamet."), "info")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.route("/admin/teams/<int:team_id>/archive", methods=["POST"])
def team_archive(team_id: int):
    team = team_or_404(team_id)
    holdings = _holdings(team)
    if holdings:
        message = (ngettext(
            "Teamet förvaltar %(num)s lägenhet. Flytta den till ett annat team först.",
            "Teamet förvaltar %(num)s lägenheter. Flytta dem till ett annat team först.",
            holdings) if team.kind == "housing" else ngettext(
            "Teamet har %(num)s deltagare. Flytta deltagaren till ett annat team först.",
            "Teamet har %(num)s deltagare. Flytta dem till ett annat team först.", holdings))
        return _team_page(team, archive_error=message, status=422)
    if team.archived_at is None:
        team.archived_at = utcnow()
        record("archive", object_type="team", object_id=team.id)
        db.session.commit()
        flash(_("Teamet %(name)s är arkiverat.", name=team.name), "info")
    return redirect(url_for("admin.teams"))


@bp.route("/admin/teams/<int:team_id>/restore", methods=["POST"])
def team_restore(team_id: int):
    team = team_or_404(team_id)
    if team.archived_at is not None:
        if team.name.casefold() in {n.casefold() for n in _taken_names()}:
            return _team_page(team, status=422, archive_error=_(
                "Ett aktivt team heter redan %(name)s. Byt namn först.", name=team.name))
        team.archived_at = None
        record("restore", object_type="team", object_id=team.id)
        db.session.commit()
        flash(_("Teamet %(name)s är återställt.", name=team.name), "info")
    return redirect(url_for("admin.team", team_id=team.id))
