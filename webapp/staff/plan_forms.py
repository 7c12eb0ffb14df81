"""Forms of the plan (genomförandeplan)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..form_fields import DayField, SelectField, label_choices, not_long_ago, within_days
from ..models import GOAL_STATUSES, LIFE_AREAS

STEP_WHO = {"participant": _l("Deltagaren"), "staff": _l("Personalen"),
            "together": _l("Tillsammans")}
class VersionedForm(FlaskForm):
    # The plan version this form was loaded at: a newer stored version means a conflict.
    version = HiddenField()


class GoalForm(VersionedForm):
    own_words = TextAreaField(
        _l("Målet med deltagarens egna ord"),
        validators=[DataRequired(_l("Skriv målet så som deltagaren säger det.")), Length(max=2000)],
    )
    life_area = SelectField(_l("Livsområde"), choices=label_choices(LIFE_AREAS), default="other")
    status = SelectField(_l("Läge"), choices=label_choices(GOAL_STATUSES), default="active")


class StepForm(VersionedForm):
    text = TextAreaField(_l("Vad ska göras?"), validators=[
        DataRequired(_l("Skriv vad som ska göras.")), Length(max=1000)])
    who = RadioField(_l("Vem gör det?"), choices=label_choices(STEP_WHO), default="together")
    who_name = StringField(_l("Namn på den som hjälper till (valfritt)"), validators=[
        Optional(), Length(max=200)])
    due_date = DayField(_l("Klart senast (valfritt)"), validators=[
        Optional(), not_long_ago(366), within_days(3 * 366)])


class FollowUpForm(VersionedForm):
    follow_up_date = DayField(_l("Datum för nästa uppföljning"), validators=[
        Optional(), not_long_ago(366), within_days(2 * 366)])


class DropForm(VersionedForm):
    """A button-only form (CSRF and the loaded version)."""

