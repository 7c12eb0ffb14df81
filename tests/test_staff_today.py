"""The staff "Idag" page: today's visits in time order, then what is overdue or due."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from tests.factories import (
    local_at,
    make_appointment,
    make_checklist_submission,
    make_disturbance,
    make_outcome,
    make_participant,
    make_user,
)
from webapp.models import StaffAssignment, VisitOutcome, utcnow
from webapp.timeutil import local_today, month_key


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_todays_appointments_of_the_caseload_in_time_order(client, world, login_as, db):
    staff = login_as("staff")
    today = local_today()
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team],
                          display_name="Kim Kollega")
    bertil = make_participant(world.org, world.team, "Bertil", "Bok")
    make_appointment(bertil, colleague, local_at(today, 15), location="Biblioteket")
    make_appointment(world.participant, staff, local_at(today, 8, 30), kind="phone")
    make_appointment(world.participant, staff, local_at(today + timedelta(days=1), 7))
    make_appointment(world.other, world.users["other_staff"], local_at(today, 9))
    db.session.commit()
    page = _html(client.get("/today"))
    visits = page.split('id="visits-heading"')[1].split('id="due-heading"')[0]
    assert visits.index("08:30") < visits.index("15:00")
    assert "Kalle Svensson" in visits and "Telefonsamtal" in visits
    assert "Bertil Bok" in visits and "Biblioteket" in visits and "Kim Kollega" in visits
    assert "07:00" not in visits  # tomorrow
    assert "Olle" not in page  # another team's participant
    assert f'href="/participants/{world.participant.id}"' in visits


def test_each_visit_has_a_quick_outcome_form_on_the_same_endpoint(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(local_today(), 0, 10))
    done = make_appointment(world.participant, staff, local_at(local_today(), 0, 5))
    make_outcome(done, staff, "not_met")
    db.session.commit()
    page = _html(client.get("/today"))
    url = f"/participants/{world.participant.id}/appointments/{appointment.id}/outcome"
    assert f'action="{url}"' in page and f'hx-post="{url}"' in page
    assert 'data-outbox="visit"' in page and 'name="idempotency_key"' in page
    assert 'name="next" value="/today"' in page
    assert "Registrerat: Inte träffad" in page
    response = client.post(url, data={"outcome": "done", "next": "/today"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in _html(response)
    assert db.session.query(VisitOutcome).count() == 2


def test_a_colleagues_visit_links_to_the_outcome_page_instead_of_an_inline_form(
        client, world, login_as, db):
    staff = login_as("staff")
    colleague = make_user(world.org, "staff", "colleague", teams=[world.team])
    theirs = make_appointment(world.participant, colleague, local_at(local_today(), 0, 15))
    db.session.commit()
    page = _html(client.get("/today"))
    url = f"/participants/{world.participant.id}/appointments/{theirs.id}/outcome"
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page
    assert staff.id != colleague.id


def test_due_items_link_to_the_right_section(client, world, login_as, db):
    login_as("staff")
    pid = world.participant.id  # fas 2, no visit and no checklist this period
    # Seven days: past the end of any next working day (DESIGN §1d).
    make_disturbance(world.participant, received_at=utcnow() - timedelta(days=7))
    db.session.commit()
    page = _html(client.get("/today"))
    due = page.split('id="due-heading"')[1]
    assert "Rättelseanmaning: kontakta hyresgästen." in due and "Försenat" in due
    assert "Hembesök saknas den här veckan" in due
    assert "Månadens genomgång av lägenheten är inte gjord." in due
    assert f'href="/participants/{pid}/appointments"' in due
    assert due.index("Rättelseanmaning") < due.index("Hembesök saknas")  # overdue first


def test_nothing_due_when_visit_and_checklist_are_done(client, world, login_as, db):
    from webapp.domain.tenancy import add_months
    from webapp.models import Absence, FollowUpReport

    staff = login_as("staff")
    today = local_today()
    visit = make_appointment(world.participant, staff, local_at(today, 0, 1))
    make_outcome(visit, staff, "done")
    make_checklist_submission(world.participant, staff, month_key(today))
    # Last month's checklist too: a missing one stays on the list until sent (issue 14).
    make_checklist_submission(world.participant, staff,
                              month_key(today.replace(day=1) - timedelta(days=1)))
    # Issue 15 made ended weeks and the monthly report due too: earlier weeks are covered by
    # an absence, and the reports of this and last month are written.
    this_week = today - timedelta(days=today.weekday())
    db.session.add(Absence(participant_id=world.participant.id, start_date=this_week.replace(
        year=this_week.year - 1), end_date=this_week - timedelta(days=1)))
    for month in (today, add_months(today.replace(day=1), -1)):
        db.session.add(FollowUpReport(participant_id=world.participant.id,
                                      month=month_key(month), support_given="x",
                                      participant_view="y"))
    db.session.commit()
    page = _html(client.get("/today"))
    assert "Inget är försenat" in page


def test_review_and_move_in_are_listed(client, world, login_as, db):
    login_as("staff")
    today = local_today()
    world.participant.review_date = today + timedelta(days=10)
    make_participant(world.org, world.team, "Nora", "Ny", phase=1,
                     move_in=today + timedelta(days=5))
    db.session.commit()
    due = _html(client.get("/today")).split('id="due-heading"')[1]
    assert "Beslutet ska omprövas" in due and "Nora Ny" in due and "Flyttar in" in due


def test_protected_identity_is_masked_for_a_colleague_not_assigned(client, world, login_as, db):
    today = local_today()
    sara = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                            assigned=[world.users["staff"]])
    make_appointment(sara, world.users["staff"], local_at(today, 23, 30),
                     location="Hemliga gatan 5")
    colleague = make_user(world.org, "staff", "kollega2", teams=[world.team])
    db.session.commit()
    login_as(colleague)
    page = _html(client.get("/today"))
    assert "Sara" not in page and "Hemlig" not in page and "Hemliga gatan" not in page
    assert "Skyddad deltagare" in page and "Adress skyddad" in page
    login_as("staff")
    page = _html(client.get("/today"))
    assert "Sara Hemlig" in page and "Hemliga gatan 5" in page


def test_today_is_for_staff_only(client, world, login_as):
    login_as("social_worker")
    assert client.get("/today").status_code == 403


def test_today_markup_is_phone_friendly(client, world, login_as):
    login_as("staff")
    page = _html(client.get("/today"))
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "style=" not in page and "<script>" not in page


# --- constant query count (DESIGN §9) ---------------------------------------------------------

def _caseload(world, db, size):
    staff, today = world.users["staff"], local_today()
    for n in range(size):
        person = make_participant(world.org, world.team, f"Person{n}", f"Efternamn{n}",
                                  phase=(1, 2, 2, 3, 4)[n % 5], protected=n % 7 == 0,
                                  move_in=today - timedelta(days=30 * (n % 20) + 1))
        if n % 2:
            db.session.add(StaffAssignment(participant_id=person.id, user_id=staff.id))
        appointment = make_appointment(person, staff, local_at(today, 8 + n % 12, n % 60))
        if n % 3 == 0:
            make_outcome(appointment, staff, "done")
            make_disturbance(person, received_at=utcnow() - timedelta(hours=n % 40))
        if n % 4 == 0:
            make_checklist_submission(person, staff, month_key(today))
        make_appointment(person, staff, local_at(today + timedelta(days=2), 10))
    db.session.commit()


def _count_statements(db, client, url):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), _html(response)


def _counts(app, world, db, client, login_as, size):
    _caseload(world, db, size)
    login_as("staff")
    today, today_page = _count_statements(db, client, "/today")
    listing, list_page = _count_statements(db, client, "/participants")
    return today, listing, today_page, list_page


def test_query_count_is_the_same_for_10_and_200_participants(app, world, db, client, login_as):
    small = _counts(app, world, db, client, login_as, 10)
    big_world_extra = 190
    big = _counts(app, world, db, client, login_as, big_world_extra)  # 200 in the caseload
    assert small[0] == big[0], f"/today: {small[0]} vs {big[0]} statements"
    assert small[1] == big[1], f"/participants: {small[1]} vs {big[1]} statements"
    assert len(re.findall(r'class="appt', big[2])) >= 200
    # The caseload list is paged (issue 17): a full page of rows, and the count of everyone.
    from webapp.staff.today import PEOPLE_PER_PAGE

    assert big[3].count('class="row"') == PEOPLE_PER_PAGE
    assert int(re.search(r"(\d+) deltagare", big[3]).group(1)) >= 200


def test_a_protected_identity_on_idag_costs_no_extra_statement(app, world, db, client, login_as):
    """Whether the worker is directly assigned comes with the participants shown (issue 17):
    masking a protected identity asks nothing more, so the count depends on no one's data."""
    today = local_today()
    plain = make_participant(world.org, world.team, "Vanlig", "Person", phase=2)
    make_appointment(plain, world.users["staff"], local_at(today, 23, 0))
    db.session.commit()
    login_as("staff")
    without, _page = _count_statements(db, client, "/today")
    hidden = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True, phase=2)
    make_appointment(hidden, world.users["staff"], local_at(today, 23, 30))
    db.session.commit()
    with_protected, page = _count_statements(db, client, "/today")
    assert "Skyddad deltagare" in page and "Hemlig" not in page
    assert with_protected == without, f"{with_protected} vs {without} statements"
