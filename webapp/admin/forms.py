"""Admin forms: users, participants, programme settings, contacts, audit filters and reviews."""
from __future__ import annotations

import re

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..domain.rules import PRESET_NAMES
from ..form_fields import CheckboxesField, KeptIdSelect, SelectField, int_or_none
from ..usernames import UNUSABLE, is_usable

ROLE_CHOICES = [
    SelectChoice("staff", _l("Stödpersonal")),
    SelectChoice("social_worker", _l("Socialsekreterare")),
    SelectChoice("housing", _l("Bostadsförvaltning")),
    SelectChoice("admin", _l("Administratör / samordnare")),
    SelectChoice("participant", _l("Deltagare")),
]
ROLE_LABELS = {c.value: c.label for c in ROLE_CHOICES}


def role_labels() -> dict[str, str]:
    """ROLE_LABELS in the page's language, each translated once per request: a lazy label is
    translated again wherever a template prints it, and the log shows a role on every row
    (the admin pages' context has them too: one dict for both)."""
    labels = g.get("_role_labels")
    if labels is None:
        labels = g._role_labels = {role: str(label) for role, label in ROLE_LABELS.items()}
    return labels

PRESET_CHOICES = [SelectChoice(name, label) for name, label in PRESET_NAMES.items()]
CONTACT_KINDS = [
    SelectChoice("phone", _l("Telefon")),
    SelectChoice("dropin", _l("Drop-in")),
    SelectChoice("office", _l("Kontor")),
]
USERNAME = re.compile(r"^[a-z0-9._-]{3,80}$")


def in_choices(field, message: str) -> None:
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(message)


class TeamsForm(FlaskForm):
    """A user's teams as checkboxes (the user page; the new-user form adds the rest)."""

    team_ids = CheckboxesField(_l("Team"), coerce=int, validate_choice=False)

    def validate_team_ids(self, field):
        allowed = {choice.value for choice in field.choices}
        if any(team_id not in allowed for team_id in field.data or []):
            raise ValidationError(_l("Välj team i listan."))


class UserForm(TeamsForm):
    role = SelectField(_l("Roll"), choices=ROLE_CHOICES, validate_choice=False,
                       validators=[DataRequired(_l("Välj roll."))])
    display_name = StringField(_l("Namn"), validators=[
        DataRequired(_l("Skriv namnet.")), Length(max=200, message=_l("Högst 200 tecken."))])
    username = StringField(_l("Användarnamn"),
                           description=_l("Små bokstäver, siffror, punkt och streck."),
                           validators=[DataRequired(_l("Skriv ett användarnamn."))])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-post"), validators=[
        Optional(),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Skriv en giltig e-postadress.")),
        Length(max=200)])
    # No Optional(): it would stop the chain before validate_participant_id runs.
    participant_id = SelectField(_l("Deltagare som kontot hör till"), coerce=int_or_none,
                                 validate_choice=False, widget=KeptIdSelect())

    def validate_role(self, field):
        in_choices(field, _l("Välj en roll i listan."))

    def validate_username(self, field):
        field.data = (field.data or "").strip().lower()
        if not USERNAME.match(field.data):
            raise ValidationError(_l("Använd 3–80 tecken: små bokstäver, siffror, punkt, streck."))
        if not is_usable(field.data):  # one neutral answer: see webapp/usernames.py
            raise ValidationError(UNUSABLE)

    def validate_participant_id(self, field):
        if self.role.data != "participant":
            field.data = None
            return
        if field.data is None:
            raise ValidationError(_l("Välj vilken deltagare kontot hör till."))
        in_choices(field, _l("Välj en deltagare i listan."))


class AssignmentForm(FlaskForm):
    participant_id = SelectField(_l("Deltagare"), coerce=int_or_none, validate_choice=False,
                                 validators=[InputRequired(_l("Välj deltagare."))])

    def validate_participant_id(self, field):
        in_choices(field, _l("Välj en deltagare i listan."))


class ParticipantForm(FlaskForm):
    first_name = StringField(_l("Förnamn"), validators=[
        DataRequired(_l("Skriv förnamnet.")), Length(max=100)])
    last_name = StringField(_l("Efternamn"), validators=[
        DataRequired(_l("Skriv efternamnet.")), Length(max=100)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    team_id = SelectField(_l("Team"), coerce=int_or_none, validate_choice=False,
                          validators=[InputRequired(_l("Välj team."))])
    social_worker_id = SelectField(_l("Socialsekreterare"), coerce=int_or_none,
                                   validate_choice=False, validators=[Optional()])
    phase = SelectField(_l("Fas"), coerce=int_or_none, validate_choice=False, choices=[
        SelectChoice(1, _l("Fas 1 – planering före inflyttning")),
        SelectChoice(2, _l("Fas 2 – andrahandskontrakt")),
        SelectChoice(3, _l("Fas 3 – förstahandskontrakt")),
        SelectChoice(4, _l("Fas 4 – öppet stöd")),
    ], validators=[InputRequired(_l("Välj fas."))])
    decision_date = DateField(_l("Beslutsdatum"), validators=[Optional()])
    protected_identity = BooleanField(_l("Skyddade personuppgifter"))
    pseudonym = StringField(_l("Namn som visas i stället (för skyddade personuppgifter)"),
                            validators=[Length(max=100)])

    def validate_team_id(self, field):
        in_choices(field, _l("Välj ett team i listan."))

    def validate_social_worker_id(self, field):
        if field.data is not None:
            in_choices(field, _l("Välj en socialsekreterare i listan."))

    def validate_phase(self, field):
        in_choices(field, _l("Välj en fas i listan."))

    def validate_pseudonym(self, field):
        if self.protected_identity.data and not (field.data or "").strip():
            raise ValidationError(_l("Skriv ett namn som visas i stället för det riktiga."))


class PresetForm(FlaskForm):
    preset = SelectField(_l("Förval"), choices=PRESET_CHOICES, validate_choice=False,
                         validators=[DataRequired(_l("Välj förval."))])

    def validate_preset(self, field):
        in_choices(field, _l("Välj ett förval i listan."))


class SettingsForm(FlaskForm):
    min_visits = IntegerField(_l("Minsta antal hembesök per period i fas 2"), validators=[
        InputRequired(_l("Skriv ett antal.")),
        NumberRange(0, 31, _l("Skriv ett tal mellan 0 och 31."))])
    visit_period = SelectField(_l("Period"), choices=[
        SelectChoice("week", _l("Vecka")), SelectChoice("month", _l("Månad"))],
        validate_choice=False)
    visits_with_social_services = IntegerField(
        _l("Varav med socialtjänsten närvarande"), validators=[
            InputRequired(_l("Skriv ett antal.")),
            NumberRange(0, 31, _l("Skriv ett tal mellan 0 och 31."))])
    transfer_months = IntegerField(
        _l("Månader med bra boende före förstahandskontrakt"), validators=[
        InputRequired(_l("Skriv antal månader.")),
        NumberRange(1, 60, _l("Skriv ett tal mellan 1 och 60."))])
    decision_months = IntegerField(_l("Beslutets längd i månader"), validators=[
        InputRequired(_l("Skriv antal månader.")),
        NumberRange(1, 120, _l("Skriv ett tal mellan 1 och 120."))])
    checklist_monthly = BooleanField(_l("Genomgång av lägenheten varje månad"))
    any_meeting_counts = BooleanField(_l("Alla möten räknas, inte bara hembesök"))
    relief_days_per_year = IntegerField(
        _l("Akut avlastning: högst antal dagar per år (0 = inget tak)"), default=0,
        filters=[lambda value: 0 if value is None else value], validators=[
            Optional(), NumberRange(0, 366, _l("Skriv ett tal mellan 0 och 366."))])
    oncall_phone = StringField(_l("Telefonnummer dygnet runt"), validators=[
        Optional(), Length(max=40, message=_l("Högst 40 tecken."))])

    def validate_visit_period(self, field):
        in_choices(field, _l("Välj vecka eller månad."))

    def validate_visits_with_social_services(self, field):
        if field.data is not None and self.min_visits.data is not None and (
                field.data > self.min_visits.data):
            raise ValidationError(_l("Kan inte vara fler än minsta antalet hembesök."))


class ContactForm(FlaskForm):
    kind = SelectField(_l("Typ"), choices=CONTACT_KINDS, validate_choice=False)
    label = StringField(_l("Namn"), validators=[
        DataRequired(_l("Skriv ett namn, till exempel Öppna stödet, telefon.")), Length(max=200)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    hours = StringField(_l("Tider"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Adress"), validators=[Optional(), Length(max=300)])
    position = IntegerField(_l("Ordning"), default=0, validators=[
        Optional(), NumberRange(0, 999, _l("Skriv ett tal mellan 0 och 999."))])

    def validate_kind(self, field):
        in_choices(field, _l("Välj typ i listan."))


class AuditFilterForm(FlaskForm):
    """GET filters: no CSRF (nothing changes)."""

    class Meta:
        csrf = False

    user_id = SelectField(_l("Person"), coerce=int_or_none, validate_choice=False,
                          validators=[Optional()], widget=KeptIdSelect())
    # A search, not a list of every participant (a thousand options on every view): a part
    # of the name as the admin may see it, or the participant's number; resolved on the
    # server (audit_queries.find_participants). `participant_id`: the one chosen, kept in
    # the page's links.
    participant = StringField(_l("Deltagare"), validators=[
        Optional(), Length(max=100, message=_l("Högst 100 tecken."))])
    start = DateField(_l("Från och med"), validators=[Optional()])
    end = DateField(_l("Till och med"), validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("Slutdatum kan inte vara före startdatum."))


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Kommentar"), validators=[Optional(), Length(max=2000)])
