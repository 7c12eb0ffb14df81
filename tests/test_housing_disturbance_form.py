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
