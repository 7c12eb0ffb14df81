"""Housing's overview stays a phone page at any portfolio size (issue 17): each list shows its
first rows, and "Visa alla" opens one list in full."""
from __future__ import annotations

from tests.factories import make_disturbance
from webapp.housing.routes import HOME_ROWS


def _disturbance_rows(html: str) -> int:
    section = html.split('id="disturbances-heading"')[1].split('id="absences-heading"')[0]
    return section.count("<li>")


def test_the_overview_shows_the_first_rows_and_one_list_in_full_on_request(client, world,
                                                                        login_as, db):
    login_as("housing")
    for _ in range(HOME_ROWS + 5):
        make_disturbance(world.participant)
    db.session.commit()
    page = client.get("/housing").get_data(as_text=True)
    assert _disturbance_rows(page) == HOME_ROWS
    assert 'href="/housing?alla=disturbances#disturbances-heading"' in page
    assert f"Visa alla ({HOME_ROWS + 5})" in page
    whole = client.get("/housing?alla=disturbances").get_data(as_text=True)
    assert _disturbance_rows(whole) == HOME_ROWS + 5
    assert "Visa alla" not in whole.split('id="disturbances-heading"')[1].split(
        'id="absences-heading"')[0]

