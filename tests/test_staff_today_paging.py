"""Idag at any caseload (issue 17): "Att göra" a page of groups at a time, colleagues' visits
collapsed to a line each with the rest on /today/visits."""
from __future__ import annotations

import re

from tests.factories import local_at, make_appointment, make_participant, make_user
from webapp.staff.today import COLLEAGUE_VISITS_SHOWN, GROUPS_PER_PAGE, VISITS_PER_PAGE
from webapp.timeutil import local_today


def _html(response) -> str:
    return response.get_data(as_text=True)


def _due_groups(html: str) -> list[str]:
    return re.findall(r'<li class="due-item[^"]*">\s*<h3><a href="/participants/(\d+)"', html)


def test_the_worklist_shows_one_page_of_groups_and_appends_the_next(client, world, login_as,
                                                                   db):
    login_as("staff")
    for n in range(GROUPS_PER_PAGE + 3):  # fas 2 without a visit: every one has something due
        make_participant(world.org, world.team, "Deltagare", f"Nummer {n:02d}")
    db.session.commit()
    page = _html(client.get("/today"))
    first = _due_groups(page)
    assert len(first) == GROUPS_PER_PAGE
    assert 'hx-get="/today?page=2"' in page and 'href="/today?page=2#due-heading"' in page
    rest = client.get("/today?page=2", headers={"HX-Request": "true"})
    assert rest.status_code == 200 and "<html" not in _html(rest)
    second = _due_groups(_html(rest))
    assert second and not set(first) & set(second)
    assert 'hx-get="/today?page=3"' not in _html(rest)  # the last page has no "more" link
    assert len(first) + len(second) >= GROUPS_PER_PAGE + 3
    # Without JavaScript the link opens the page itself; a huge page number is the last page.
    whole = client.get("/today?page=2")
    assert "<html" in _html(whole) and _due_groups(_html(whole)) == second
    assert _due_groups(_html(client.get("/today?page=99999999999"))) == second


def test_colleagues_visits_are_one_line_each_and_the_rest_on_their_own_page(client, world,
                                                                           login_as, db):
    staff = login_as("staff")
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team],
                          display_name="Kim Kollega")
    today = local_today()
    count = COLLEAGUE_VISITS_SHOWN + 5
    people = [make_participant(world.org, world.team, "Besökt", f"Nummer {n:02d}")
              for n in range(count)]
    theirs = [make_appointment(person, colleague, local_at(today, 8 + n % 12, n % 60))
              for n, person in enumerate(people)]
    mine = make_appointment(world.participant, staff, local_at(today, 23, 50))
    db.session.commit()
    page = _html(client.get("/today"))
    visits = page.split('id="visits-heading"')[1].split('id="due-heading"')[0]
    # Mine in full, with the quick form; a colleague's as a link to its outcome page.
    assert f'action="/participants/{world.participant.id}/appointments/{mine.id}/outcome"' \
        in visits
    assert f"Kollegornas besök idag ({count})" in visits
    links = re.findall(r'href="/participants/\d+/appointments/(\d+)/outcome"', visits)
    assert len(links) == COLLEAGUE_VISITS_SHOWN
    assert not any(f'action="/participants/{a.participant_id}/appointments/{a.id}/outcome"'
                   in visits for a in theirs)
    assert 'href="/today/visits"' in visits
    every = _html(client.get("/today/visits"))
    listed = re.findall(r'href="/participants/\d+/appointments/(\d+)/outcome"', every)
    assert sorted(int(i) for i in listed) == sorted(a.id for a in theirs)
    assert "Kim Kollega" in every and str(mine.id) not in listed
    # The colleagues' shown are the first in time; every own visit (and one nobody is booked
    # for) is shown in full however many there are (one query numbers both sides).
    earliest = sorted(theirs, key=lambda a: (a.starts_at, a.id))[:COLLEAGUE_VISITS_SHOWN]
    assert [int(i) for i in links] == [a.id for a in earliest]
    more = [make_appointment(world.participant, staff, local_at(today, 7, n))
            for n in range(COLLEAGUE_VISITS_SHOWN + 2)]
    nobody = make_appointment(world.participant, staff, local_at(today, 6, 0))
    nobody.staff_id = None
    db.session.commit()
    visits = _html(client.get("/today")).split('id="visits-heading"')[1]
    for own in [*more, nobody, mine]:
        assert f'appointments/{own.id}/outcome"' in visits
    assert f"Kollegornas besök idag ({count})" in visits


def test_the_colleague_visits_page_is_paged(client, world, login_as, db):
    login_as("staff")
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team])
    today = local_today()
    for n in range(VISITS_PER_PAGE + 1):
        person = make_participant(world.org, world.team, "Besökt", f"Nummer {n:02d}")
        make_appointment(person, colleague, local_at(today, 1 + n % 20, n % 60))
    db.session.commit()
    first = _html(client.get("/today/visits"))
    assert len(re.findall(r"/outcome\"", first)) == VISITS_PER_PAGE
    assert 'href="/today/visits?page=2"' in first
    last = _html(client.get("/today/visits?page=2"))
    assert len(re.findall(r"/outcome\"", last)) == 1
    outcome_links = re.compile(r'href="/participants/\d+/appointments/\d+/outcome"')
    assert outcome_links.findall(_html(client.get("/today/visits?page=abc"))) == \
        outcome_links.findall(first)
    # Past the last page (one query with the total misses; the count finds the last page).
    past = _html(client.get("/today/visits?page=7"))
    assert outcome_links.findall(past) == outcome_links.findall(last)
    assert f"Sida 2 av 2 ({VISITS_PER_PAGE + 1} besök)" in past


def test_the_caseload_list_is_paged_and_the_search_keeps_its_words(client, world, login_as,
                                                                  db):
    from webapp.staff.today import PEOPLE_PER_PAGE

    login_as("staff")
    for n in range(PEOPLE_PER_PAGE + 2):
        make_participant(world.org, world.team, "Bulk", f"Person {n:03d}")
    db.session.commit()
    rows = re.compile(r'<a class="row" href="/participants/(\d+)"')
    first = _html(client.get("/participants"))
    assert len(rows.findall(first)) == PEOPLE_PER_PAGE
    assert 'href="/participants?page=2"' in first
    second = _html(client.get("/participants?page=2"))
    assert rows.findall(second) and not set(rows.findall(first)) & set(rows.findall(second))
    found = _html(client.get("/participants?q=bulk"))
    assert f"{PEOPLE_PER_PAGE + 2} träffar på" in found
    assert 'href="/participants?page=2&amp;q=bulk"' in found
    assert len(rows.findall(_html(client.get("/participants?q=bulk&page=2")))) == 2


def test_the_colleague_visits_page_reads_its_participants_with_the_visits(client, world,
                                                                          login_as, db):
    """The names (and whether the worker is directly assigned, for a protected identity) come
    with the page's visits (issue 17): as many statements for 3 visits as for a full page,
    with a protected identity masked among them."""
    from tests.conftest import statements_and_page

    staff = login_as("staff")
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team],
                          display_name="Kim Kollega")
    today = local_today()

    def visits(count: int, start: int) -> None:
        for n in range(start, start + count):
            person = make_participant(world.org, world.team, "Besökt", f"Nummer {n:02d}")
            make_appointment(person, colleague, local_at(today, 1 + n % 20, n % 60))
        db.session.commit()

    visits(3, 0)
    few, page = statements_and_page(client, "/today/visits")
    assert "Besökt Nummer 02" in page and "Kim Kollega" in page
    visits(VISITS_PER_PAGE, 3)
    hidden = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                              assigned=[staff])
    make_appointment(hidden, colleague, local_at(today, 0, 1))
    masked = make_participant(world.org, world.team, "Tova", "Dold", protected=True)
    make_appointment(masked, colleague, local_at(today, 0, 2))
    db.session.commit()
    many, page = statements_and_page(client, "/today/visits")
    assert many == few, f"{many} vs {few} statements"
    assert "Sara Hemlig" in page  # directly assigned: the name
    assert "Tova" not in page and "Dold" not in page and "Skyddad" in page
