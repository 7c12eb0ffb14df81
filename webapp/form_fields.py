"""Form fields and validators shared by every area's forms (dates in Swedish, choices from label
dicts, id selects, checkbox lists). A neutral module, so no blueprint imports another's forms."""
from __future__ import annotations

from datetime import timedelta

import wtforms
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import DateField, SelectChoice, SelectMultipleField, widgets
from wtforms.validators import ValidationError

from .timeutil import local_today

DATE_HINT = _l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-14.")

_QUOTE, _QUOTE_ENTITY = Markup('"'), Markup("&quot;")
_wtforms_html_params = widgets.core.html_params  # kept: the tests compare the two


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params`, the same string, joined as plain text: WTForms formats each
    attribute through `Markup.format` (~30 Python calls an attribute, ~45 attributes on a
    form page). Keys and values are escaped as there (tests/test_form_fields.py)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = widgets.core.clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            params.append(f'{escape(key)}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"')
    return Markup(" ".join(params))  # noqa: S704 - every part escaped above


# Every WTForms widget writes its attributes with this one: the module's function (labels,
# selects, text areas, lists) and the inputs' and buttons' own reference to it.
widgets.core.html_params = widgets.html_params = html_params
widgets.Input.html_params = widgets.core.Button.html_params = staticmethod(html_params)



class FastSelect(widgets.Select):
    """WTForms' select, its plain options written directly: WTForms formats each through
    `html_params` (sort, escape, format: ~25 µs an option), and a list of 1,000 tenants took
    ~30 ms to render. A list of plain choices (no groups, no option attributes) is written in
    one loop over the choices, without WTForms' intermediate Choice per option. The same HTML
    (tests/test_form_fields.py)."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        if self.multiple or not isinstance(choices, list) or not all(
                type(c) is SelectChoice and c.optgroup is None and not c.render_kw
                for c in choices):
            return super().__call__(field, **kwargs)
        coerce, data = field.coerce, field.data
        html = [f"<select {self._select_params(field, kwargs)}>"]
        html.extend(self._option(c.value, c.label, coerce(c.value) == data) for c in choices)
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704

    def _select_params(self, field, kwargs) -> str:
        """The <select>'s attributes as WTForms writes them: id, validation flags, the rest."""
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        return html_params(name=field.name, **kwargs)

    @staticmethod
    def _option(value, label, selected: bool) -> str:
        label = label or value
        # A plain str label escaped as markupsafe does, without its per-call checks; an int
        # value (an id) needs no escaping. Anything else goes through markupsafe's escape.
        if type(label) is str:
            label = (label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                     .replace("'", "&#39;").replace('"', "&#34;"))
        else:
            label = escape(label)
        if type(value) is int:
            value = str(value)
        else:
            if isinstance(value, bool):
                value = str(value)
            value = str(escape(value)).replace('"', "&quot;")
        return f'<option {"selected " if selected else ""}value="{value}">{label}</option>'

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        return Markup(cls._option(choice.value, choice.label, choice.selected))  # noqa: S704


_kept_options: dict[tuple, str] = {}
_KEPT_OPTIONS_SIZE = 64


def kept_options(options: tuple[tuple, ...]) -> str:
    """The <option>s of (value, label) pairs, none selected, as FastSelect writes them: written
    once per pairs (the labels are in the page's language) and process. Emptied when full."""
    html = _kept_options.get(options)
    if html is None:
        html = "".join([FastSelect._option(value, label, False)  # noqa: SLF001
                        for value, label in options])
        if len(_kept_options) >= _KEPT_OPTIONS_SIZE:
            _kept_options.clear()  # one step, safe with other threads; refills as used
        _kept_options[options] = html
    return html


class KeptIdSelect(FastSelect):
    """An id select (values "" and ints, coerce `int_or_none`) whose options are given as
    `field.options`, (value, label) pairs: the options are written once per their content
    (`kept_options`) and the chosen one marked per view, not a SelectChoice built and written
    per option per view (800 participants without a login: ~10,000 Python calls). The same
    HTML as FastSelect (tests/test_admin_users.py)."""

    def __call__(self, field, **kwargs):
        options = getattr(field, "options", None)
        if options is None or not (field.data is None or type(field.data) is int):
            if options is not None:  # data no id select holds: FastSelect decides
                field.choices = [SelectChoice(value, label) for value, label in options]
            return super().__call__(field, **kwargs)
        chosen = "" if field.data is None else str(field.data)
        html = kept_options(options).replace(f'<option value="{chosen}">',
                                             f'<option selected value="{chosen}">', 1)
        return Markup(  # noqa: S704 - escaped by FastSelect._option
            f"<select {self._select_params(field, kwargs)}>{html}</select>")


def id_choices(field, options: tuple[tuple, ...]) -> None:
    """Give a KeptIdSelect field its options; its choices (what validation checks against)
    only when the form was sent."""
    field.options = options
    field.choices = ([SelectChoice(value, label) for value, label in options]
                     if request.method == "POST" else [])


class SelectField(wtforms.SelectField):
    """A select field with the fast option rendering (every form imports this one)."""

    widget = FastSelect()


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


_blank_fields: dict[tuple, Markup] = {}
_BLANK_FIELDS_CACHE_SIZE = 512


def blank_fields(template: str, macro: str, form) -> Markup:
    """The fields of `form` as the macro `macro` of `template` writes them, given only the
    form (so not the form's CSRF field, which changes per request).

    A form nobody has sent (no raw input, no errors) writes the same markup for the same data,
    choices and language, so that markup is rendered once per those and process: blank record
    forms were the largest part of their pages' time (the events page's five ~40 % of its
    Python calls, the booking form's nine fields ~25 % of the appointments page's). What else
    a field writes (label, flags of its validators, attributes) is its class's, so the key is
    the form's class, prefix and each field's name, id, data and choices. The cache is
    emptied when full (a day's date is in most keys, so old days' entries go too)."""
    key = _blank_key(template, macro, form)
    html = _blank_fields.get(key) if key is not None else None
    if html is None:
        write = getattr(current_app.jinja_env.get_template(template).module, macro)
        html = Markup(write(form))  # noqa: S704 - an autoescaped template's output
        if key is not None:
            if len(_blank_fields) >= _BLANK_FIELDS_CACHE_SIZE:
                _blank_fields.clear()  # one step, safe with other threads; refills as used
            _blank_fields[key] = html
    return html


def _blank_key(template: str, macro: str, form) -> tuple | None:
    """`blank_fields`' cache key, or None for a form that was sent or checked (its markup
    carries what was typed and the errors) or whose data or choices cannot be a key."""
    parts: list = [template, macro, str(get_locale()), type(form), form._prefix]  # noqa: SLF001
    for field in form:
        if field.raw_data or field.errors:
            return None
        if field.type == "CSRFTokenField":
            continue
        choices = getattr(field, "choices", None)
        if choices is not None:
            if not isinstance(choices, list | tuple):
                return None  # groups (a dict): not needed so far
            choices = tuple(map(_choice_key, choices))
        parts.append((field.name, field.id, field.data, choices))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:  # e.g. a list as data
        return None
    return key


def _choice_key(choice) -> tuple:
    """What a choice writes: its value, its label (in the key's language), group and
    attributes."""
    if type(choice) is SelectChoice:
        return (choice.value, _text_key(choice.label), choice.optgroup,
                repr(choice.render_kw) if choice.render_kw else None)
    if isinstance(choice, tuple):
        return (choice[0], *map(_text_key, choice[1:]))
    return (_text_key(choice),)


def _text_key(text):
    """A label as a key: a lazy text by what it translates (its message and variables), not
    translated for it (most choices are lazy texts: translating each cost more than the key
    saved); a plain text as itself."""
    if type(text) is LazyString:
        try:
            return (text._func, text._args, repr(text._kwargs))  # noqa: SLF001
        except AttributeError:  # another flask-babel: the text itself
            return str(text)
    return text if type(text) in (str, Markup) else str(text)
