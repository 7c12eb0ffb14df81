"""Admin: the organisation's participants, one page at a time; add one; give a login's
activation code. (Importing a whole caseload is in tenancy_routes.py.)"""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import display_name, get_participant_or_404
from ..audit import record
from ..extensions import db
from ..models import Participant, PhaseChange, Plan, User
from ..rendering import render
from ..social.decisions import record_known_decision
from ..timeutil import local_today
from . import bp, logins
from .choices import org_id, participant_page, team_choices
from .forms import ParticipantForm
from .user_routes import activation_page


@bp.route("/admin/participants")
def participants():
    people, page, pages = participant_page()
    return render("admin/participants.html", participants=people, page=page, pages=pages)


def _participant_form(form: ParticipantForm) -> ParticipantForm:
    form.team_id.choices = team_choices(kind="support")
    workers = db.session.scalars(select(User).where(
        User.organisation_id == org_id(), User.role == "social_worker", User.active)
        .order_by(User.display_name)).all()
    form.social_worker_id.choices = [SelectChoice("", _("Ingen ännu"))] + [
        SelectChoice(u.id, u.display_name) for u in workers]
    return form


def _create(form: ParticipantForm) -> Participant:
    """The participant with the first step of the phase history and an empty plan."""
    participant = Participant(
        organisation_id=org_id(), team_id=form.team_id.data,
        social_worker_id=form.social_worker_id.data, first_name=form.first_name.data.strip(),
        last_name=form.last_name.data.strip(), phone=form.phone.data or "",
        protected_identity=form.protected_identity.data,
        pseudonym=(form.pseudonym.data or "").strip(), phase=form.phase.data,
        decision_date=form.decision_date.data)
    db.session.add(participant)
    db.session.flush()
    db.session.add(PhaseChange(participant_id=participant.id, phase=participant.phase,
                               started_on=local_today(), recorded_by_id=current_user.id))
    db.session.add(Plan(participant_id=participant.id, updated_by_id=current_user.id))
    return participant


@bp.route("/admin/participants/new", methods=["GET", "POST"])
def new_participant():
    form = _participant_form(ParticipantForm())
    if not form.validate_on_submit():
        return render("admin/participant_new.html", form=form,
                      status=422 if form.is_submitted() else 200)
    participant = _create(form)
    record("create", participant_id=participant.id, object_type="participant",
           object_id=participant.id)
    record_known_decision(participant, form.decision_date.data, current_user)
    db.session.commit()
    flash(_("%(name)s är tillagd.", name=display_name(participant)), "info")
    return redirect(url_for("admin.participants"))


@bp.route("/admin/participants/<int:participant_id>/activation-code", methods=["POST"])
def participant_activation_code(participant_id: int):
    participant = get_participant_or_404(participant_id, need="activation", audit_action=None)
    user = logins.participant_login(participant)
    if not user.active:
        abort(404)
    return activation_page(user, participant.id)
