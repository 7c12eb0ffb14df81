"""Forms of the tenancy's steps (DESIGN §1b). Past dates are allowed everywhere: existing
cases come in with their real history, and the record shows who entered it and when."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..form_fields import (
    CheckboxesField,
    DayField,
    SelectField,
    int_or_none,
    label_choices,
    not_after_today,
    not_long_ago,
    within_days,
)
from ..models import (
    END_REASONS,
    LANDLORD_DECISIONS,
    MEETING_PARTIES,
    TERMINATION_CATEGORIES,
)


def _day(label, message=None, *extra, required=True):
    checks = [InputRequired(message)] if required else [Optional()]
    return DayField(label, validators=[*checks, not_long_ago(), within_days(366), *extra])


def _text(label, max_length=2000, required_message=None):
    checks = [DataRequired(required_message)] if required_message else [Optional()]
    return TextAreaField(label, validators=[*checks, Length(max=max_length, message=_l(
        "Högst %(max)d tecken.", max=max_length))])


class ApartmentForm(FlaskForm):
    address = StringField(_l("Gatuadress"), validators=[
        DataRequired(_l("Skriv adressen.")), Length(max=300)])
    apartment_number = StringField(_l("Lägenhetsnummer"), validators=[Optional(), Length(max=20)])
    postal_code = StringField(_l("Postnummer"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Ort"), validators=[Optional(), Length(max=100)])
    area = StringField(_l("Område"), validators=[Optional(), Length(max=100)])
    landlord = StringField(_l("Hyresvärd (bostadsbolag)"), validators=[
        DataRequired(_l("Skriv vilket bostadsbolag som äger lägenheten.")), Length(max=200)])
    rooms = StringField(_l("Storlek (rum)"), validators=[Optional(), Length(max=40)])
    size_sqm = IntegerField(_l("Yta i kvadratmeter"), validators=[
        Optional(), NumberRange(5, 400, _l("Skriv en yta mellan 5 och 400 kvadratmeter."))])
    floor = StringField(_l("Våning"), validators=[Optional(), Length(max=20)])
    protected_address = BooleanField(_l("Skyddad adress (visas bara för de som är direkt "
                                        "tilldelade)"))


class OfferForm(FlaskForm):
    offered_on = _day(_l("Datum för erbjudandet"), _l("Skriv datumet."), not_after_today)
    first_apartment_id = SelectField(_l("Första lägenheten"), coerce=int_or_none,
                                     validate_choice=False,
                                     validators=[InputRequired(_l("Välj en lägenhet."))])
    second_apartment_id = SelectField(_l("Andra lägenheten (parallellval)"), coerce=int_or_none,
                                      validate_choice=False, validators=[Optional()])
    wishes = _text(_l("Deltagarens önskemål (område, storlek, närhet till …)"))
    matching_note = _text(_l("Hur lägenheterna matchar önskemålen"))
    confirm_same_company = BooleanField(_l("Jag vet att det är samma bostadsbolag som sade upp "
                                           "det förra kontraktet och erbjuder ändå"))

    def validate_first_apartment_id(self, field):
        if field.data not in {c.value for c in self.first_apartment_id.choices}:
            raise ValidationError(_l("Välj en lägenhet i listan."))

    def validate_second_apartment_id(self, field):
        if field.data is None:
            return
        if field.data not in {c.value for c in self.second_apartment_id.choices}:
            raise ValidationError(_l("Välj en lägenhet i listan."))
        if field.data == self.first_apartment_id.data:
            raise ValidationError(_l("Välj två olika lägenheter."))


class ChoiceForm(FlaskForm):
    chosen_apartment_id = RadioField(_l("Vilken lägenhet valde deltagaren?"), coerce=int_or_none,
                                     validate_choice=False,
                                     validators=[InputRequired(_l("Välj lägenheten."))])
    chosen_on = _day(_l("Datum för valet"), _l("Skriv datumet."), not_after_today)
    choice_note = _text(_l("Vad deltagaren sa om valet (valfritt)"))

    def validate_chosen_apartment_id(self, field):
        if field.data not in {c.value for c in self.chosen_apartment_id.choices}:
            raise ValidationError(_l("Välj en av de visade lägenheterna."))


class ContractForm(FlaskForm):
    apartment_id = SelectField(_l("Lägenhet"), coerce=int_or_none, validate_choice=False,
                               validators=[InputRequired(_l("Välj lägenheten."))])
    signed_on = _day(_l("Kontraktet skrevs under"), _l("Skriv datumet."), not_after_today)
    start_date = _day(_l("Kontraktet gäller från"), _l("Skriv startdatumet."))
    notice_days = IntegerField(_l("Uppsägningstid i dagar"), default=14, validators=[
        InputRequired(_l("Skriv uppsägningstiden.")),
        NumberRange(0, 365, _l("Skriv ett antal dagar mellan 0 och 365."))])
    tenure_waived = BooleanField(_l("Avstående från besittningsskydd"), default=True)
    tenure_waiver_ends_on = _day(_l("Avståendet gäller till (tomt: två år efter start)"),
                                 required=False)
    attendees = _text(_l("Vilka var med vid kontraktsskrivningen?"), 500,
                      _l("Skriv vilka som var med."))

    def validate_apartment_id(self, field):
        if field.data not in {c.value for c in self.apartment_id.choices}:
            raise ValidationError(_l("Välj en lägenhet i listan."))

    def validate_tenure_waiver_ends_on(self, field):
        if field.data and self.start_date.data and field.data <= self.start_date.data:
            raise ValidationError(_l("Slutdatumet måste vara efter kontraktets start."))


class MoveInForm(FlaskForm):
    move_in_date = _day(_l("Inflyttningsdag"), _l("Skriv inflyttningsdagen."), not_after_today)
    keys_collected_on = _day(_l("Nycklarna hämtades"), required=False)
    inspection_on = _day(_l("Besiktning efter inflyttning (datum)"), required=False)
    inspection_note = _text(_l("Besiktningsprotokoll, kort"))

    def validate_keys_collected_on(self, field):
        if field.data and self.move_in_date.data and field.data > self.move_in_date.data:
            raise ValidationError(_l("Nycklarna hämtas senast på inflyttningsdagen."))


class KeysForm(FlaskForm):
    keys_collected_on = _day(_l("Nycklarna hämtades"), _l("Skriv datumet."), not_after_today)


class EndForm(FlaskForm):
    end_reason = RadioField(_l("Hur slutar boendet?"), choices=label_choices(END_REASONS),
                            validators=[InputRequired(_l("Välj hur boendet slutar."))])
    # No Optional(): it would stop the chain before validate_end_category runs.
    end_category = SelectField(_l("Skäl till uppsägningen"), default="", validate_choice=False,
                               choices=[SelectChoice("", "–"),
                                        *label_choices(TERMINATION_CATEGORIES)])
    terminated_on = _day(_l("Datum (uppsägning, besked eller dödsfall)"), _l("Skriv datumet."),
                         not_after_today)
    end_note = _text(_l("Anteckning (valfritt)"))

    def validate_end_category(self, field):
        if self.end_reason.data == "terminated" and not field.data:
            raise ValidationError(_l("Välj skälet till uppsägningen."))
        if field.data and field.data not in TERMINATION_CATEGORIES:
            raise ValidationError(_l("Välj ett skäl i listan."))


class KeysReturnedForm(FlaskForm):
    keys_returned_on = _day(_l("Nycklarna lämnades tillbaka"), _l("Skriv datumet."),
                            not_after_today)


class TransferStartForm(FlaskForm):
    inspection_on = _day(_l("Besiktning inför överlåtelse (datum)"), _l("Skriv datumet."))
    inspection_attendees = _text(_l("Vilka är med? (stödpersonal, hyresvärd …)"), 500,
                                 _l("Skriv vilka som är med."))


class InspectionForm(FlaskForm):
    """The answers are added per template item by `inspection_form(items)`."""

    inspection_done_on = _day(_l("Besiktningen gjordes"), _l("Skriv datumet."), not_after_today)
    inspection_note = _text(_l("Sammanfattning"))


INSPECTION_ANSWERS = {"ok": _l("OK"), "remark": _l("Anmärkning")}


def inspection_form(items: list[dict], **kwargs) -> InspectionForm:
    fields = {}
    for item in items:
        fields[f"item_{item['key']}"] = RadioField(
            item["text"], choices=label_choices(INSPECTION_ANSWERS),
            validators=[InputRequired(_l("Svara OK eller Anmärkning."))])
        fields[f"note_{item['key']}"] = TextAreaField(
            _l("Vad gäller anmärkningen?"), validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        ok = InspectionForm.validate(self, extra_validators)
        for item in items:  # a remark says what it is about, as on the monthly checklist
            note = getattr(self, f"note_{item['key']}")
            if getattr(self, f"item_{item['key']}").data == "remark" and not (
                    note.data or "").strip():
                note.errors = [*note.errors, _l("Skriv vad anmärkningen gäller.")]
                ok = False
        return ok

    fields["validate"] = validate
    return type("ItemsInspectionForm", (InspectionForm,), fields)(**kwargs)


class RequestForm(FlaskForm):
    requested_on = _day(_l("Förfrågan skickades till hyresvärden"), _l("Skriv datumet."),
                        not_after_today)


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Hyresvärdens beslut"), choices=label_choices(LANDLORD_DECISIONS),
                          validators=[InputRequired(_l("Välj beslutet."))])
    decided_on = _day(_l("Beslutsdatum"), _l("Skriv datumet."), not_after_today)
    decision_reason = _text(_l("Motivering"))
    first_hand_on = _day(_l("Förstahandskontraktet gäller från"), required=False)

    def validate(self, extra_validators=None):
        # Cross-field rules here: Optional() on the fields would skip inline validators.
        valid = super().validate(extra_validators)
        if self.decision.data == "refused" and not (self.decision_reason.data or "").strip():
            self.decision_reason.errors = [*self.decision_reason.errors, _l(
                "Skriv hyresvärdens motivering till avslaget.")]
            valid = False
        if self.decision.data == "approved" and not self.first_hand_on.data \
                and not self.first_hand_on.errors:
            self.first_hand_on.errors = [*self.first_hand_on.errors, _l(
                "Skriv från när förstahandskontraktet gäller.")]
            valid = False
        return valid


class MeetingForm(FlaskForm):
    disturbance_id = SelectField(_l("Gäller störningen"), coerce=int_or_none,
                                 validate_choice=False, validators=[Optional()])
    meets_on = _day(_l("Datum för mötet"), _l("Skriv datumet."))
    meets_time = TimeField(_l("Klockan"), validators=[
        InputRequired(_l("Skriv tiden, t.ex. 13:00."))])
    place = StringField(_l("Plats"), validators=[Optional(), Length(max=200)])
    called = CheckboxesField(_l("Kallade"), choices=label_choices(MEETING_PARTIES),
                             validators=[DataRequired(_l("Välj vilka som kallas."))])
    attended = CheckboxesField(_l("Närvarade (fyll i efter mötet)"),
                               choices=label_choices(MEETING_PARTIES), validators=[Optional()])
    summary = _text(_l("Gemensam lägesbeskrivning"), 4000)

    def validate_disturbance_id(self, field):
        if field.data is not None and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Välj en störning i listan."))


class ActionForm(FlaskForm):
    action = _text(_l("Åtgärd"), 1000, _l("Skriv vad som ska göras."))
    who = StringField(_l("Vem gör det?"), validators=[
        DataRequired(_l("Skriv vem som ansvarar.")), Length(max=200)])
    due_on = _day(_l("Klart senast"), _l("Skriv datumet."))
    follow_up_on = _day(_l("Uppföljning"), required=False)
