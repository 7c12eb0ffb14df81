"""Issue 13, security and data safety: one test (at least) per item."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_appointment
from webapp.extensions import db
from webapp.models import utcnow
from webapp.urlsafety import safe_next

HTMX = {"HX-Request": "true"}


# --- 9. one safe_next for the whole app ---------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/\\evil.example/x", "//evil.example", "/\t/evil.example", "/\n/evil.example",
    "https://evil.example/", "evil.example", "javascript:alert(1)", "", None, "/\\\\evil",
])
def test_safe_next_refuses_anything_that_leaves_the_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/today", "/participants/1/appointments?x=1", "/"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


def test_outcome_page_never_links_off_site(client, world, login_as):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, utcnow() - timedelta(hours=1))
    db.session.commit()
    url = (f"/participants/{world.participant.id}/appointments/{appointment.id}/outcome"
           "?next=/%5Cevil.example/x")
    page = client.get(url).get_data(as_text=True)
    assert 'href="/\\evil' not in page and "href=\"/%5C" not in page
    assert f'href="/participants/{world.participant.id}/appointments"' in page


def test_language_switch_does_not_redirect_off_site(client, world):
    response = client.post("/language", data={"lang": "en", "next": "/\\evil.example/x"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
