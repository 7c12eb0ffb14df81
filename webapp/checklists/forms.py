"""The monthly checklist form: fixed fields here; the item answers are parsed per template."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..domain.checklists import held_on_error
from ..timeutil import local_today


class DayField(DateField):
    """A date field whose messages are Swedish and which leaves 'missing' to the validator."""

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-14.")) from exc


class ChecklistForm(FlaskForm):
    held_on = DayField(_l("Datum för genomgången"))
    present = StringField(_l("Vilka var med?"), validators=[
        Length(max=500, message=_l("Högst 500 tecken."))])
    general_comment = TextAreaField(_l("Övrig kommentar"), validators=[
        Length(max=4000, message=_l("Högst 4000 tecken."))])
    tenant_agrees = BooleanField(
        _l("Hyresgästen har tagit del av och instämmer i genomgången"))
    tenant_comment = TextAreaField(_l("Hyresgästens egen kommentar"), validators=[
        Length(max=4000, message=_l("Högst 4000 tecken."))])
    idempotency_key = HiddenField()
    template_version = HiddenField()

    def validate_held_on(self, field):
        if field.errors:  # unreadable date: its own message is already there
            return
        message = held_on_error(field.data, local_today())
        if message:
            raise ValidationError(message)

    def validate_present(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Skriv vilka som var med, till exempel hyresgästen och du."))

    def validate_tenant_comment(self, field):
        if not self.tenant_agrees.data and not (field.data or "").strip():
            raise ValidationError(
                _l("Kryssa i att hyresgästen instämmer, eller skriv hyresgästens egen kommentar."))

    def fields_data(self) -> dict:
        return {
            "held_on": self.held_on.data, "present": self.present.data.strip(),
            "general_comment": (self.general_comment.data or "").strip(),
            "tenant_agrees": bool(self.tenant_agrees.data),
            "tenant_comment": (self.tenant_comment.data or "").strip(),
        }
