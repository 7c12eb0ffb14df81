"""Forms of the plan (genomförandeplan) and the date helpers the staff event forms share."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import GOAL_STATUSES, LIFE_AREAS
from ..timeutil import local_today

STEP_WHO = {"participant": _l("Deltagaren"), "staff": _l("Personalen"),
            "together": _l("Tillsammans")}
DATE_HINT = _l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-14.")



def label_choices(labels) -> list[SelectChoice]:
    """Choices from a key → label dict (labels are lazy translations, so not the dict shorthand)."""
    return [SelectChoice(value, label) for value, label in labels.items()]


class DayField(DateField):
    """A date input whose format error is in Swedish."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", DATE_HINT)
        super().__init__(label, validators, **kwargs)


def not_after_today(form, field):
    if field.data and field.data > local_today():
        raise ValidationError(_l("Datumet kan inte vara senare än i dag."))


def within_days(days: int, message: str | None = None):
    """A validator: the date may be at most `days` ahead (catches typos like 2062)."""

    def check(form, field):
        if field.data and field.data > local_today() + timedelta(days=days):
            raise ValidationError(message or "Datumet ligger för långt fram. Kontrollera året.")

    return check


def not_long_ago(days: int = 3660):
    def check(form, field):
        if field.data and field.data < local_today() - timedelta(days=days):
            raise ValidationError(_l("Datumet ligger för långt bak i tiden. Kontrollera året."))

    return check


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

