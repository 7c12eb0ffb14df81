"""A team's own programme rules (DESIGN §1: a team may override its organisation's rules).

The team pages link here; the rules themselves live in webapp/domain/rules.py."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from ..access import team_or_404
from ..audit import record
from ..domain.rules import OVERRIDABLE, PRESET_NAMES, describe, effective_rules
from ..extensions import db
from ..form_fields import SelectField
from ..models import Team
from ..rendering import render
from . import bp

INHERIT = ""


def _inherit_choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(INHERIT, _l("Som organisationen")), *pairs]


def _count(label):
    return IntegerField(label, validators=[
        Optional(), NumberRange(0, 366, _l("Skriv ett tal mellan 0 och 366."))])


class TeamRulesForm(FlaskForm):
    rules_preset = SelectField(_l("Förval för teamet"), validate_choice=False, choices=(
        _inherit_choices([SelectChoice(k, v) for k, v in PRESET_NAMES.items()])))
    min_visits = _count(_l("Minsta antal besök per period i fas 2"))
    visit_period = SelectField(_l("Period"), validate_choice=False, choices=_inherit_choices([
        SelectChoice("week", _l("Vecka")), SelectChoice("month", _l("Månad"))]))
    visits_with_social_services = _count(_l("Varav med socialtjänsten närvarande"))
    any_meeting_counts = SelectField(_l("Vilka möten räknas"), validate_choice=False,
                                     choices=_inherit_choices([
                                         SelectChoice("no", _l("Bara hembesök")),
                                         SelectChoice("yes", _l("Alla möten"))]))
    transfer_months = _count(_l("Månader med bra boende före förstahandskontrakt"))
    decision_months = _count(_l("Beslutets längd i månader"))
    relief_days_per_year = _count(_l("Akut avlastning: högst antal dagar per år"))

    def validate_rules_preset(self, field):
        if field.data not in (INHERIT, *PRESET_NAMES):
            raise ValidationError(_l("Välj ett förval i listan."))

    def validate_visit_period(self, field):
        if field.data not in (INHERIT, "week", "month"):
            raise ValidationError(_l("Välj vecka eller månad."))

    def validate_any_meeting_counts(self, field):
        if field.data not in (INHERIT, "yes", "no"):
            raise ValidationError(_l("Välj i listan."))


def _to_form(team: Team) -> dict:
    data = {key: getattr(team, key) for key in OVERRIDABLE}
    data["rules_preset"] = team.rules_preset or INHERIT
    data["visit_period"] = team.visit_period or INHERIT
    data["any_meeting_counts"] = {None: INHERIT, True: "yes", False: "no"}[
        team.any_meeting_counts]
    return data


def _from_form(team: Team, form: TeamRulesForm) -> None:
    team.rules_preset = form.rules_preset.data or None
    team.visit_period = form.visit_period.data or None
    team.any_meeting_counts = {INHERIT: None, "yes": True, "no": False}[
        form.any_meeting_counts.data]
    for key in ("min_visits", "visits_with_social_services", "transfer_months",
                "decision_months", "relief_days_per_year"):
        setattr(team, key, getattr(form, key).data)


@bp.route("/admin/teams/<int:team_id>/rules", methods=["GET", "POST"])
def team_rules(team_id: int):
    team = team_or_404(team_id)
    write = request.method == "POST"
    form = TeamRulesForm() if write else TeamRulesForm(formdata=None, data=_to_form(team))
    if write and form.validate_on_submit():
        _from_form(team, form)
        record("update", object_type="team_rules", object_id=team.id)
        db.session.commit()
        flash(_("Teamets regler är sparade."), "info")
        return redirect(url_for("admin.team_rules", team_id=team.id))
    return render("admin/team_rules.html", status=422 if write else 200, team=team, form=form,
                  rules_text=describe(effective_rules(current_user.organisation, team)))
