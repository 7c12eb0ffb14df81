"""Editing the checklist template: every save is a new version (old versions stay as they are)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, StringField
from wtforms.validators import DataRequired, Length

from ..domain.checklists import ItemInput

ROW_LABELS = {"section": _l("Avsnitt"), "key": _l("Nyckel"), "text": _l("Text"),
              "order": _l("Ordning"), "remove": _l("Ta bort")}


def row_labels() -> dict[str, str]:
    """The item rows' labels in the page's language, translated once for all rows."""
    return {name: str(label) for name, label in ROW_LABELS.items()}


class ItemRow(Form):
    """One item row (a plain Form: the CSRF token belongs to the outer form)."""

    section = StringField(ROW_LABELS["section"], validators=[
        Length(max=100, message=_l("Högst 100 tecken."))])
    key = StringField(ROW_LABELS["key"], validators=[
        Length(max=50, message=_l("Högst 50 tecken."))])
    text = StringField(ROW_LABELS["text"], validators=[
        Length(max=300, message=_l("Högst 300 tecken."))])
    order = StringField(ROW_LABELS["order"], validators=[Length(max=6)])
    remove = BooleanField(ROW_LABELS["remove"])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.section, self.key, self.text))


class TemplateForm(FlaskForm):
    title = StringField(_l("Rubrik"), validators=[
        DataRequired(message=_l("Skriv en rubrik.")),
        Length(max=200, message=_l("Högst 200 tecken."))])
    items = FieldList(FormField(ItemRow), min_entries=0)

    def kept_rows(self) -> list[ItemInput]:
        """Rows to save, in the order asked for (blank and removed rows left out)."""
        rows = []
        for index, entry in enumerate(self.items):
            row = entry.form
            if row.remove.data or row.is_blank():
                continue
            order = (row.order.data or "").strip()
            rows.append(ItemInput(
                row=index, section=(row.section.data or "").strip(),
                key=(row.key.data or "").strip(), text=(row.text.data or "").strip(),
                order=int(order) if order.lstrip("-").isdigit() else (index + 1),
            ))
        return sorted(rows, key=lambda r: (r.order, r.row))

    def order_errors(self) -> dict[str, str]:
        return {
            f"items-{index}-order": "Skriv ett heltal, till exempel 10."
            for index, entry in enumerate(self.items)
            if (entry.form.order.data or "").strip()
            and not entry.form.order.data.strip().lstrip("-").isdigit()
        }

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put rule errors ('items-<row>-<field>') next to their fields."""
        for index, entry in enumerate(self.items):
            for name in ("section", "key", "text", "order"):
                message = errors.get(f"items-{index}-{name}")
                if message:
                    field = entry.form[name]
                    field.errors = [*field.errors, message]
