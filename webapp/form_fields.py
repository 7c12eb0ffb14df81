"""Form fields and validators shared by every area's forms (dates in Swedish, choices from label
dicts, id selects, checkbox lists). A neutral module, so no blueprint imports another's forms."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectMultipleField, widgets
from wtforms.validators import ValidationError

from .timeutil import local_today

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
            raise ValidationError(message or _l("Datumet ligger för långt fram. Kontrollera året."))

    return check


def not_long_ago(days: int = 3660):
    def check(form, field):
        if field.data and field.data < local_today() - timedelta(days=days):
            raise ValidationError(_l("Datumet ligger för långt bak i tiden. Kontrollera året."))

    return check


def int_or_none(value) -> int | None:
    """Coerce for id selects: a bogus value becomes None, so our Swedish message is shown."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
