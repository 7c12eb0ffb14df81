"""Forms of the social-services pages (flask-wtf, errors next to the field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..domain.social import decision_problems
from ..form_fields import (
    DayField,
    SelectField,
    label_choices,
    not_after_today,
    not_long_ago,
    within_days,
)
from ..models import AGREEMENT, APPOINTMENT_KINDS, DECISION_KINDS, MISSED_REASONS

PROBLEM_TEXT = {
    "ends_before_start": _l("Beslutet kan inte sluta innan det börjar."),
    "review_after_end": _l("Omprövningen måste ske innan beslutet upphör."),
    "review_before_start": _l("Omprövningen kan inte vara före beslutets början."),
    "starts_before_decided": _l("Startdatum ligger mer än ett år före beslutsdatum."),
}


class DecisionForm(FlaskForm):
    kind = RadioField(_l("Slag av beslut"), choices=label_choices(DECISION_KINDS),
                      default="support", validators=[DataRequired(_l("Välj slag av beslut."))])
    decided_on = DayField(_l("Beslutsdatum"), validators=[
        InputRequired(_l("Skriv när beslutet fattades.")), not_after_today, not_long_ago()])
    starts_on = DayField(_l("Gäller från"), validators=[
        InputRequired(_l("Skriv när beslutet börjar gälla.")), within_days(366), not_long_ago()])
    ends_on = DayField(_l("Gäller till och med (tomt: beslutsperioden enligt reglerna)"),
                       validators=[Optional(), within_days(3660)])
    review_date = DayField(_l("Omprövas senast (tomt: en månad före slutet)"),
                           validators=[Optional(), within_days(3660)])
    text = TextAreaField(_l("Vad beslutet gäller"), validators=[Optional(), Length(max=4000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        problems = decision_problems(self.starts_on.data, self.ends_on.data,
                                     self.review_date.data, self.decided_on.data)
        for name, code in problems.items():
            getattr(self, name).errors = [*getattr(self, name).errors, PROBLEM_TEXT[code]]
        return ok and not problems


class AssignmentForm(FlaskForm):
    decision_id = SelectField(_l("Vilket beslut uppdraget gäller"), coerce=str,
                              validators=[Optional()])
    purpose = TextAreaField(_l("Vad stödet ska ge (uppdraget)"), validators=[
        DataRequired(_l("Skriv vad uppdraget gäller.")), Length(max=4000)])
    sent_on = DayField(_l("Datum"), validators=[
        InputRequired(_l("Skriv datumet.")), not_after_today, not_long_ago()])


REPORT_FIELDS = ("support_given", "goals_progress", "housing_situation", "concerns",
                 "participant_view")


class ReportForm(FlaskForm):
    support_given = TextAreaField(_l("Hur stödet har gått den här månaden"), validators=[
        DataRequired(_l("Skriv kort hur stödet har gått.")), Length(max=4000)])
    goals_progress = TextAreaField(_l("Mål: hur det går"), validators=[Length(max=4000)])
    housing_situation = TextAreaField(_l("Boendet"), validators=[Length(max=4000)])
    concerns = TextAreaField(_l("Oro eller risker"), validators=[Length(max=4000)])
    participant_view = TextAreaField(_l("Deltagarens egen syn"), validators=[
        DataRequired(_l("Skriv vad deltagaren själv tycker.")), Length(max=4000)])


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Kommentar till personalen"), validators=[
        DataRequired(_l("Skriv en kommentar.")), Length(max=4000)])


class QuarterlyForm(FlaskForm):
    held_on = DayField(_l("Datum för uppföljningsmötet"), validators=[
        InputRequired(_l("Skriv när mötet hölls.")), not_after_today, not_long_ago()])
    note = TextAreaField(_l("Vad kom ni fram till?"), validators=[Length(max=4000)])
    transfer_ready = RadioField(_l("Är deltagaren redo för förstahandskontrakt?"),
                                choices=label_choices({"yes": _l("Ja"), "no": _l("Inte än")}),
                                validators=[Optional()])


class ExplainMissedForm(FlaskForm):
    reason = RadioField(_l("Varför blev det inget besök?"), choices=label_choices(MISSED_REASONS),
                        validators=[DataRequired(_l("Välj varför."))])
    visited_on = DayField(_l("Datum för besöket"), validators=[
        Optional(), not_after_today, not_long_ago(92)])
    visited_time = TimeField(_l("Klockslag"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends a field's own checks when it is empty, so the "needed when the visit
        # was made" rule is checked here.
        ok = super().validate(extra_validators)
        if self.reason.data != "logged_late":
            return ok
        if not self.visited_on.data and not self.visited_on.errors:
            self.visited_on.errors = [_l("Skriv när besöket gjordes.")]
            ok = False
        if self.visited_time.data is None and not self.visited_time.errors:
            self.visited_time.errors = [_l("Skriv klockslaget, till exempel 14:30.")]
            ok = False
        return ok


MEETING_CHOICES = {k: v for k, v in APPOINTMENT_KINDS.items() if k != "phone"}


class LateVisitForm(FlaskForm):
    kind = SelectField(_l("Slag av möte"), choices=label_choices(MEETING_CHOICES),
                       default="home_visit")
    day = DayField(_l("Datum"), validators=[
        InputRequired(_l("Skriv när besöket gjordes.")), not_after_today, not_long_ago(92)])
    time = TimeField(_l("Klockslag"), validators=[
        InputRequired(_l("Skriv klockslaget, till exempel 14:30."))])
    with_social_services = RadioField(_l("Var socialtjänsten med?"),
                                      choices=label_choices({"no": _l("Nej"),
                                                             "yes": _l("Ja")}),
                                      default="no")
    note = TextAreaField(_l("Kort anteckning"), validators=[Optional(), Length(max=2000)])


class CrisisPlanForm(FlaskForm):
    signals = TextAreaField(_l("Tecken på att det börjar bli svårt"), validators=[
        Length(max=4000)])
    what_helps = TextAreaField(_l("Det här hjälper"), validators=[Length(max=4000)])
    whom_to_call = TextAreaField(_l("Vem jag ringer"), validators=[Length(max=4000)])


class PlanDetailsForm(FlaskForm):
    decision_id = SelectField(_l("Beslutet som planen genomför"), coerce=str,
                              validators=[Optional()])
    participation = TextAreaField(_l("Hur deltagaren var med och tog fram planen"),
                                  validators=[Length(max=4000)])
    agreement = RadioField(_l("Håller deltagaren med om planen?"),
                           choices=label_choices(AGREEMENT), validators=[Optional()])
    sip_on = DayField(_l("SIP-möte (datum)"), validators=[Optional(), within_days(366)])
    sip_note = TextAreaField(_l("SIP-möte: anteckning"), validators=[Length(max=2000)])


class GoalDetailsForm(FlaskForm):
    how_when = TextAreaField(_l("Hur och när"), validators=[Length(max=2000)])
    follow_up_on = DayField(_l("Följs upp"), validators=[Optional(), within_days(3660)])
