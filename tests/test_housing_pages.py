"""Housing: overview, notices, tenancies, logging disturbances, and what it never sees."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.factories import make_appointment, make_participant
from webapp.models import (
    Absence,
    AuditEvent,
    Disturbance,
    Goal,
    HousingNotice,
    Note,
    Plan,
    VisitOutcome,
    utcnow,
)
from webapp.timeutil import local_today

SECRETS = ["HEMLIG-ORSAK", "HEMLIGT-MAL", "HEMLIG-BESOKSANTECKNING", "HEMLIG-UPPFOLJNING",
           "HEMLIG-JOURNAL", "HEMLIG-PERSONALTEXT"]


@pytest.fixture
def housing_data(db, world):
    p = world.participant
    staff = world.users["staff"]
    plan = db.session.query(Plan).filter_by(participant_id=p.id).one()
    db.session.add(Goal(plan_id=plan.id, own_words="HEMLIGT-MAL att må bättre"))
    db.session.add(Absence(participant_id=p.id, start_date=local_today() - timedelta(days=10),
                           end_date=local_today() - timedelta(days=5), reason="HEMLIG-ORSAK"))
    appointment = make_appointment(p, staff, utcnow() - timedelta(days=2))
    db.session.add(VisitOutcome(appointment_id=appointment.id, participant_id=p.id,
                                outcome="not_met", note="HEMLIG-BESOKSANTECKNING",
                                recorded_by_id=staff.id))
    db.session.add(Note(participant_id=p.id, author_id=staff.id, text="HEMLIG-JOURNAL"))
    db.session.add(Disturbance(participant_id=p.id, occurred_on=local_today(), source="landlord",
                               severity="rattelse", description="Hög musik",
                               reported_by_id=world.users["housing"].id,
                               # Issue 15: the deadline is the end of the next working day.
                               received_at=utcnow() - timedelta(days=7),
                               followed_up_at=utcnow() - timedelta(hours=2),
                               follow_up_note="HEMLIG-UPPFOLJNING"))
    db.session.add(Disturbance(participant_id=p.id, occurred_on=local_today(), source="staff",
                               severity="minor", description="HEMLIG-PERSONALTEXT",
                               reported_by_id=staff.id))
    notice = HousingNotice(participant_id=p.id, occurred_on=utcnow() - timedelta(days=1))
    db.session.add(notice)
    db.session.commit()
    return notice


def housing_get_urls(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/housing") and "GET" in rule.methods and not rule.arguments:
            yield rule.rule


def test_housing_home_shows_notice_disturbance_and_absence_dates(client, login_as, world,
                                                                  housing_data):
    login_as("housing")
    html = client.get("/housing").get_data(as_text=True)
    assert "Kalle Svensson" in html
    assert "Kvittera" in html
    assert "Hög musik" in html
    assert "Uppföljd" in html and "efter nästa arbetsdag" in html
    assert "Frånvaro" in html


def test_housing_never_sees_reasons_plans_notes(app, client, login_as, world, housing_data):
    login_as("housing")
    urls = list(housing_get_urls(app)) + ["/housing/checklists?month=2026-01"]
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, f"{secret} leaked on {url}"


def test_housing_is_denied_every_non_housing_route(app, client, login_as, world):
    """Walk the url map: everything outside /housing (and the shared pages) refuses housing."""
    from tests.test_access import _param_values

    values = _param_values(world)
    shared = re.compile(r"^/($|login|logout|activate|healthz|offline|language|static|icons|"
                        r"manifest\.webmanifest|sw\.js|push/|calendar/|housing|"
                        r"account/password$)")
    leaked = []
    for rule in app.url_map.iter_rules():
        if shared.search(rule.rule):
            continue
        url = rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            login_as("housing")
            response = client.open(url, method=method, data={})
            if response.status_code not in (403, 404):
                leaked.append(f"{method} {url}: {response.status_code}")
    assert not leaked, leaked


def test_acknowledge_notice_sets_who_and_when_and_is_audited(db, client, login_as, world,
                                                             housing_data):
    user = login_as("housing")
    response = client.post(f"/housing/notices/{housing_data.id}/acknowledge")
    assert response.status_code == 302
    db.session.refresh(housing_data)
    assert housing_data.acknowledged_at is not None
    assert housing_data.acknowledged_by_id == user.id
    assert db.session.query(AuditEvent).filter_by(
        object_type="housing_notice", object_id=housing_data.id, user_id=user.id).count() == 1


def test_acknowledge_notice_outside_scope_is_404(db, client, login_as, world):
    notice = HousingNotice(participant_id=world.other.id, occurred_on=utcnow())
    db.session.add(notice)
    db.session.commit()
    login_as("housing")
    assert client.post(f"/housing/notices/{notice.id}/acknowledge").status_code == 404
    assert client.post("/housing/notices/99999/acknowledge").status_code == 404
    db.session.refresh(notice)
    assert notice.acknowledged_at is None


def test_housing_logs_rattelse_which_starts_the_one_day_rule(db, client, login_as, world):
    user = login_as("housing")
    before = utcnow()
    response = client.post("/housing/disturbances/new", data={
        "participant_id": world.participant.id, "occurred_on": local_today().isoformat(),
        "severity": "rattelse", "description": "Rättelseanmaning skickad",
    })
    assert response.status_code == 302
    row = db.session.query(Disturbance).one()
    assert row.source == "housing" and row.severity == "rattelse"
    assert row.reported_by_id == user.id
    assert row.received_at >= before - timedelta(seconds=1)
    assert row.apartment_id is not None
    assert db.session.query(AuditEvent).filter_by(object_type="disturbance",
                                                  object_id=row.id).count() == 1


def test_housing_cannot_log_disturbance_for_tenant_outside_scope(db, client, login_as, world):
    login_as("housing")
    response = client.post("/housing/disturbances/new", data={
        "participant_id": world.other.id, "occurred_on": "2026-01-05",
        "severity": "minor", "description": "Text som ska finnas kvar",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Välj en hyresgäst i listan." in html
    assert "Text som ska finnas kvar" in html
    assert "Olle" not in html
    assert db.session.query(Disturbance).count() == 0


def test_disturbance_form_errors_in_swedish_on_empty_post(client, login_as, world):
    login_as("housing")
    response = client.post("/housing/disturbances/new", data={"participant_id": "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Välj en hyresgäst i listan." in html
    assert "Beskriv kort vad som hände." in html
    assert "Not a valid" not in html and "Invalid" not in html


def test_tenancies_sorted_by_closest_transfer_with_protected_masked(db, client, login_as, world):
    p2 = make_participant(world.org, world.team, "Tidig", "Inflyttad",
                          housing_team=world.housing_team, move_in=date(2025, 1, 1))
    make_participant(world.org, world.team, "Hemlig", "Person", housing_team=world.housing_team,
                     protected=True, move_in=date(2025, 6, 1))
    db.session.commit()
    login_as("housing")
    html = client.get("/housing/tenancies").get_data(as_text=True)
    assert html.index(p2.full_name) < html.index("Skyddad deltagare") < html.index("Kalle")
    assert "Hemlig" not in html and "Persongatan" not in html
    assert "Adress skyddad" in html
    assert "Andrahand" in html


def test_housing_home_checklist_counts_and_visit_counts(db, client, login_as, world):
    login_as("housing")
    html = client.get("/housing").get_data(as_text=True)
    assert "Inskickade:" in html and "1 saknas" in html
    assert "inte gjorda än" in html


def test_tenancies_are_paged_closest_transfer_first(db, client, login_as, world):
    from webapp.housing.routes import TENANCIES_PER_PAGE

    for n in range(TENANCIES_PER_PAGE + 5):
        make_participant(world.org, world.team, f"Sid{n:03d}", "Hyresgäst",
                         housing_team=world.housing_team, move_in=date(2024, 1, 1) + timedelta(n))
    db.session.commit()
    login_as("housing")
    first = client.get("/housing/tenancies").get_data(as_text=True)
    second = client.get("/housing/tenancies?page=2").get_data(as_text=True)
    assert "Sid000 Hyresgäst" in first and "Sid000 Hyresgäst" not in second
    assert "Kalle" in second and "Kalle" not in first  # the newest move-in comes last
    assert first.count('class="item-title"') == TENANCIES_PER_PAGE
    assert "Sida 2 av 2" in second
    assert client.get("/housing/tenancies?page=99").status_code == 200


def test_tenancies_count_from_the_first_move_in_at_the_open_contracts_address(db, client,
                                                                            login_as, world):
    """A tenant who moved keeps their time: the counter runs from the first contract's
    move-in (their own, not another tenant's earlier one), the address and kind shown are the
    open contract's."""
    from webapp.models import Apartment, Contract
    from webapp.queries import tenancy_for
    from webapp.timeutil import local_today

    make_participant(world.org, world.team, "Tidigare", "Inflyttad",
                     housing_team=world.housing_team, move_in=date(2022, 1, 1))
    person = make_participant(world.org, world.team, "Flyttat", "Inom",
                              housing_team=world.housing_team, move_in=date(2024, 3, 1))
    db.session.scalar(db.select(Contract).where(
        Contract.participant_id == person.id)).ended_on = date(2025, 2, 28)
    home = Apartment(organisation_id=world.org.id, address="Nya gatan 5", city="Göteborg",
                     housing_team_id=world.housing_team.id)
    db.session.add(home)
    db.session.flush()
    db.session.add(Contract(participant_id=person.id, apartment_id=home.id, kind="second_hand",
                            move_in_date=date(2025, 3, 1)))
    world.org.transfer_months = 60  # the counter not reached from either move-in
    db.session.commit()
    login_as("housing")
    item = client.get("/housing/tenancies").get_data(as_text=True).split(
        "Flyttat Inom")[1].split("</li>")[0]
    counter = tenancy_for([person.id], world.org, local_today())[person.id]
    assert counter.move_in == date(2024, 3, 1) and 12 <= counter.months_done < 60
    assert f"{counter.months_done} av {counter.required_months} månader" in item
    assert "Nya gatan 5" in item and "Andrahand" in item and "lördag 1 mars<" in item


def test_housing_lists_read_direct_assignment_with_the_page(db, client, login_as, world):
    """A protected identity on the tenancy list or the inbox is masked unless the housing user
    is directly assigned, whichever way the list is read (facts worked out, or ordered and
    paged by the database), and asking it costs no statement of its own."""
    from tests.conftest import statements_and_page
    from webapp.models import StaffAssignment

    user = login_as("housing")
    urls = ("/housing/tenancies", "/housing/checklists")
    for url in urls:
        client.get(url)  # facts worked out
    plain = {url: statements_and_page(client, url)[0] for url in urls}  # no protected identity
    hidden = make_participant(world.org, world.team, "Hemlig", "Person",
                              housing_team=world.housing_team, protected=True)
    db.session.commit()
    for url in urls:
        for _view in range(2):  # the first works the facts out, the second reads them
            html = client.get(url).get_data(as_text=True)
            assert "Skyddad deltagare" in html and "Hemlig" not in html, url
    assert {url: statements_and_page(client, url)[0] for url in urls} == plain
    db.session.add(StaffAssignment(participant_id=hidden.id, user_id=user.id))
    db.session.commit()
    for url in urls:
        client.get(url)  # the assignment's write made the facts stale
        count, html = statements_and_page(client, url)
        assert "Hemlig Person" in html, url
        assert count == plain[url], url


def test_housing_pages_largest_statements_run_without_parameters_on_postgresql(
        db, client, login_as, world):
    """The overview's counts, the tenancy list's order and the inbox's rows are written with
    their values in (`statements.written_once`): PostgreSQL plans a statement without
    parameters once per connection; with them it planned these anew on every view."""
    from sqlalchemy import event

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    login_as("housing")
    seen = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        for url in ("/housing", "/housing/tenancies", "/housing/checklists"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    kinds = {"overview": lambda sql: sql.startswith("SELECT count(*) - count("),
             "tenancy order": lambda sql: "shown_name" in sql and "OVER ()" in sql,
             "inbox order": lambda sql: "tenancies_before" in sql and "OVER ()" in sql}
    for kind, matches in kinds.items():
        written = [parameters for statement, parameters in seen if matches(statement)]
        assert written, kind
        assert all(not parameters for parameters in written), kind


def test_housing_lists_have_the_scope_written_in_on_postgresql(db, client, login_as, world):
    """The overview's lists' windows have the scope's ids in their text (`routes._in_scope`),
    the same text on each view that works them out: psycopg prepares it and PostgreSQL plans
    it once, not on every view."""
    import re

    from sqlalchemy import event

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    login_as("housing")
    seen = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "leaving_count" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        for _view in range(2):  # the first and the second work them out (stored by the second)
            assert client.get("/housing").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert len(seen) == 2 and seen[0][0] == seen[1][0]
    assert "scope" not in seen[0][1]
    ids = re.findall(r"ANY \(CAST\('\{([0-9,]+)\}' AS INTEGER\[\]\)\)", seen[0][0])
    assert len(ids) == 3 and str(world.participant.id) in ids[0].split(",")
