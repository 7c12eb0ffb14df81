"""Forms of the events page: disturbances, absences, phase, consent, keys, decision."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..form_fields import (
    DayField,
    SelectField,
    label_choices,
    not_after_today,
    not_long_ago,
    within_days,
)
from ..models import ABSENCE_KINDS, SEVERITIES, SOURCES

PHASE_LABELS = {
    "1": _l("Fas 1 – planering före inflyttning"),
    "2": _l("Fas 2 – andrahandskontrakt"),
    "3": _l("Fas 3 – förstahandskontrakt"),
    "4": _l("Fas 4 – öppet stöd"),
}
OPEN_SUPPORT_REMINDER = (
    _l("Fas 4: berätta för deltagaren om det öppna stödet – att hen kan ringa under "
       "telefontiderna, "
       "komma på drop-in och besöka kontoret, och få hjälp att söka stöd igen.")
)


def _required_day(label: str, message: str, *extra):
    # InputRequired, not DataRequired: an unreadable date keeps its "write it as ÅÅÅÅ-MM-DD" error.
    return DayField(label, validators=[InputRequired(message), not_long_ago(), *extra])


class DisturbanceForm(FlaskForm):
    occurred_on = _required_day(_l("Datum för störningen"), _l("Skriv när det hände."),
                                not_after_today)
    source = SelectField(_l("Vem har hört av sig?"), choices=label_choices(SOURCES),
                         default="landlord")
    severity = RadioField(_l("Hur allvarligt?"), choices=label_choices(SEVERITIES), default="minor",
                          validators=[DataRequired(_l("Välj hur allvarligt det är."))])
    description = TextAreaField(_l(
        "Vad har hänt? (bara personal och socialsekreterare ser texten; bostad ser datum och "
        "hur allvarligt det är)"), validators=[
        DataRequired(_l("Skriv kort vad som har hänt.")), Length(max=4000)])


class FollowUpForm(FlaskForm):
    # DESIGN §1d: when the tenant was actually contacted, not when it is typed.
    contacted_on = DayField(_l("Datum då ni fick kontakt"), validators=[
        Optional(), not_after_today, within_days(31)])
    contacted_time = TimeField(_l("Klockslag"), validators=[Optional()])
    note = TextAreaField(_l("Vad gjorde ni? (kontakt med hyresgästen)"), validators=[
        DataRequired(_l("Skriv kort hur ni tog kontakt och vad ni kom överens om.")),
        Length(max=4000)])

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the time field's own checks when empty: a date needs its time.
        ok = super().validate(extra_validators)
        if self.contacted_on.data and self.contacted_time.data is None:
            self.contacted_time.errors = [_l("Skriv klockslaget, till exempel 14:30.")]
            ok = False
        return ok


class AbsenceForm(FlaskForm):
    kind = SelectField(_l("Slag av frånvaro"), choices=label_choices(ABSENCE_KINDS),
                       default="other")
    start_date = _required_day(_l("Från och med"), _l("Skriv när frånvaron började."),
                               within_days(366))
    end_date = DayField(_l("Till och med (lämna tomt om den pågår)"), validators=[
        Optional(), within_days(366)])
    reason = TextAreaField(_l("Orsak (syns bara för personal och socialsekreterare)"), validators=[
        Optional(), Length(max=2000)])

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("Slutdatum kan inte vara före startdatum."))


class AbsenceEndForm(FlaskForm):
    end_date = _required_day(_l("Sista dagen borta"), _l("Skriv sista dagen."), within_days(366))

    def __init__(self, *args, start=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.start = start

    def validate_end_date(self, field):
        if field.data and self.start and field.data < self.start:
            raise ValidationError(_l("Slutdatum kan inte vara före startdatum."))


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Ny fas"), choices=label_choices(PHASE_LABELS))
    started_on = _required_day(_l("Fasen börjar"), _l("Skriv när den nya fasen börjar."),
                               within_days(366))
    note = TextAreaField(_l("Anteckning (valfritt)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, current_phase=None, current_start=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_phase, self.current_start = current_phase, current_start

    def validate_phase(self, field):
        if field.data == str(self.current_phase):
            raise ValidationError(_l("Deltagaren är redan i den fasen. Välj en annan fas."))

    def validate_started_on(self, field):
        if field.data and self.current_start and field.data < self.current_start:
            raise ValidationError(_(
                "Datumet kan inte vara före när nuvarande fas började (%(date)s).",
                date=self.current_start.isoformat()))


class ConsentForm(FlaskForm):
    scope = TextAreaField(_l("Vad gäller samtycket? (vilka får dela information)"), validators=[
        DataRequired(_l("Skriv vad deltagaren har samtyckt till.")), Length(max=2000)])
    given_on = _required_day(_l("Datum för samtycket"), _l("Skriv datumet."), not_after_today)


class ConsentWithdrawForm(FlaskForm):
    withdrawn_on = _required_day(_l("Återkallat den"), _l("Skriv datumet."), not_after_today)

    def __init__(self, *args, given_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.given_on = given_on

    def validate_withdrawn_on(self, field):
        if field.data and self.given_on and field.data < self.given_on:
            raise ValidationError(_l("Datumet kan inte vara före samtycket."))


class ReserveKeyForm(FlaskForm):
    spare_key_at_office = BooleanField(_l("Deltagaren har lämnat en reservnyckel på kontoret"))
    conditions = TextAreaField(
        _l("Villkor som vi kommit överens om (när får personalen använda den?)"),
        validators=[Length(max=2000)])
    entrance_access = BooleanField(_l("Personalen har nyckel eller tagg till porten"))

    def validate_conditions(self, field):
        if self.spare_key_at_office.data and not (field.data or "").strip():
            raise ValidationError(_l("Skriv villkoren för reservnyckeln."))
