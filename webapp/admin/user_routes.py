"""Admin: users (logins). Create with a temporary password or an activation code, teams,
staff assignments, deactivate, reset the second factor. Nothing is hard-deleted."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Integer, Select, bindparam, func, select

from ..access import get_participant_or_404, org_user_or_404
from ..audit import record
from ..auth.credentials import rotate_session
from ..extensions import db
from ..form_fields import id_choices
from ..inputs import page_arg, page_of
from ..models import (
    SECOND_FACTOR_ROLES,
    Participant,
    StaffAssignment,
    Team,
    TeamMembership,
    User,
    utcnow,
)
from ..rendering import render
from . import bp, logins
from .choices import (
    org_id,
    participant_choices,
    team_choices,
    unlinked_participant_options,
)
from .forms import ROLE_LABELS, AssignmentForm, TeamsForm, UserForm, role_labels
from .memberships import add_membership, remove_link, set_teams

USERS_PER_PAGE = 50
MAX_HINT_PAGE = 100  # a ?page= beyond it is read once the number of pages is known


@bp.route("/admin/users")
def users():
    """Everyone in the organisation, active first, a page at a time: the page asked for with
    the total alongside, in one statement; a second only for a ?page= past the last."""
    asked = min(page_arg(), MAX_HINT_PAGE)
    people, total = _users_page(asked)
    if not people and asked > 1:  # past the last page (page 1 empty: nobody at all)
        total = db.session.scalar(select(func.count(User.id))
                                  .where(User.organisation_id == org_id()))
    page, pages = page_of(total, USERS_PER_PAGE)
    if page != asked:
        people, _total = _users_page(page)
    return render("admin/users.html", users=people, role_labels=role_labels(), page=page,
                  pages=pages, total=total)


class UserRow(NamedTuple):
    """A user as the list shows them: columns and team names, not objects (a page of 50)."""
    id: int
    display_name: str
    username: str
    role: str
    active: bool
    totp_confirmed_at: datetime | None
    teams: list[str]

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES


# The list's two statements are built once, with the organisation, page and users as
# parameters: building them per view cost more than running them.
@cache
def _users_statements() -> tuple[Select, Select]:
    page = (select(User.id, User.display_name, User.username, User.role, User.active,
                   User.totp_confirmed_at, func.count().over().label("total"))
            .where(User.organisation_id == bindparam("org", type_=Integer))
            .order_by(User.active.desc(), User.role, User.display_name, User.id)
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)))
    teams = (select(TeamMembership.user_id, Team.name)
             .join(Team, Team.id == TeamMembership.team_id)
             .where(TeamMembership.user_id.in_(bindparam("ids", expanding=True)))
             .order_by(Team.name, Team.id))
    return page, teams


def _users_page(page: int) -> tuple[list[UserRow], int]:
    """(the users of one page, how many there are on every page); their teams' names in a
    second statement."""
    page_statement, teams_statement = _users_statements()
    rows = db.session.execute(page_statement, {
        "org": org_id(), "limit": USERS_PER_PAGE,
        "offset": (page - 1) * USERS_PER_PAGE}).all()
    if not rows:
        return [], 0
    teams: dict[int, list[str]] = {row.id: [] for row in rows}
    for user_id, name in db.session.execute(teams_statement, {"ids": list(teams)}):
        teams[user_id].append(name)
    return [UserRow(*row[:6], teams[row.id]) for row in rows], rows[0].total


def _user_form(form: UserForm) -> UserForm:
    form.team_ids.choices = team_choices()
    id_choices(form.participant_id, unlinked_participant_options(_("Välj deltagare")))
    return form


def _create(form: UserForm) -> tuple[User, dict]:
    """The new user and the secret shown once: a password, or a participant's activation."""
    user = User(organisation_id=org_id(), role=form.role.data, username=form.username.data,
                display_name=form.display_name.data.strip(), phone=form.phone.data or "",
                email=form.email.data or "")
    db.session.add(user)
    db.session.flush()
    for team_id in form.team_ids.data or []:
        add_membership(team_id, user.id)
    if user.role != "participant":
        return user, {"password": logins.set_temporary_password(user)}
    participant = get_participant_or_404(form.participant_id.data, audit_action=None)
    participant.user_id = user.id
    # A protected identity never reaches the user lists or the audit log by name.
    user.display_name = (participant.masked_name if participant.protected_identity
                         else participant.full_name)
    return user, {"activation": logins.activation(user, current_user)}


@bp.route("/admin/users/new", methods=["GET", "POST"])
def new_user():
    # ?role=staff: the first-day guide and team pages open the form with the role chosen.
    preset = {"role": request.args.get("role")} if request.method == "GET" else {}
    form = _user_form(UserForm(**preset))
    if not form.validate_on_submit():
        return render("admin/user_new.html", form=form,
                      status=422 if form.is_submitted() else 200)
    user, shown = _create(form)
    record("create", object_type="user", object_id=user.id,
           participant_id=form.participant_id.data, detail=f"roll {user.role}")
    db.session.commit()
    # Secrets are shown once, here, and never again: no redirect that could replay them.
    return render("admin/user_created.html", user=user, role_labels=ROLE_LABELS, **shown)


def _assigned(user: User) -> list[Participant]:
    return list(db.session.scalars(
        select(Participant).join(StaffAssignment, StaffAssignment.participant_id == Participant.id)
        .where(StaffAssignment.user_id == user.id).order_by(Participant.last_name)))


def _assign_form(form: AssignmentForm, assigned: list[Participant]) -> AssignmentForm:
    """Only participants not yet assigned to the user can be chosen."""
    form.participant_id.choices = participant_choices(
        _("Välj deltagare"), exclude=[p.id for p in assigned])
    return form


def _user_page(user: User, teams_form: TeamsForm | None = None,
               assign_form: AssignmentForm | None = None, status: int = 200):
    teams_form = teams_form or TeamsForm(formdata=None, team_ids=user.team_ids())
    teams_form.team_ids.choices = team_choices()
    assigned = _assigned(user)
    assign_form = _assign_form(assign_form or AssignmentForm(formdata=None), assigned)
    linked = db.session.scalar(select(Participant).where(Participant.user_id == user.id))
    return render("admin/user.html", status=status, user=user, teams_form=teams_form,
                  assign_form=assign_form, assigned=assigned, linked=linked,
                  role_labels=ROLE_LABELS)


@bp.route("/admin/users/<int:user_id>")
def user(user_id: int):
    return _user_page(org_user_or_404(user_id))


@bp.route("/admin/users/<int:user_id>/teams", methods=["POST"])
def user_teams(user_id: int):
    user = org_user_or_404(user_id)
    form = TeamsForm()
    form.team_ids.choices = team_choices()
    if not form.validate_on_submit():
        return _user_page(user, teams_form=form, status=422)
    wanted = set(form.team_ids.data or [])
    before = set_teams(user, wanted, {choice.value for choice in form.team_ids.choices})
    record("update", object_type="user_teams", object_id=user.id,
           detail=f"team {sorted(before)} -> {sorted(wanted)}")
    db.session.commit()
    flash(_("Teamen är sparade."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/assignments", methods=["POST"])
def user_assign(user_id: int):
    user = org_user_or_404(user_id)
    form = _assign_form(AssignmentForm(), _assigned(user))
    if user.role != "staff" or not form.validate_on_submit():
        if user.role != "staff":
            form.participant_id.errors = [_("Bara stödpersonal kan tilldelas deltagare.")]
        return _user_page(user, assign_form=form, status=422)
    db.session.add(StaffAssignment(participant_id=form.participant_id.data, user_id=user.id))
    record("create", object_type="staff_assignment", object_id=user.id,
           participant_id=form.participant_id.data)
    db.session.commit()
    flash(_("Deltagaren är tilldelad."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/assignments/<int:participant_id>/remove",
          methods=["POST"])
def user_unassign(user_id: int, participant_id: int):
    user = org_user_or_404(user_id)
    remove_link(StaffAssignment, user_id=user.id, participant_id=participant_id)
    record("delete", object_type="staff_assignment", object_id=user.id,
           participant_id=participant_id)
    db.session.commit()
    flash(_("Tilldelningen är borttagen."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):
    user = org_user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("Du kan inte stänga av ditt eget konto."), "error")
    elif user.active:
        # Everything the user wrote stays; old sessions stop working at once.
        user.active = False
        user.deactivated_at = utcnow()
        rotate_session(user)
        record("deactivate", object_type="user", object_id=user.id)
        db.session.commit()
        flash(_("%(name)s är avstängd. Allt hen har skrivit finns kvar.", name=user.display_name),
              "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/reset-second-factor", methods=["POST"])
def user_reset_totp(user_id: int):
    user = org_user_or_404(user_id)
    if not user.needs_second_factor:
        abort(404)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    rotate_session(user)
    record("reset_totp", object_type="user", object_id=user.id)
    db.session.commit()
    flash(_("Tvåstegsverifieringen är nollställd. Personen kopplar en ny app vid nästa "
          "inloggning."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/activation-code", methods=["POST"])
def user_activation_code(user_id: int):
    user = org_user_or_404(user_id)
    if user.role != "participant" or not user.active:
        abort(404)
    linked = db.session.scalar(select(Participant.id).where(Participant.user_id == user.id))
    return activation_page(user, linked)


def activation_page(user: User, participant_id: int | None):
    """A new activation code for a participant's login, shown once (no redirect)."""
    shown = logins.activation(user, current_user)
    record("activation_code", object_type="user", object_id=user.id,
           participant_id=participant_id)
    db.session.commit()
    return render("admin/user_created.html", user=user, role_labels=ROLE_LABELS,
                  activation=shown, again=True)
