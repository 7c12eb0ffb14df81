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
