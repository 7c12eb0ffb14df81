"""Forms of the staff pages: appointments and visit outcomes (messages in plain Swedish)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..form_fields import SelectField
from ..models import APPOINTMENT_KINDS, OUTCOMES
from ..timeutil import local_now

LATEST_BOOKING = timedelta(days=2 * 366)


def _choices(labels) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in dict(labels).items()]


class AppointmentForm(FlaskForm):
    """Book or move an appointment. Times are typed in local time (date + time inputs)."""

    kind = SelectField(_l("Vad gäller tiden?"), choices=_choices(APPOINTMENT_KINDS),
                       validate_choice=False,
                       validators=[AnyOf(list(APPOINTMENT_KINDS),
                                         message=_l("Välj vad tiden gäller."))])
    day = DateField(_l("Datum"), validators=[InputRequired(_l("Välj ett datum."))])
    time = TimeField(_l("Klockslag"), validators=[InputRequired(_l("Välj ett klockslag."))])
    duration_minutes = IntegerField(
        _l("Längd i minuter"), default=60,
        validators=[InputRequired(_l("Skriv hur många minuter tiden är.")),
                    NumberRange(5, 600, _l("Skriv en längd mellan 5 och 600 minuter."))])
    location = StringField(_l("Plats"), validators=[Length(max=300, message=_l(
        "Platsen får vara högst 300 tecken."))])
    staff_id = SelectField(_l("Stödperson"), coerce=int, validate_choice=False)
    visible_to_participant = BooleanField(_l("Deltagaren ser tiden i appen"), default=True)
    with_social_services = BooleanField(_l("Socialtjänsten är med"))
    note = TextAreaField(_l("Anteckning (syns inte för deltagaren)"), validators=[
        Optional(), Length(max=2000, message=_l("Anteckningen får vara högst 2000 tecken."))])

    def __init__(self, *args, staff_choices=(), is_new=True, original=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff_id.choices = _choices(staff_choices)
        self.is_new = is_new
        self.original = original  # the stored local start when moving

    def validate_staff_id(self, field):
        if field.data not in {choice.value for choice in self.staff_id.choices}:
            raise ValidationError(_l("Välj en stödperson i listan."))

    def starts_at_local(self) -> datetime | None:
        if self.day.data is None or self.time.data is None:
            return None
        return datetime.combine(self.day.data, self.time.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        when = self.starts_at_local()
        if when is None:
            return ok
        now = local_now().replace(tzinfo=None)
        changed = self.is_new or self.original is None or when != self.original
        if changed and when < now:
            self.day.errors = [*self.day.errors, _l(
                "Tiden har redan passerat. Välj en tid som inte har varit.")]
            return False
        if when > now + LATEST_BOOKING:
            self.day.errors = [*self.day.errors, _l("Välj ett datum inom två år.")]
            return False
        return ok


class OutcomeForm(FlaskForm):
    """How a visit went (offline outbox contract: outcome, note, idempotency_key)."""

    outcome = RadioField(_l("Hur gick besöket?"), choices=_choices(OUTCOMES),
                         validate_choice=False, validators=[
                             InputRequired(_l("Välj hur besöket gick.")),
                             AnyOf(list(OUTCOMES), message=_l("Välj hur besöket gick."))])
    note = TextAreaField(_l("Kort anteckning"), validators=[
        Optional(), Length(max=1000, message=_l("Anteckningen får vara högst 1000 tecken."))])
    idempotency_key = HiddenField()
    next = HiddenField()
