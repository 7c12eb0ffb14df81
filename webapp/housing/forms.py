"""Housing administration forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..form_fields import KeptIdSelect, SelectField, int_or_none
from ..timeutil import local_today

HOUSING_SEVERITIES = [
    SelectChoice("minor", _l("Mindre störning")),
    SelectChoice("rattelse", _l("Rättelseanmaning")),
    SelectChoice("serious", _l("Allvarlig störning")),
    SelectChoice("unpaid_rent", _l("Obetald hyra")),
    SelectChoice("very_serious", _l("Mycket allvarlig störning")),
]


class DisturbanceForm(FlaskForm):
    """Housing logs a disturbance or a rättelseanmaning; staff's one-day rule starts now."""

    # Choices are the user's scope (set by the view); checked here with a Swedish message.
    # Up to 1,000 tenants: their options written once per content (form_fields.KeptIdSelect).
    participant_id = SelectField(_l("Hyresgäst"), coerce=int_or_none, validate_choice=False,
                                 validators=[InputRequired(_l("Välj hyresgäst."))],
                                 widget=KeptIdSelect())
    occurred_on = DateField(_l("Datum då det hände"), validators=[
        DataRequired(_l("Skriv datumet, till exempel 2026-03-01."))])
    severity = SelectField(_l("Typ"), choices=HOUSING_SEVERITIES, validators=[
        DataRequired(_l("Välj typ."))])
    description = TextAreaField(_l("Vad hände?"), validators=[
        DataRequired(_l("Beskriv kort vad som hände.")), Length(max=2000,
                                                            message=_l("Högst 2000 tecken."))])
    # The one-day rule counts from when the copy reached the support team (DESIGN §1d).
    letter_sent_at = DateTimeLocalField(_l("Rättelseanmaningen skickades (datum och tid)"),
                                        validators=[Optional()], format="%Y-%m-%dT%H:%M")
    copy_received_at = DateTimeLocalField(
        _l("Kopian kom till stödpersonalen (datum och tid)"), validators=[Optional()],
        format="%Y-%m-%dT%H:%M")

    def validate_copy_received_at(self, field):
        sent = self.letter_sent_at.data
        if field.data and sent and field.data < sent:
            raise ValidationError(_l("Kopian kan inte ha kommit innan brevet skickades."))

    def validate_participant_id(self, field):
        if field.data not in {choice.value for choice in self.participant_id.choices
                              if choice.value != ""}:
            raise ValidationError(_l("Välj en hyresgäst i listan."))

    def validate_occurred_on(self, field):
        if field.data and field.data > local_today():
            raise ValidationError(_l("Datumet kan inte vara senare än i dag."))
