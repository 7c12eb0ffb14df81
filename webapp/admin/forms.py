"""Admin forms: users, participants, programme settings, contacts, audit filters and reviews."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..models import User

ROLE_CHOICES = [
    SelectChoice("staff", "Stödpersonal"),
    SelectChoice("social_worker", "Socialsekreterare"),
    SelectChoice("housing", "Bostadsförvaltning"),
    SelectChoice("admin", "Administratör / samordnare"),
    SelectChoice("participant", "Deltagare"),
]
ROLE_LABELS = {c.value: c.label for c in ROLE_CHOICES}
PRESET_CHOICES = [
    SelectChoice("goteborg", "Göteborg"),
    SelectChoice("stockholm", "Stockholm"),
    SelectChoice("helsingborg", "Helsingborg"),
]
CONTACT_KINDS = [
    SelectChoice("phone", "Telefon"),
    SelectChoice("dropin", "Drop-in"),
    SelectChoice("office", "Kontor"),
]
USERNAME = re.compile(r"^[a-z0-9._-]{3,80}$")


def int_or_none(value) -> int | None:
    """Coerce for id selects: a bogus value becomes None and gets our Swedish message."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _in_choices(field, message: str) -> None:
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(message)


class UserForm(FlaskForm):
    role = SelectField("Roll", choices=ROLE_CHOICES, validate_choice=False,
                       validators=[DataRequired("Välj roll.")])
    display_name = StringField("Namn", validators=[
        DataRequired("Skriv namnet."), Length(max=200, message="Högst 200 tecken.")])
    username = StringField("Användarnamn", description="Små bokstäver, siffror, punkt och streck.",
                           validators=[DataRequired("Skriv ett användarnamn.")])
    phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    email = StringField("E-post", validators=[
        Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Skriv en giltig e-postadress."),
        Length(max=200)])
    team_ids = MultiCheckboxField("Team", coerce=int, validate_choice=False)
    # No Optional(): it would stop the chain before validate_participant_id runs.
    participant_id = SelectField("Deltagare som kontot hör till", coerce=int_or_none,
                                 validate_choice=False)

    def validate_role(self, field):
        _in_choices(field, "Välj en roll i listan.")

    def validate_username(self, field):
        field.data = (field.data or "").strip().lower()
        if not USERNAME.match(field.data):
            raise ValidationError("Använd 3–80 tecken: små bokstäver, siffror, punkt, streck.")
        if db.session.scalar(db.select(User.id).where(User.username == field.data)):
            raise ValidationError("Användarnamnet finns redan. Välj ett annat.")

    def validate_team_ids(self, field):
        allowed = {choice.value for choice in field.choices}
        if any(team_id not in allowed for team_id in field.data or []):
            raise ValidationError("Välj team i listan.")

    def validate_participant_id(self, field):
        if self.role.data != "participant":
            field.data = None
            return
        if field.data is None:
            raise ValidationError("Välj vilken deltagare kontot hör till.")
        _in_choices(field, "Välj en deltagare i listan.")


class TeamsForm(FlaskForm):
    team_ids = MultiCheckboxField("Team", coerce=int, validate_choice=False)

    def validate_team_ids(self, field):
        allowed = {choice.value for choice in field.choices}
        if any(team_id not in allowed for team_id in field.data or []):
            raise ValidationError("Välj team i listan.")


class AssignmentForm(FlaskForm):
    participant_id = SelectField("Deltagare", coerce=int_or_none, validate_choice=False,
                                 validators=[InputRequired("Välj deltagare.")])

    def validate_participant_id(self, field):
        _in_choices(field, "Välj en deltagare i listan.")


class ParticipantForm(FlaskForm):
    first_name = StringField("Förnamn", validators=[
        DataRequired("Skriv förnamnet."), Length(max=100)])
    last_name = StringField("Efternamn", validators=[
        DataRequired("Skriv efternamnet."), Length(max=100)])
    phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    team_id = SelectField("Team", coerce=int_or_none, validate_choice=False,
                          validators=[InputRequired("Välj team.")])
    social_worker_id = SelectField("Socialsekreterare", coerce=int_or_none,
                                   validate_choice=False, validators=[Optional()])
    phase = SelectField("Fas", coerce=int_or_none, validate_choice=False, choices=[
        SelectChoice(1, "Fas 1 – planering före inflyttning"),
        SelectChoice(2, "Fas 2 – andrahandskontrakt"),
        SelectChoice(3, "Fas 3 – förstahandskontrakt"),
        SelectChoice(4, "Fas 4 – öppet stöd"),
    ], validators=[InputRequired("Välj fas.")])
    decision_date = DateField("Beslutsdatum", validators=[Optional()])
    protected_identity = BooleanField("Skyddade personuppgifter")
    pseudonym = StringField("Namn som visas i stället (för skyddade personuppgifter)",
                            validators=[Length(max=100)])

    def validate_team_id(self, field):
        _in_choices(field, "Välj ett team i listan.")

    def validate_social_worker_id(self, field):
        if field.data is not None:
            _in_choices(field, "Välj en socialsekreterare i listan.")

    def validate_phase(self, field):
        _in_choices(field, "Välj en fas i listan.")

    def validate_pseudonym(self, field):
        if self.protected_identity.data and not (field.data or "").strip():
            raise ValidationError("Skriv ett namn som visas i stället för det riktiga.")


class PresetForm(FlaskForm):
    preset = SelectField("Förval", choices=PRESET_CHOICES, validate_choice=False,
                         validators=[DataRequired("Välj förval.")])

    def validate_preset(self, field):
        _in_choices(field, "Välj ett förval i listan.")


class SettingsForm(FlaskForm):
    min_visits = IntegerField("Minsta antal hembesök per period i fas 2", validators=[
        InputRequired("Skriv ett antal."), NumberRange(0, 31, "Skriv ett tal mellan 0 och 31.")])
    visit_period = SelectField("Period", choices=[
        SelectChoice("week", "Vecka"), SelectChoice("month", "Månad")], validate_choice=False)
    visits_with_social_services = IntegerField(
        "Varav med socialtjänsten närvarande", validators=[
            InputRequired("Skriv ett antal."),
            NumberRange(0, 31, "Skriv ett tal mellan 0 och 31.")])
    transfer_months = IntegerField("Månader med bra boende före förstahandskontrakt", validators=[
        InputRequired("Skriv antal månader."),
        NumberRange(1, 60, "Skriv ett tal mellan 1 och 60.")])
    decision_months = IntegerField("Beslutets längd i månader", validators=[
        InputRequired("Skriv antal månader."),
        NumberRange(1, 120, "Skriv ett tal mellan 1 och 120.")])
    checklist_monthly = BooleanField("Genomgång av lägenheten varje månad")
    oncall_phone = StringField("Telefonnummer dygnet runt", validators=[
        Optional(), Length(max=40, message="Högst 40 tecken.")])

    def validate_visit_period(self, field):
        _in_choices(field, "Välj vecka eller månad.")

    def validate_visits_with_social_services(self, field):
        if field.data is not None and self.min_visits.data is not None and (
                field.data > self.min_visits.data):
            raise ValidationError("Kan inte vara fler än minsta antalet hembesök.")


class ContactForm(FlaskForm):
    kind = SelectField("Typ", choices=CONTACT_KINDS, validate_choice=False)
    label = StringField("Namn", validators=[
        DataRequired("Skriv ett namn, till exempel Öppna stödet, telefon."), Length(max=200)])
    phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    hours = StringField("Tider", validators=[Optional(), Length(max=200)])
    address = StringField("Adress", validators=[Optional(), Length(max=300)])
    position = IntegerField("Ordning", default=0, validators=[
        Optional(), NumberRange(0, 999, "Skriv ett tal mellan 0 och 999.")])

    def validate_kind(self, field):
        _in_choices(field, "Välj typ i listan.")


class AuditFilterForm(FlaskForm):
    """GET filters: no CSRF (nothing changes)."""

    class Meta:
        csrf = False

    user_id = SelectField("Person", coerce=int_or_none, validate_choice=False,
                          validators=[Optional()])
    participant_id = SelectField("Deltagare", coerce=int_or_none, validate_choice=False,
                                 validators=[Optional()])
    start = DateField("Från och med", validators=[Optional()])
    end = DateField("Till och med", validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("Slutdatum kan inte vara före startdatum.")


class ReviewForm(FlaskForm):
    comment = TextAreaField("Kommentar", validators=[Optional(), Length(max=2000)])
