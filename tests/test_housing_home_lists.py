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



def test_the_apartment_list_is_paged(client, world, login_as, db):
    from webapp.housing.tenancy_routes import APARTMENTS_PER_PAGE
    from webapp.models import Apartment

    login_as("housing")
    team = next(t for t in world.users["housing"].teams if t.kind == "housing")
    for n in range(APARTMENTS_PER_PAGE + 3):
        db.session.add(Apartment(organisation_id=world.org.id, housing_team_id=team.id,
                                 address=f"Testgatan {n:03d}", landlord="Bostäder AB"))
    db.session.commit()
    first = client.get("/housing/apartments").get_data(as_text=True)
    assert first.count('class="item-title"') == APARTMENTS_PER_PAGE
    assert 'href="/housing/apartments?page=2"' in first
    rest = client.get("/housing/apartments?page=2").get_data(as_text=True)
    assert 0 < rest.count('class="item-title"') <= 3 + 5  # the rest, plus the world's own
    assert "Testgatan 052" in rest and "Testgatan 052" not in first
    # A page past the last shows the last (the page and its count are read in one statement).
    past = client.get("/housing/apartments?page=99").get_data(as_text=True)
    assert past.split("<h1>")[1].split("</main>")[0] == rest.split("<h1>")[1].split("</main>")[0]
