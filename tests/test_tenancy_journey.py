"""The tenancy from offer to transfer or termination, through the pages (DESIGN §1b)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_participant
from webapp.models import (
    Apartment,
    AuditEvent,
    BreakdownAnalysis,
    Contract,
    Disturbance,
    JointAction,
    JointMeeting,
    Offer,
    Participant,
    PhaseChange,
    Showing,
    TransferCase,
)
from webapp.timeutil import local_today

TODAY = local_today()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today as the app sees it when the test runs, not when the module was imported: a run
    that crosses local midnight would compare yesterday's date with the app's."""
    monkeypatch.setitem(globals(), "TODAY", local_today())


def _apartment(db, world, address, landlord="Bostadsbolaget", **kw):
    apartment = Apartment(organisation_id=world.org.id, housing_team_id=world.housing_team.id,
                          address=address, landlord=landlord, **kw)
    db.session.add(apartment)
    db.session.commit()
    return apartment


@pytest.fixture
def newcomer(db, world):
    """A fas-1 participant without any contract: waiting for an apartment."""
    person = Participant(organisation_id=world.org.id, team_id=world.team.id, first_name="Nina",
                         last_name="Ny", phase=1, social_worker_id=world.users["social_worker"].id)
    db.session.add(person)
    db.session.commit()
    return person


def test_housing_adds_an_apartment_with_size_floor_area(client, login_as, db, world):
    login_as("housing")
    response = client.post("/housing/apartments/new", data={
        "address": "Lilla gatan 5", "landlord": "Poseidon", "rooms": "2 rum och kök",
        "size_sqm": "48", "floor": "3", "area": "Majorna", "city": "Göteborg"})
    assert response.status_code == 302
    apartment = db.session.query(Apartment).filter_by(address="Lilla gatan 5").one()
    assert (apartment.size_sqm, apartment.floor, apartment.area) == (48, "3", "Majorna")
    assert apartment.housing_team_id == world.housing_team.id
    page = client.get("/housing/apartments").get_data(as_text=True)
    assert "Lilla gatan 5" in page and "48 m²" in page


def test_apartment_form_keeps_input_and_explains_errors(client, login_as, db, world):
    login_as("housing")
    response = client.post("/housing/apartments/new", data={
        "address": "Kvar gatan 1", "landlord": "", "size_sqm": "9999"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kvar gatan 1" in page and "Skriv vilket bostadsbolag" in page


def test_other_housing_team_cannot_edit_apartment(client, login_as, db, world):
    from tests.factories import make_team, make_user

    apartment = _apartment(db, world, "Min gata 1")
    other_team = make_team(world.org, "Annan bostad", kind="housing")
    other = make_user(world.org, "housing", "otherhousing", teams=[other_team])
    db.session.commit()
    login_as(other)
    assert client.get(f"/housing/apartments/{apartment.id}/edit").status_code == 404


def test_offer_of_two_showings_choice_contract_move_in(client, login_as, db, world, newcomer):
    first = _apartment(db, world, "Första gatan 1", rooms="1 rok")
    second = _apartment(db, world, "Andra gatan 2", landlord="Poseidon")
    login_as("housing")
    # Housing sees the participant waiting for an apartment.
    assert client.get(f"/housing/tenancies/{newcomer.id}").status_code == 200
    response = client.post(f"/housing/tenancies/{newcomer.id}/offer", data={
        "offered_on": TODAY.isoformat(), "first_apartment_id": first.id,
        "second_apartment_id": second.id, "wishes": "Nära havet", "matching_note": "Båda nära"})
    assert response.status_code == 302, response.get_data(as_text=True)
    offer = db.session.query(Offer).filter_by(participant_id=newcomer.id).one()
    assert offer.second_apartment_id == second.id and offer.wishes == "Nära havet"

    # Staff book a showing and record what they saw; the social worker reads it.
    login_as("staff")
    starts = (TODAY + timedelta(days=1)).isoformat() + "T13:00"
    assert client.post(f"/participants/{newcomer.id}/tenancy/offers/{offer.id}/showings",
                       data={"apartment_id": first.id, "starts_at": starts}).status_code == 303
    showing = db.session.query(Showing).filter_by(offer_id=offer.id).one()
    client.post(f"/participants/{newcomer.id}/tenancy/showings/{showing.id}",
                data={"attended": "yes", "observation": "Ljus och lugn"})
    db.session.refresh(showing)
    assert showing.attended is True and showing.observation == "Ljus och lugn"
    # Staff write the participant's wishes down with them (Gävle's matching).
    page = client.get(f"/participants/{newcomer.id}/tenancy").get_data(as_text=True)
    assert f"/tenancy/offers/{offer.id}/wishes" in page
    assert client.post(f"/participants/{newcomer.id}/tenancy/offers/{offer.id}/wishes",
                       data={"wishes": "Nära havet och en buss"}).status_code == 303
    db.session.refresh(offer)
    assert offer.wishes == "Nära havet och en buss"
    login_as("social_worker")
    page = client.get(f"/participants/{newcomer.id}/tenancy").get_data(as_text=True)
    assert "Ljus och lugn" in page and "Första gatan 1" in page
    assert client.post(f"/participants/{newcomer.id}/tenancy/showings/{showing.id}",
                       data={"attended": "no"}).status_code == 403
    assert client.post(f"/participants/{newcomer.id}/tenancy/offers/{offer.id}/wishes",
                       data={"wishes": "x"}).status_code == 403

    login_as("housing")
    client.post(f"/housing/offers/{offer.id}/choice", data={
        "chosen_apartment_id": first.id, "chosen_on": TODAY.isoformat()})
    db.session.refresh(offer)
    assert offer.chosen_apartment_id == first.id
    response = client.post(f"/housing/tenancies/{newcomer.id}/contract", data={
        "apartment_id": first.id, "signed_on": TODAY.isoformat(),
        "start_date": TODAY.isoformat(), "notice_days": "14", "tenure_waived": "y",
        "attendees": "Nina, Anna (stöd), Bo (bostad)"})
    assert response.status_code == 302, response.get_data(as_text=True)
    contract = db.session.query(Contract).filter_by(participant_id=newcomer.id).one()
    assert contract.notice_days == 14 and contract.tenure_waived
    assert contract.tenure_waiver_ends_on == TODAY.replace(year=TODAY.year + 2)
    assert contract.offer_id == offer.id and contract.entered_by_id == world.users["housing"].id
    db.session.refresh(newcomer)
    assert newcomer.phase == 1  # fas 2 starts with the move-in, not the signature

    response = client.post(f"/housing/contracts/{contract.id}/move-in", data={
        "move_in_date": TODAY.isoformat(), "keys_collected_on": TODAY.isoformat(),
        "inspection_on": TODAY.isoformat(), "inspection_note": "Fint skick"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(newcomer)
    db.session.refresh(contract)
    assert newcomer.phase == 2 and contract.move_in_date == TODAY
    assert db.session.query(PhaseChange).filter_by(participant_id=newcomer.id, phase=2).one()
    page = client.get(f"/housing/tenancies/{newcomer.id}").get_data(as_text=True)
    assert "Fint skick" in page
    assert db.session.query(AuditEvent).filter_by(participant_id=newcomer.id,
                                                  object_type="contract").count() >= 2


def test_new_offer_with_terminating_company_warns_first(client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    contract.landlord = "Bostadsbolaget AB"
    db.session.commit()
    login_as("housing")
    assert client.post(f"/housing/contracts/{contract.id}/end", data={
        "end_reason": "terminated", "end_category": "unpaid_rent",
        "terminated_on": TODAY.isoformat()}).status_code == 302
    # Support continues until the keys are back: still visible, still fas 2.
    assert client.get(f"/housing/tenancies/{p.id}").status_code == 200
    client.post(f"/housing/contracts/{contract.id}/keys-returned",
                data={"keys_returned_on": TODAY.isoformat()})
    db.session.refresh(contract)
    assert contract.ended_on == TODAY and contract.end_category == "unpaid_rent"

    same = _apartment(db, world, "Samma bolag 1", landlord="bostadsbolaget")
    other = _apartment(db, world, "Annat bolag 2", landlord="Poseidon")
    data = {"offered_on": TODAY.isoformat(), "first_apartment_id": same.id,
            "second_apartment_id": other.id}
    response = client.post(f"/housing/tenancies/{p.id}/offer", data=data)
    assert response.status_code == 422
    assert "samma bostadsbolag" in response.get_data(as_text=True).lower()
    assert db.session.query(Offer).filter_by(participant_id=p.id).count() == 0
    response = client.post(f"/housing/tenancies/{p.id}/offer",
                           data={**data, "confirm_same_company": "y"})
    assert response.status_code == 302
    assert db.session.query(Offer).filter_by(participant_id=p.id).one().same_company_confirmed


def test_termination_needs_a_category_and_breakdown_is_written_by_staff(
        client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    login_as("housing")
    response = client.post(f"/housing/contracts/{contract.id}/end", data={
        "end_reason": "terminated", "terminated_on": TODAY.isoformat()})
    assert response.status_code == 422
    assert "Välj skälet till uppsägningen" in response.get_data(as_text=True)
    client.post(f"/housing/contracts/{contract.id}/end", data={
        "end_reason": "moved_by_choice", "terminated_on": TODAY.isoformat()})
    login_as("staff")
    page = client.get(f"/participants/{p.id}/tenancy").get_data(as_text=True)
    assert "Skriv haveri-analysen" in page
    url = f"/participants/{p.id}/tenancy/contracts/{contract.id}/breakdown"
    assert client.post(url, data={"what_happened": ""}).status_code == 422
    client.post(url, data={"what_happened": "Ville flytta närmare familjen",
                           "categories": ["matching"]})
    analysis = db.session.query(BreakdownAnalysis).one()
    assert analysis.categories == "matching"
    login_as("housing")
    assert client.get(url).status_code == 403  # housing never reads the analysis


def test_transfer_inspection_request_and_approval_start_fas_3(client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    contract.move_in_date = TODAY - timedelta(days=600)
    db.session.commit()
    login_as("housing")
    page = client.get(f"/housing/tenancies/{p.id}").get_data(as_text=True)
    assert "Villkoren är uppfyllda" in page
    client.post(f"/housing/contracts/{contract.id}/transfer", data={
        "inspection_on": (TODAY + timedelta(days=7)).isoformat(),
        "inspection_attendees": "Anna (stöd), hyresvärden"})
    transfer = db.session.query(TransferCase).one()
    assert transfer.template.version == 1
    answers = {"inspection_done_on": TODAY.isoformat()}
    response = client.post(f"/housing/transfers/{transfer.id}/inspection", data=answers)
    assert response.status_code == 422  # every item must be answered
    import json

    items = json.loads(transfer.template.items_json)
    answers |= {f"item_{item['key']}": "ok" for item in items}
    # A remark says what it is about; what was typed stays in the form.
    first = items[0]["key"]
    response = client.post(f"/housing/transfers/{transfer.id}/inspection",
                           data=answers | {f"item_{first}": "remark"})
    assert response.status_code == 422
    assert "Skriv vad anmärkningen gäller." in response.get_data(as_text=True)
    assert client.post(f"/housing/transfers/{transfer.id}/inspection", data=answers | {
        f"item_{first}": "remark", f"note_{first}": "Fläkten i köket saknas"}).status_code == 302
    db.session.refresh(transfer)
    assert transfer.remark_count == 1
    assert transfer.inspection_remarks == [(items[0]["text"], "Fläkten i köket saknas")]
    page = client.get(f"/housing/tenancies/{transfer.participant_id}").get_data(as_text=True)
    assert "Fläkten i köket saknas" in page
    client.post(f"/housing/transfers/{transfer.id}/request",
                data={"requested_on": TODAY.isoformat()})
    response = client.post(f"/housing/transfers/{transfer.id}/decision", data={
        "decision": "approved", "decided_on": TODAY.isoformat()})
    assert response.status_code == 422  # approval needs the first-hand date
    client.post(f"/housing/transfers/{transfer.id}/decision", data={
        "decision": "approved", "decided_on": TODAY.isoformat(),
        "first_hand_on": TODAY.isoformat()})
    db.session.refresh(contract)
    db.session.refresh(p)
    assert contract.kind == "first_hand" and contract.first_hand_on == TODAY and p.phase == 3
    login_as("staff")
    client.post(f"/participants/{p.id}/tenancy/transfers/{transfer.id}/open-support")
    db.session.refresh(transfer)
    assert transfer.open_support_info_on == TODAY
    assert transfer.open_support_info_by_id == world.users["staff"].id


def test_refusal_needs_a_reason(client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    login_as("housing")
    client.post(f"/housing/contracts/{contract.id}/transfer", data={
        "inspection_on": TODAY.isoformat(), "inspection_attendees": "Alla"})
    transfer = db.session.query(TransferCase).one()
    response = client.post(f"/housing/transfers/{transfer.id}/decision", data={
        "decision": "refused", "decided_on": TODAY.isoformat()})
    assert response.status_code == 422
    assert "motivering" in response.get_data(as_text=True)


def test_unpaid_rent_blocks_transfer_and_shows_why(client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    contract.move_in_date = TODAY - timedelta(days=600)
    db.session.add(Disturbance(participant_id=p.id, occurred_on=TODAY - timedelta(days=30),
                               source="landlord", severity="unpaid_rent"))
    db.session.commit()
    login_as("housing")
    page = client.get(f"/housing/tenancies/{p.id}").get_data(as_text=True)
    assert "Obetald hyra under perioden" in page and "Villkoren är uppfyllda" not in page


def test_housing_logs_unpaid_rent_as_its_own_type(client, login_as, db, world):
    login_as("housing")
    response = client.post("/housing/disturbances/new", data={
        "participant_id": world.participant.id, "occurred_on": TODAY.isoformat(),
        "severity": "unpaid_rent", "description": "Hyran för mars är inte betald."})
    assert response.status_code == 302
    assert db.session.query(Disturbance).one().severity == "unpaid_rent"


def test_joint_meeting_and_action_plan_seen_by_all_parties(client, login_as, db, world):
    p = world.participant
    db.session.add(Disturbance(participant_id=p.id, occurred_on=TODAY, source="landlord",
                               severity="very_serious", description="Brand i trapphuset"))
    db.session.commit()
    login_as("housing")
    response = client.post(f"/housing/tenancies/{p.id}/meetings/new", data={
        "meets_on": TODAY.isoformat(), "meets_time": "13:00", "place": "Kontoret",
        "called": ["social_services", "staff", "landlord", "tenant"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.query(JointMeeting).one()
    client.post(f"/housing/meetings/{meeting.id}/actions", data={
        "action": "Byta lås och prata med grannarna", "who": "Hyresvärden",
        "due_on": (TODAY + timedelta(days=7)).isoformat(),
        "follow_up_on": (TODAY + timedelta(days=14)).isoformat()})
    assert db.session.query(JointAction).count() == 1
    for role, url in (("staff", f"/participants/{p.id}/tenancy"),
                      ("social_worker", f"/participants/{p.id}/tenancy"),
                      ("housing", f"/housing/tenancies/{p.id}"),
                      ("participant", "/me/tenancy")):
        login_as(role)
        page = client.get(url).get_data(as_text=True)
        assert "Byta lås och prata med grannarna" in page, role
    login_as("staff")
    assert client.post(f"/housing/meetings/{meeting.id}/actions", data={}).status_code == 403
    action = db.session.query(JointAction).one()
    assert client.post(f"/housing/actions/{action.id}/done").status_code == 403
    login_as("housing")
    client.post(f"/housing/actions/{action.id}/done")
    db.session.refresh(action)
    assert action.done_on == TODAY


def test_housing_tenancy_page_of_other_team_is_404(client, login_as, db, world):
    login_as("housing")
    assert client.get(f"/housing/tenancies/{world.other.id}").status_code == 404
    other_contract = db.session.query(Contract).filter_by(participant_id=world.other.id).one()
    assert client.get(f"/housing/contracts/{other_contract.id}/end").status_code == 404


def test_past_dated_contract_shows_who_entered_it(client, login_as, db, world, newcomer):
    apartment = _apartment(db, world, "Gammal gata 3")
    login_as("housing")
    past = date(TODAY.year - 2, 3, 1)
    client.post(f"/housing/tenancies/{newcomer.id}/contract", data={
        "apartment_id": apartment.id, "signed_on": past.isoformat(),
        "start_date": past.isoformat(), "notice_days": "14", "attendees": "Nina"})
    contract = db.session.query(Contract).filter_by(participant_id=newcomer.id).one()
    client.post(f"/housing/contracts/{contract.id}/move-in",
                data={"move_in_date": past.isoformat()})
    db.session.refresh(newcomer)
    assert newcomer.phase == 2
    change = db.session.query(PhaseChange).filter_by(participant_id=newcomer.id, phase=2).one()
    assert change.started_on == past and change.recorded_by_id == world.users["housing"].id
    page = client.get(f"/housing/tenancies/{newcomer.id}").get_data(as_text=True)
    assert "Registrerat av" in page and world.users["housing"].display_name in page


def test_make_participant_factory_still_builds(db, world):
    assert make_participant  # the factory used by other tests is unchanged


def test_protected_address_is_masked_for_everyone_not_directly_assigned(client, login_as, db,
                                                                       world):
    from tests.factories import make_user

    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    contract.apartment.protected_address = True
    colleague = make_user(world.org, "staff", "colleague", teams=[world.team])
    db.session.commit()
    address = contract.apartment.address
    login_as("staff")  # directly assigned: sees it
    assert address in client.get(f"/participants/{p.id}").get_data(as_text=True)
    login_as(colleague)  # same team, not assigned: masked
    for url in (f"/participants/{p.id}", f"/participants/{p.id}/tenancy"):
        page = client.get(url).get_data(as_text=True)
        assert address not in page and "Adress skyddad" in page, url
    login_as("housing")
    for url in ("/housing/tenancies", f"/housing/tenancies/{p.id}", "/housing/checklists"):
        assert address not in client.get(url).get_data(as_text=True), url


def test_apartment_of_a_protected_tenant_is_masked_in_housing_lists(client, login_as, db,
                                                                   world):
    person = make_participant(world.org, world.team, "Zlatana", "Skyddad", protected=True,
                              housing_team=world.housing_team)
    contract = db.session.query(Contract).filter_by(participant_id=person.id).one()
    contract.apartment.address = "Tystagatan 77"
    db.session.commit()
    login_as("housing")
    page = client.get("/housing/apartments").get_data(as_text=True)
    assert "Tystagatan" not in page and "Adress skyddad" in page
    url = f"/housing/apartments/{contract.apartment_id}/edit"
    assert "Tystagatan" not in client.get(url).get_data(as_text=True)
    # Saving with the address left empty keeps it.
    client.post(url, data={"address": "", "landlord": "Bolaget", "rooms": "2 rok"})
    db.session.refresh(contract.apartment)
    assert contract.apartment.address == "Tystagatan 77" and contract.apartment.rooms == "2 rok"


def test_housing_tenancy_list_says_why_a_transfer_is_not_possible(client, login_as, db, world):
    p = world.participant
    contract = db.session.query(Contract).filter_by(participant_id=p.id).one()
    contract.move_in_date = TODAY - timedelta(days=600)
    db.session.commit()
    login_as("housing")
    assert "Villkoren är uppfyllda" in client.get("/housing/tenancies").get_data(as_text=True)
    db.session.add(Disturbance(participant_id=p.id, occurred_on=TODAY - timedelta(days=40),
                               source="landlord", severity="unpaid_rent"))
    db.session.commit()
    page = client.get("/housing/tenancies").get_data(as_text=True)
    assert "Villkoren är uppfyllda" not in page and "Obetald hyra" in page
