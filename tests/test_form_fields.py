"""The shared select field renders exactly what WTForms' own select renders."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import Form, SelectChoice, widgets
from wtforms import SelectField as WTFormsSelectField
from wtforms.validators import InputRequired

from webapp.form_fields import SelectField, int_or_none


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
def test_fast_select_renders_like_wtforms(app, chosen):
    form = Both(data={"ours": chosen, "theirs": chosen})
    form.ours.choices = CHOICES
    form.theirs.choices = CHOICES
    ours = form.ours(class_="wide")
    theirs = form.theirs(class_="wide")
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
                                                               choices):
    """The fast path (no option attributes, no groups): same HTML, the same option selected,
    the field's own attributes (required) kept."""
    form = form_class(data={"ours": chosen, "theirs": chosen})
    form.ours.choices = list(choices)
    form.theirs.choices = list(choices)
    ours = form.ours(class_="wide", **{"aria-describedby": "x-hint"})
    theirs = form.theirs(class_="wide", **{"aria-describedby": "x-hint"})
    assert ours.replace('name="ours"', "").replace('id="ours"', "") == theirs.replace(
        'name="theirs"', "").replace('id="theirs"', "")


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
