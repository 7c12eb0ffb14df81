"""The caseload list, search, the participant overview and the activation code."""
from __future__ import annotations

import re
from datetime import date, timedelta

from tests.conftest import statements_and_page
from tests.factories import (
    local_at,
    make_appointment,
    make_disturbance,
    make_outcome,
    make_participant,
    make_user,
)
from webapp.models import ActivationCode, AuditEvent, Consent, Participant, ReserveKey, User
from webapp.timeutil import local_today


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- the caseload list ------------------------------------------------------------------------

def test_caseload_shows_phase_flags_and_next_appointment(client, world, login_as, db):
    staff = login_as("staff")
    make_disturbance(world.participant)
    make_appointment(world.participant, staff, local_at(local_today() + timedelta(days=3), 10),
                     kind="healthcare")
    make_participant(world.org, world.team, "Sara", "Hemlig", phase=3, protected=True,
                     assigned=[staff])
    db.session.commit()
    page = _html(client.get("/participants"))
    kalle = page.split("Kalle Svensson")[1].split("</li>")[0]
    assert "Fas 2" in kalle and "Rättelseanmaning" in kalle and "Hembesök saknas" in kalle
    assert "Nästa:" in kalle and "vårdbesök med följe" in kalle
    sara = page.split("Sara Hemlig")[1].split("</li>")[0]
    assert "Fas 3" in sara and "Skyddade personuppgifter" in sara
    assert "Hembesök saknas" not in sara and "Ingen tid bokad" in sara
    assert "Olle" not in page


def test_caseload_next_visit_flags_and_order_as_shown(client, world, login_as, db):
    """The list's flags come from one query for the page shown (issue 17): the next visit is
    the earliest booked one still to come (of two at the same time, the first booked), only an
    open rättelseanmaning is flagged, and the order is by the name shown, a masked identity
    by its pseudonym."""
    from webapp.models import utcnow

    staff = login_as("staff")
    soon = local_at(local_today() + timedelta(days=2), 10)
    make_appointment(world.participant, staff, soon, kind="healthcare")
    make_appointment(world.participant, staff, soon, kind="meeting")
    make_appointment(world.participant, staff, soon - timedelta(days=1), kind="sip",
                     status="cancelled")
    make_appointment(world.participant, staff, local_at(local_today() - timedelta(days=3), 10),
                     kind="phone")
    handled = make_participant(world.org, world.team, "Anna", "Ök")
    make_disturbance(handled, followed_up_at=utcnow())
    make_disturbance(handled, severity="serious")
    make_participant(world.org, world.team, "Sara", "Hemlig", protected=True)  # not assigned
    make_participant(world.org, world.team, "Tove", "Ek")
    db.session.commit()
    page = _html(client.get("/participants"))
    names = re.findall(r"<strong>([^<]+)</strong>", page)
    assert names == ["Anna Ök", "Kalle Svensson", "Skyddad deltagare", "Tove Ek"]
    kalle = page.split("Kalle Svensson")[1].split("</li>")[0]
    assert "vårdbesök med följe" in kalle and "möte" not in kalle
    anna = page.split("Anna Ök")[1].split("</li>")[0]
    assert "Rättelseanmaning" not in anna and "Ingen tid bokad" in anna
    assert "Sara" not in page and "Hemlig" not in page


def test_the_lists_visits_and_flags_in_one_statement_equal_the_two_they_replace(
        client, world, login_as, db):
    """`caseload.list_facts` reads the period's visits and the flags in one statement (issue
    17): the same as `home_visits_in_period` and `list_flags` read apart, and a home visit
    done this period takes "Hembesök saknas" off the row."""
    from webapp.domain.due import Rules
    from webapp.models import utcnow
    from webapp.staff import caseload

    staff = login_as("staff")
    today = local_today()
    done = make_appointment(world.participant, staff, local_at(today, 0, 5))
    make_outcome(done, staff, "done")
    make_appointment(world.participant, staff, local_at(today + timedelta(days=1), 10))
    bertil = make_participant(world.org, world.team, "Bertil", "Bok", phase=2)
    make_disturbance(bertil)
    make_appointment(bertil, staff, local_at(today + timedelta(days=2), 9), kind="phone")
    db.session.commit()
    ids, rules, now = [world.participant.id, bertil.id], Rules.of(world.org), utcnow()
    visits, flags = caseload.list_facts(ids, rules, today, now)
    assert visits == caseload.home_visits_in_period(ids, rules, today, now)[0]
    assert flags == caseload.list_flags(ids, now)
    assert visits[world.participant.id] and not visits.get(bertil.id)
    assert flags[bertil.id][0] and flags[bertil.id][1].kind == "phone"
    page = _html(client.get("/participants"))
    kalle = page.split("Kalle Svensson")[1].split("</li>")[0]
    assert "Hembesök saknas" not in kalle and "Nästa:" in kalle
    row = page.split("Bertil Bok")[1].split("</li>")[0]
    assert "Hembesök saknas" in row and "Rättelseanmaning" in row


def test_search_by_name_with_a_normal_submit(client, world, login_as, db):
    login_as("staff")
    make_participant(world.org, world.team, "Bertil", "Bok")
    db.session.commit()
    page = _html(client.get("/participants?q=bert"))
    assert "Bertil Bok" in page and "Kalle Svensson" not in page
    assert 'value="bert"' in page and 'type="submit"' in page
    assert "Ingen deltagare heter så." in _html(client.get("/participants?q=zzz"))


def test_live_search_returns_only_the_results_fragment(client, world, login_as):
    login_as("staff")
    response = client.get("/participants?q=kal", headers={"HX-Request": "true"})
    page = _html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="results">') and "<html" not in page
    assert "Kalle Svensson" in page
    assert "HX-Request" in response.headers.get("Vary", "")
    restored = client.get("/participants?q=kal", headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in _html(restored)  # back button after a live search gets the whole page
    full = _html(client.get("/participants"))
    assert 'hx-get="/participants"' in full and 'hx-target="#results"' in full


def test_social_worker_sees_own_cases(client, world, login_as):
    login_as("social_worker")
    page = _html(client.get("/participants"))
    assert "Mina ärenden" in page and "Kalle Svensson" in page and "Olle" not in page


def test_protected_identity_is_masked_for_a_colleague_not_assigned(client, world, login_as, db):
    sara = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                            assigned=[world.users["staff"]], phone="070-999 99 99")
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team])
    db.session.commit()
    login_as(colleague)
    listing = _html(client.get("/participants"))
    assert "Sara" not in listing and "Skyddad deltagare" in listing
    # Searching for the real name must not reveal who the masked person is.
    assert "Skyddad deltagare" not in _html(client.get("/participants?q=sara"))
    assert "Skyddad deltagare" in _html(client.get("/participants?q=skyddad"))
    overview = _html(client.get(f"/participants/{sara.id}"))
    assert "Sara" not in overview and "Hemlig" not in overview
    assert "Hemliggatan" not in overview and "Adress skyddad" in overview
    assert "070-999" not in overview and "tel:" not in overview
    login_as("staff")
    overview = _html(client.get(f"/participants/{sara.id}"))
    assert "Sara Hemlig" in overview and "Hemliggatan 1" in overview
    assert 'href="tel:0709999999"' in overview


def test_a_protected_identity_on_the_list_costs_no_extra_statement(client, world, login_as,
                                                                    db):
    """Whether the worker is directly assigned comes with the caseload's columns
    (access.with_assignment on a column query): masking asks nothing more."""

    def statements() -> tuple[int, str]:
        return statements_and_page(client, "/participants")

    colleague = make_user(world.org, "staff", "kollega", teams=[world.team])
    db.session.commit()
    login_as(colleague)
    plain, _page = statements()
    make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                     assigned=[world.users["staff"]])
    make_participant(world.org, world.team, "Tova", "Tyst", protected=True, assigned=[colleague])
    db.session.commit()
    protected, page = statements()
    assert "Sara" not in page and "Skyddad deltagare" in page  # not assigned: masked
    assert "Tova Tyst" in page  # directly assigned: the real name
    assert protected == plain, f"{plain} vs {protected} statements"


# --- the overview --------------------------------------------------------------------------

def test_overview_shows_contact_home_tenancy_and_support(client, world, login_as, db):
    staff = login_as("staff")
    person = make_participant(world.org, world.team, "Bertil", "Bok", phone="070-123 45 67",
                              move_in=local_today() - timedelta(days=100),
                              decision_date=date(2026, 1, 1), review_date=date(2027, 6, 1))
    db.session.add_all([
        Consent(participant_id=person.id, scope="Socialtjänst, hyresvärd",
                given_on=date(2026, 1, 2)),
        ReserveKey(participant_id=person.id, spare_key_at_office=True, entrance_access=True,
                   conditions="Bara efter samtal."),
        Consent(participant_id=person.id, scope="Återkallat samtycke",
                given_on=date(2025, 1, 2), withdrawn_on=date(2025, 6, 1)),
    ])
    make_appointment(person, staff, local_at(local_today() + timedelta(days=2), 11))
    make_appointment(person, staff, local_at(local_today() - timedelta(days=2), 11),
                     kind="phone")
    make_disturbance(person, severity="minor")
    db.session.commit()
    page = _html(client.get(f"/participants/{person.id}"))
    assert 'href="tel:0701234567"' in page
    assert "Bokgatan 1" in page and "andrahandskontrakt" in page
    assert "3 av 18 månader" in page and "Beräknad överlåtelse:" in page
    assert "<progress" in page
    assert "Fas 2" in page and "Hembesök den här veckan" in page
    assert "Omprövning" in page and "2027" in page
    assert "Reservnyckel finns på kontoret." in page and "Bara efter samtal." in page
    assert "Socialtjänst, hyresvärd" in page and "Återkallat samtycke" not in page
    upcoming = page.split('id="next-heading"')[1].split("</section>")[0]
    assert upcoming.count("<li>") == 1 and "Ingen tid bokad" not in upcoming
    assert re.search(r"Störningar som inte är uppföljda</dt>\s*<dd><span class=\"badge danger\">1",
                     page)
    assert "Ge deltagaren en aktiveringskod" in page
    assert db.session.query(AuditEvent).filter_by(action="read",
                                                  participant_id=person.id).count() == 1


def test_overview_facts_from_one_query_pick_the_current_contract_and_count_from_the_first(
        client, world, login_as, db):
    """The overview's single facts come in one query (issue 17): the current contract is the
    open one moved into last, an ended one is not shown, the tenancy counter starts at the
    first move-in and deducts every absence, the relief cap counts its own kind, and the
    support staff are listed by name."""
    from webapp.models import Absence, Apartment, Contract, StaffAssignment, Team

    staff = login_as("staff")
    team = Team(organisation_id=world.org.id, name="Stockholmsteamet", relief_days_per_year=14)
    db.session.add(team)
    db.session.flush()
    first_day = local_today() - timedelta(days=400)
    person = make_participant(world.org, team, "Bertil", "Bok", move_in=first_day)
    for address, moved, ended in (("Gamla vägen 2", first_day + timedelta(days=100), True),
                                  ("Nya vägen 3", first_day + timedelta(days=200), False)):
        flat = Apartment(organisation_id=world.org.id, address=address, city="Göteborg",
                         rooms="2 rok")
        db.session.add(flat)
        db.session.flush()
        db.session.add(Contract(participant_id=person.id, apartment_id=flat.id,
                                kind="first_hand", move_in_date=moved,
                                ended_on=moved + timedelta(days=50) if ended else None))
    db.session.add_all([
        Absence(participant_id=person.id, kind="relief_acute",
                start_date=local_today() - timedelta(days=9), end_date=local_today()),
        Absence(participant_id=person.id, kind="other",
                start_date=first_day + timedelta(days=10), end_date=first_day + timedelta(days=39)),
        StaffAssignment(participant_id=person.id, user_id=staff.id),
        StaffAssignment(participant_id=person.id,
                        user_id=make_user(world.org, "staff", "anna", teams=[team],
                                          display_name="Anna Ahl").id),
    ])
    db.session.commit()
    page = _html(client.get(f"/participants/{person.id}"))
    assert "Nya vägen 3" in page and "förstahandskontrakt" in page and "2 rok" in page
    assert "Gamla vägen 2" not in page and "Bokgatan 1" not in page
    from webapp.queries import tenancy_for

    counter = tenancy_for([person.id], world.org, local_today())[person.id]
    assert counter.absence_days >= 30  # from the first move-in, both absences
    assert f"{counter.good_days} av {counter.required_days} dagar" in page
    assert f"{counter.absence_days} dagar borta räknas bort" in page
    assert "10 av 14 dagar" in page  # only the acute relief
    assert f"Anna Ahl, {staff.display_name}" in page


def test_overview_before_move_in(client, world, login_as, db):
    login_as("staff")
    person = make_participant(world.org, world.team, "Nora", "Ny", phase=1,
                              move_in=local_today() + timedelta(days=20))
    db.session.commit()
    page = _html(client.get(f"/participants/{person.id}"))
    assert "Räknaren börjar när deltagaren flyttar in." in page


def test_social_worker_reads_overview_without_activation(client, world, login_as):
    login_as("social_worker")
    page = _html(client.get(f"/participants/{world.participant.id}"))
    assert "Kalle Svensson" in page and "aktiveringskod" not in page


# --- activation code --------------------------------------------------------------------------

def _new_person(world, db, first="Bertil", last="Bok", **kw):
    person = make_participant(world.org, world.team, first, last, **kw)
    db.session.commit()
    return person


def test_activation_code_creates_the_login_and_works_once(client, world, login_as, db):
    login_as("staff")
    person = _new_person(world, db)
    response = client.post(f"/participants/{person.id}/activation-code")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = _html(response)
    code = re.search(r'class="activation-code">.*?([A-Z2-9]{4}-[A-Z2-9]{4})</p>', page).group(1)
    assert "<svg" in page and "72 timmar" in page and "bertil" in page
    db.session.expire_all()
    person = db.session.get(Participant, person.id)
    assert person.user is not None and person.user.role == "participant"
    # Word + random digits: says nothing about other accounts (issue 19).
    assert re.fullmatch(r"bertil\d{4}", person.user.username)
    assert person.user.username in page and person.user.password_hash is None
    assert db.session.query(AuditEvent).filter_by(action="activation_code").count() == 1

    client.post("/logout")
    data = {"code": code, "password": "blå cykel på taket", "confirm": "blå cykel på taket"}
    assert client.post("/activate", data=data).status_code == 302
    client.post("/logout")
    assert client.post("/activate", data=data).status_code == 422


def test_activation_code_with_htmx_returns_the_section(client, world, login_as, db):
    login_as("staff")
    person = _new_person(world, db)
    response = client.post(f"/participants/{person.id}/activation-code",
                           headers={"HX-Request": "true"})
    page = _html(response)
    assert page.lstrip().startswith('<section id="activation"') and "<html" not in page
    assert re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", page)


def test_a_second_code_reuses_the_login_and_voids_the_first(client, world, login_as, db):
    login_as("staff")
    person = _new_person(world, db)
    client.post(f"/participants/{person.id}/activation-code")
    client.post(f"/participants/{person.id}/activation-code")
    assert db.session.query(User).filter_by(role="participant").filter(
        User.username.like("bertil%")).count() == 1
    codes = db.session.query(ActivationCode).all()
    assert len(codes) == 2 and sum(code.used_at is None for code in codes) == 1


def test_usernames_are_unique_and_protected_ones_are_neutral(client, world, login_as, db):
    login_as("staff")
    first, second = _new_person(world, db), _new_person(world, db)
    third = _new_person(world, db)
    hidden = _new_person(world, db, "Sara", "Hemlig", protected=True,
                         assigned=[world.users["staff"]])
    for person in (first, second, third, hidden):
        assert client.post(f"/participants/{person.id}/activation-code").status_code == 200
    db.session.expire_all()
    names = [db.session.get(Participant, p.id).user.username for p in (first, second, third)]
    # Random digits, not "bertil", "bertil.b", "bertil2": a name taken in another organisation
    # must not show through (issue 19).
    assert all(re.fullmatch(r"bertil\d{4}", name) for name in names) and len(set(names)) == 3
    login = db.session.get(Participant, hidden.id).user
    assert re.fullmatch(r"deltagare\d{4}", login.username) and "Sara" not in login.display_name


def test_only_staff_issue_activation_codes(client, world, login_as):
    login_as("social_worker")
    url = f"/participants/{world.participant.id}/activation-code"
    assert client.post(url).status_code == 403
    login_as("other_staff")
    assert client.post(url).status_code == 404


def test_section_tabs_link_to_the_participant_shown_and_mark_the_current_page(
        client, world, login_as, db):
    """The tabs are rendered once per language and page, with a slot for the participant's id
    (webapp/staff/tabs.py): each participant's page links to their own sections, in the
    page's language, the current section marked and nothing else."""
    login_as("staff")
    other = make_participant(world.org, world.team, "Anna", "Ök")
    db.session.commit()
    sections = ["", "/plan", "/appointments", "/checklists", "/events", "/decisions", "/reports",
                "/tenancy"]

    def tabs(url):
        page = _html(client.get(url))
        nav = page.split('<nav class="tabs"')[1].split("</nav>")[0]
        return re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)

    for person in (world.participant, other, world.participant):
        base = f"/participants/{person.id}"
        for current in ("", "/events", "/checklists"):
            found = tabs(base + current)
            assert [href for href, _mark, _label in found] == [base + s for s in sections]
            assert [href for href, mark, _label in found if mark] == [base + current]
        assert [label for _h, _m, label in tabs(base + "/plan")][:3] == [
            "Översikt", "Plan", "Tider"]
    # A page that is not a tab (the checklist form) marks none.
    assert not [mark for _h, mark, _l in tabs(f"/participants/{other.id}/checklists/new")
                if mark]
    client.post("/language", data={"lang": "en", "next": "/participants"})
    assert [label for _h, _m, label in tabs(f"/participants/{other.id}")][:3] == [
        "Overview", "Plan", "Appointments"]


def test_overview_lists_in_one_statement_keep_each_lists_rows_and_order(
        client, world, login_as, db):
    """The overview's absences, next times, consents and staff come in one statement (issue
    17): the three soonest booked times soonest first, consents in force newest first, staff
    by name, another participant's rows in none of them, and no more statements with rows in
    every list than with none."""
    from webapp.models import Absence, StaffAssignment

    staff = login_as("staff")
    person = make_participant(world.org, world.team, "Bertil", "Bok")
    db.session.commit()
    empty, _page = statements_and_page(client, f"/participants/{person.id}")
    other = make_participant(world.org, world.team, "Anna", "Ök")
    soon = local_today() + timedelta(days=1)
    for days, kind, status in [(4, "phone", "booked"), (1, "meeting", "booked"),
                               (2, "healthcare", "cancelled"), (3, "sip", "booked"),
                               (5, "meeting", "booked")]:
        make_appointment(person, staff, local_at(soon + timedelta(days=days), 10), kind=kind,
                         status=status)
    make_appointment(other, staff, local_at(soon, 9), kind="healthcare")
    db.session.add_all([
        Consent(participant_id=person.id, scope="Äldre samtycke", given_on=date(2025, 2, 1)),
        Consent(participant_id=person.id, scope="Nyare samtycke", given_on=date(2026, 2, 1)),
        Consent(participant_id=other.id, scope="Annans samtycke", given_on=date(2026, 3, 1)),
        Absence(participant_id=other.id, kind="relief_acute", start_date=local_today(),
                end_date=local_today()),
        StaffAssignment(participant_id=person.id,
                        user_id=make_user(world.org, "staff", "ola", display_name="Ola Ek").id),
        StaffAssignment(participant_id=person.id, user_id=make_user(
            world.org, "staff", "bea", display_name="Bea Ahl").id),
        StaffAssignment(participant_id=other.id, user_id=make_user(
            world.org, "staff", "cia", display_name="Cia Berg").id),
    ])
    db.session.commit()
    full, page = statements_and_page(client, f"/participants/{person.id}")
    assert full == empty
    upcoming = page.split('id="next-heading"')[1].split("</section>")[0]
    assert re.findall(r": ([^<]+)</li>", upcoming) == ["Möte", "SIP-möte", "Telefonsamtal"]
    assert page.index("Nyare samtycke") < page.index("Äldre samtycke")
    assert "Annans samtycke" not in page and "Cia Berg" not in page
    assert "Bea Ahl, Ola Ek" in page


def test_overview_names_the_social_worker_and_tells_the_participants_login_state(
        client, world, login_as, db):
    """Of the login only whether it has a password, of the social worker only the name come
    with the overview's facts (issue 17): the same texts as when they were objects."""
    login_as("staff")
    worker = make_user(world.org, "social_worker", "soc9", display_name="Siv Socialsekr")
    nobody = make_participant(world.org, world.team, "Utan", "Konto")
    waiting = make_participant(world.org, world.team, "Med", "Kod", social_worker=worker,
                               user=make_user(world.org, "participant", "p-kod", password=""))
    using = make_participant(world.org, world.team, "Med", "Konto",
                             user=make_user(world.org, "participant", "p-konto"))
    waiting.user.password_hash = None
    db.session.commit()
    expected = {nobody: "Deltagaren har inget konto i appen än.",
                waiting: "Deltagaren har fått en kod men inte börjat använda appen än.",
                using: "Deltagaren har redan ett konto. En ny kod låter hen välja ett nytt "
                       "lösenord."}
    for person, text in expected.items():
        page = _html(client.get(f"/participants/{person.id}"))
        activation = page.split('id="activation"')[1].split("</section>")[0]
        assert text in activation
        assert [t for t in expected.values() if t in activation] == [text]
        shown = re.search(r"<dt>Socialsekreterare</dt>\s*<dd>([^<]*)</dd>", page)
        assert (shown.group(1) if shown else None) == (
            "Siv Socialsekr" if person is waiting else None)
