"""The shared select field renders exactly what WTForms' own select renders."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms import SelectField as WTFormsSelectField
from wtforms.validators import InputRequired, Length

from webapp import form_fields
from webapp.form_fields import SelectField, int_or_none


def wtforms_own(monkeypatch, render):
    """`render()` with WTForms' own html_params, as WTForms writes it without Bofast's."""
    original = form_fields._wtforms_html_params  # noqa: SLF001
    with monkeypatch.context() as patch:
        patch.setattr(widgets.core, "html_params", original)
        patch.setattr(widgets, "html_params", original)
        patch.setattr(widgets.Input, "html_params", staticmethod(original))
        patch.setattr(widgets.core.Button, "html_params", staticmethod(original))
        return render()


class Both(Form):
    ours = SelectField(coerce=str, validate_choice=False)
    theirs = WTFormsSelectField(coerce=str, validate_choice=False)


CHOICES = [
    SelectChoice("", "Välj hyresgäst"),
    SelectChoice(1, "Anna <Andersson> & \"Bo\""),
    SelectChoice("a\"b'c", "Citat"),
    SelectChoice(True, "Sant"),
    SelectChoice(False, "Falskt"),
    SelectChoice(7, ""),
    SelectChoice(Markup('x"y'), Markup("<b>fet</b>")),
    SelectChoice(8, "Med attribut", render_kw={"disabled": True, "data_x": "1"}),
]


@pytest.mark.parametrize("chosen", ["", "1", "a\"b'c", "True", "7", "8"])
def test_fast_select_renders_like_wtforms(app, chosen, monkeypatch):
    form = Both(data={"ours": chosen, "theirs": chosen})
    form.ours.choices = CHOICES
    form.theirs.choices = CHOICES
    ours = form.ours(class_="wide")
    theirs = wtforms_own(monkeypatch, lambda: form.theirs(class_="wide"))
    assert isinstance(form.ours.widget, widgets.Select)
    assert ours.replace('name="ours"', "").replace('id="ours"', "") == theirs.replace(
        'name="theirs"', "").replace('id="theirs"', "")
    assert "selected" in ours


class Ids(Form):
    ours = SelectField(coerce=int_or_none, validate_choice=False,
                       validators=[InputRequired()])
    theirs = WTFormsSelectField(coerce=int_or_none, validate_choice=False,
                                validators=[InputRequired()])


PLAIN = [choice for choice in CHOICES if not choice.render_kw] + [
    SelectChoice(9, "Åsa Öberg"), SelectChoice(10, Markup("Anna &amp; Bo")),
    SelectChoice(11, None), SelectChoice(12, "O'Brien <x> & \"y\"")]


@pytest.mark.parametrize("chosen", [None, "", "1", "7", "9", "x"])
@pytest.mark.parametrize("form_class, choices", [(Both, PLAIN), (Ids, PLAIN), (Ids, [])])
def test_plain_choices_written_in_one_loop_render_like_wtforms(app, chosen, form_class,
                                                               choices, monkeypatch):
    """The fast path (no option attributes, no groups): same HTML, the same option selected,
    the field's own attributes (required) kept."""
    form = form_class(data={"ours": chosen, "theirs": chosen})
    form.ours.choices = list(choices)
    form.theirs.choices = list(choices)
    ours = form.ours(class_="wide", **{"aria-describedby": "x-hint"})
    theirs = wtforms_own(
        monkeypatch, lambda: form.theirs(class_="wide", **{"aria-describedby": "x-hint"}))
    assert ours.replace('name="ours"', "").replace('id="ours"', "") == theirs.replace(
        'name="theirs"', "").replace('id="theirs"', "")


# --- html_params: WTForms' attributes, written without Markup.format -------------------------

@pytest.mark.parametrize("attributes", [
    {},
    {"name": "title", "id": "title", "class_": "input wide", "for_": "x"},
    {"required": True, "disabled": False, "checked": True, "readonly": False},
    {"value": 'Anna <Andersson> & "Bo" O\'Brien', "maxlength": 200, "min": 0, "step": 1.5},
    {"value": Markup('a"b<i>c</i>'), "data_hx_target": "#x", "aria_describedby": "a-hint"},
    {"data-raw": "y", "aria-label": "Stäng", "placeholder": "ÅÅÅÅ-MM-DD", "value": None},
    {"odd<key": "v", "class": Markup("a &amp; b")},
])
def test_html_params_writes_what_wtforms_writes(attributes):
    ours = form_fields.html_params(**attributes)
    assert isinstance(ours, Markup)
    assert ours == form_fields._wtforms_html_params(**attributes)  # noqa: SLF001


class Fields(Form):
    name = StringField("Namn <fullt>", validators=[InputRequired(), Length(max=80)])
    note = TextAreaField("Anteckning", default='Sa "hej" & <gick>')
    count = IntegerField("Antal", default=3)
    agreed = BooleanField("Ja", default=True)
    chosen = WTFormsSelectField(
        "Val", choices=[SelectChoice("a", "A"), SelectChoice("b", 'B "två"')], default="b")
    send = SubmitField("Spara")


def test_every_wtforms_widget_writes_its_attributes_with_ours(app, monkeypatch):
    """Installed where WTForms looks it up (module, inputs, buttons, labels), and a whole form
    of WTForms' own fields writes the same HTML as with WTForms' own function."""
    assert widgets.core.html_params is form_fields.html_params
    assert widgets.html_params is form_fields.html_params
    assert widgets.TextInput.html_params is form_fields.html_params
    assert widgets.core.Button.html_params is form_fields.html_params

    def written():
        form = Fields(data={"name": "Åsa"})
        return "".join(str(part) for field in form
                       for part in (field.label(class_="lbl"), field(class_="in", data_x=1)))

    assert written() == wtforms_own(monkeypatch, written)
    assert 'required' in written() and 'maxlength="80"' in written()


# --- blank_fields: a blank form's fields rendered once -----------------------------------------

def _written(app, template, macro, form) -> str:
    """What the macro writes for this form, never from the cache."""
    return str(getattr(app.jinja_env.get_template(template).module, macro)(form))


def test_blank_fields_are_what_the_macro_writes_for_each_day_choice_and_language(app):
    """Cached per data, choices and language: each form gets exactly its own markup."""
    from datetime import date

    from flask_babel import refresh

    from webapp.form_fields import blank_fields
    from webapp.staff.events_forms import DisturbanceForm
    from webapp.staff.forms import AppointmentForm

    fields = "staff/_appointment_field_macros.html"
    seen = set()
    for language in ("sv", "en", "sv"):
        with app.test_request_context(headers={"Accept-Language": language}):
            refresh()  # the test's one app context would keep the first request's language
            for day, staff, chosen in [
                    (date(2026, 3, 14), [(1, "Anna"), (2, "Bo")], 2),
                    (date(2026, 3, 15), [(1, "Anna"), (2, "Bo")], 2),
                    (date(2026, 3, 14), [(1, "Anna"), (3, "Cilla")], 3),
                    (date(2026, 3, 14), [(1, "Anna"), (2, "Bo")], 1)]:
                for _ in range(2):  # the second from the cache
                    form = AppointmentForm(formdata=None, staff_choices=staff,
                                           data=dict(day=day, staff_id=chosen))
                    html = blank_fields(fields, "fields", form)
                    assert html == _written(app, fields, "fields", form)
                    seen.add(str(html))
                assert f'value="{day.isoformat()}"' in html
                assert f'<option selected value="{chosen}">' in html
            form = DisturbanceForm(formdata=None, occurred_on=date(2026, 3, 14))
            html = blank_fields("staff/_event_fields.html", "disturbance", form)
            assert html == _written(app, "staff/_event_fields.html", "disturbance", form)
            assert ("Vem har hört av sig?" in html) == (language == "sv")
            seen.add(str(html))
    assert len(seen) == 10  # 4 booking forms and 1 disturbance form, in two languages


def test_blank_fields_of_a_sent_form_keep_what_was_typed_and_leave_the_cache_alone(app):
    from datetime import date

    from werkzeug.datastructures import MultiDict

    from webapp.form_fields import blank_fields
    from webapp.staff.events_forms import DisturbanceForm

    template = "staff/_event_fields.html"
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        blank = DisturbanceForm(formdata=None, occurred_on=date(2026, 3, 14))
        before = blank_fields(template, "disturbance", blank)
        sent = DisturbanceForm(formdata=MultiDict(
            {"occurred_on": "2026-03-14", "source": "landlord", "severity": "minor",
             "description": "Hög musik <natt>"}))
        html = blank_fields(template, "disturbance", sent)
        assert "Hög musik &lt;natt&gt;" in html and html != before
        sent = DisturbanceForm(formdata=MultiDict({"occurred_on": "14 mars"}))
        assert not sent.validate()
        html = blank_fields(template, "disturbance", sent)
        assert html == _written(app, template, "disturbance", sent)
        assert 'value="14 mars"' in html and "field-error" in html
        again = blank_fields(template, "disturbance",
                             DisturbanceForm(formdata=None, occurred_on=date(2026, 3, 14)))
        assert again == before and "field-error" not in again and "14 mars" not in again
