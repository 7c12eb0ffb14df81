"""Admin forms for teams: create, rename, add a member."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..form_fields import SelectField, int_or_none
from .forms import in_choices

TEAM_KINDS = [
    SelectChoice("support", _l("Stödteam (har deltagare)")),
    SelectChoice("housing", _l("Bostadsförvaltning (förvaltar lägenheter)")),
]
# Who can be a member of which kind of team: support teams give staff their caseload, housing
# teams give housing users their apartments. Other roles get nothing from a membership.
MEMBER_ROLES = {"support": ("staff",), "housing": ("housing",)}


class TeamForm(FlaskForm):
    name = StringField(_l("Teamets namn"), validators=[
        DataRequired(_l("Skriv teamets namn.")),
        Length(max=200, message=_l("Högst 200 tecken."))])
    kind = SelectField(_l("Sorts team"), choices=TEAM_KINDS, validate_choice=False,
                       default="support")

    def __init__(self, *args, taken: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self._taken = {name.casefold() for name in taken}

    def validate_name(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_l("Skriv teamets namn."))
        if field.data.casefold() in self._taken:
            raise ValidationError(_l("Det finns redan ett team med det namnet."))

    def validate_kind(self, field):
        if field.data not in MEMBER_ROLES:
            raise ValidationError(_l("Välj sorts team i listan."))


class RenameForm(TeamForm):
    kind = None  # the kind is fixed once participants or apartments may point at the team


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int_or_none, validate_choice=False,
                          validators=[InputRequired(_l("Välj en person."))])

    def validate_user_id(self, field):
        in_choices(field, _l("Välj en person i listan."))
