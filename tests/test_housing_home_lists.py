"""Housing's overview stays a phone page at any portfolio size (issue 17): each list shows its
first rows, and "Visa alla" opens one list in full."""
from __future__ import annotations

from tests.factories import make_disturbance, make_participant
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



def test_the_three_lists_come_apart_each_with_its_count_and_newest_first(client, world,
                                                                        login_as, db):
    """The notices, disturbances and absences are read in one statement: each list gets
    its own rows, count and order."""
    from datetime import timedelta

    from webapp.models import Absence, HousingNotice, utcnow
    from webapp.timeutil import format_day, local_today

    login_as("housing")
    person, now, today = world.participant, utcnow(), local_today()
    for n in range(HOME_ROWS + 1):
        db.session.add(HousingNotice(participant_id=person.id,
                                     occurred_on=now - timedelta(days=n)))
    for n in range(HOME_ROWS + 2):
        make_disturbance(person, received_at=now - timedelta(hours=n),
                         description=f"Störning {n:02d}")
    for n in range(HOME_ROWS + 3):
        start = today - timedelta(days=3 * n + 2)
        db.session.add(Absence(participant_id=person.id, start_date=start,
                               end_date=start + timedelta(days=1), reason="HEMLIG"))
    db.session.commit()
    page = client.get("/housing").get_data(as_text=True)
    notices, rest = page.split('id="notices-heading"')[1].split('id="disturbances-heading"')
    disturbances, absences = rest.split('id="absences-heading"')
    absences = absences.split("</section>")[0]
    assert f"Visa alla ({HOME_ROWS + 1})" in notices and notices.count("Kvittera") == HOME_ROWS
    assert f"Visa alla ({HOME_ROWS + 2})" in disturbances
    assert disturbances.count("<li>") == HOME_ROWS
    assert f"Visa alla ({HOME_ROWS + 3})" in absences and absences.count("<li>") == HOME_ROWS
    # Newest first in each list (the disturbances' texts are shown: housing wrote none of
    # them, so none are; the order shows in the absences' and notices' dates).
    first_absence = absences.split("<li>")[1]
    assert format_day(today - timedelta(days=2)) in first_absence
    assert "HEMLIG" not in page


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


def test_the_lists_with_the_scope_written_into_the_sql_show_what_the_parameter_showed(
        client, world, login_as, db, monkeypatch):
    """On PostgreSQL the lists' statement has the scope's ids in its text (`_in_scope`), and
    each list is counted and cut down as ids before its columns are read: the overview and
    each list in full are the same HTML as with the statement as it was before
    (`_previous_lists_statement`: the ids a parameter, the wide rows counted and sorted),
    with more rows than a page in each list, spread over several tenants."""
    import re
    from datetime import timedelta

    from webapp.housing import routes
    from webapp.models import Absence, HousingNotice, utcnow
    from webapp.queries import among_param
    from webapp.timeutil import local_today

    login_as("housing")
    person, now, today = world.participant, utcnow(), local_today()
    others = [make_participant(world.org, world.team, f"Hyr{n}", "Gäst",
                               housing_team=world.housing_team) for n in range(3)]
    people = [person, *others]
    for n in range(HOME_ROWS + 4):
        tenant = people[n % len(people)]
        db.session.add(HousingNotice(participant_id=tenant.id,
                                     occurred_on=now - timedelta(days=n % 7),
                                     acknowledged_at=now if n % 5 == 0 else None))
        make_disturbance(tenant, received_at=now - timedelta(hours=n % 9),
                         description=f"Störning {n:02d}")
        start = today - timedelta(days=n % 11 + 2)
        db.session.add(Absence(participant_id=tenant.id, start_date=start,
                               end_date=None if n % 4 == 0 else start + timedelta(days=1),
                               reason="HEMLIG"))
    db.session.commit()
    urls = ["/housing", "/housing?alla=notices", "/housing?alla=disturbances",
            "/housing?alla=absences"]

    def pages():
        # The CSRF token is signed with the second it was made: left out.
        return [re.sub(r'(name="csrf_token" value=|"X-CSRFToken": )"[^"]*"', "",
                       client.get(url).get_data(as_text=True)) for url in urls]

    written = pages()
    monkeypatch.setattr(routes, "_in_scope", lambda column: among_param(column, "scope"))
    monkeypatch.setattr(routes, "_lists_statement", _previous_lists_statement)
    assert pages() == written
    assert f"Visa alla ({HOME_ROWS + 4})" in written[0]
    for name in ("Hyr0", "Hyr2"):
        assert name in written[0]
    assert written[2].split('id="disturbances-heading"')[1].count("<li>") >= HOME_ROWS + 4


def _previous_lists_statement(whole):
    """`routes._lists_statement` as it was before the scope was written in and the lists cut
    down as ids (the reference for the test above)."""
    from sqlalchemy import cast, func, literal, null, select, union_all

    from webapp.housing import routes
    from webapp.models import Participant

    lists = []
    for name, build, order in routes._HOME_LISTS:
        rows = build()
        rows = rows.add_columns(func.count().over().label("listed")).order_by(
            *order(rows.selected_columns))
        if name != whole:
            rows = rows.limit(HOME_ROWS)
        lists.append((rows.subquery(), order))
    places, start = [], 0
    for rows, _order in lists:
        places.append(slice(start, start + len(rows.c) - 1))
        start += len(rows.c) - 1
    branches = []
    for number, (rows, order) in enumerate(lists):
        columns = []
        for other, (other_rows, _order) in enumerate(lists):
            for index, column in enumerate(list(other_rows.c)[:-1]):
                value = column if other == number else cast(null(), column.type)
                columns.append(value.label(f"list_{other}_{index}"))
        branches.append(select(
            literal(number).label("list"), rows.c.participant_id.label("tenant"),
            rows.c.listed, func.row_number().over(order_by=order(rows.c)).label("place"),
            *columns))
    union = union_all(*branches).subquery()
    return (select(union, *routes._TENANT_LABELLED)
            .join(Participant, Participant.id == union.c.tenant)
            .order_by(union.c.list, union.c.place)), places
