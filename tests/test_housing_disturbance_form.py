"""The disturbance form starts with no tenant chosen and today's date (issue 16.9)."""
from __future__ import annotations

import re

from webapp.timeutil import local_today


def test_form_starts_with_choose_tenant_and_today(client, login_as, world):
    login_as("housing")
    html = client.get("/housing/disturbances/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="participant_id".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option[^>]*>[^<]*</option>", select)
    assert "Välj hyresgäst" in options[0] and "selected" in options[0]
    assert all("selected" not in option for option in options[1:])
    assert f'value="{local_today().isoformat()}"' in html


def test_posting_without_choosing_a_tenant_is_a_swedish_error(client, login_as, world):
    login_as("housing")
    response = client.post("/housing/disturbances/new", data={
        "participant_id": "", "occurred_on": local_today().isoformat(), "severity": "minor",
        "description": "Hög musik"})
    assert response.status_code == 422
    assert "Välj hyresgäst." in response.get_data(as_text=True)


def test_the_tenant_select_writes_the_same_html_as_wtforms_select(app):
    """The tenant list (up to 1,000) takes the shared select's one-loop path and writes what
    WTForms' own select writes, selected or not, with names that need escaping."""
    from wtforms import SelectChoice, widgets

    from webapp.form_fields import FastSelect
    from webapp.housing.forms import DisturbanceForm

    with app.test_request_context():
        for data in ("", "7", "12"):
            form = DisturbanceForm(data={"participant_id": int(data) if data else None})
            form.participant_id.choices = [SelectChoice("", "Välj hyresgäst")] + [
                SelectChoice(pid, label) for pid, label in (
                    (7, 'Åsa "Kalle" <Ek> & Co'), (12, "Skyddad #12"), (3, "Ölund's"))]
            field = form.participant_id
            assert isinstance(field.widget, FastSelect)
            assert field.widget(field, **{"aria-describedby": "x"}) == widgets.Select()(
                field, **{"aria-describedby": "x"})
            assert "selected" in field()


def test_the_tenant_options_are_kept_and_the_chosen_one_marked(app, client, login_as, world):
    """The tenant options are written once per content (KeptIdSelect, given as (id, name)
    pairs): the same HTML as WTForms' select for any choice, and a sent form that fails keeps
    the tenant chosen; a tenant outside the scope is refused."""
    from wtforms import SelectChoice, widgets

    from webapp.form_fields import KeptIdSelect, id_choices
    from webapp.housing.forms import DisturbanceForm

    options = (("", "Välj hyresgäst"), (7, 'Åsa "Kalle" <Ek> & Co'), (12, "Skyddad #12"),
               (3, "Ölund's"))
    for data in ("", "7", "12"):
        with app.test_request_context():
            form = DisturbanceForm(data={"participant_id": int(data) if data else None})
            field = form.participant_id
            assert isinstance(field.widget, KeptIdSelect)
            id_choices(field, options)
            written = field()
            field.choices = [SelectChoice(value, label) for value, label in options]
            assert written == widgets.Select()(field)
            assert written.count("selected") == 1
    login_as("housing")
    tenant = world.participant
    sent = {"participant_id": str(tenant.id), "occurred_on": local_today().isoformat(),
            "severity": "minor", "description": ""}
    html = client.post("/housing/disturbances/new", data=sent).get_data(as_text=True)
    assert f'<option selected value="{tenant.id}">' in html
    assert "Beskriv kort vad som hände." in html
    outside = client.post("/housing/disturbances/new", data={
        **sent, "participant_id": "999999", "description": "Hög musik"})
    assert outside.status_code == 422
    assert "Välj en hyresgäst i listan." in outside.get_data(as_text=True)
