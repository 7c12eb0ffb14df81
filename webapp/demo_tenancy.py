"""The demo tells every stage of the tenancy (issue 14), by adapting demo participants:

- Nadia (fas 1): between two offered apartments, a viewing booked tomorrow;
- Peter (fas 1): contract signed, moving in soon;
- Lena (fas 2): an unpaid-rent notice; Ahmed (fas 2): a joint meeting and joint action plan;
- Jonas (fas 2): good tenancy reached, transfer inspection booked;
- Olle (fas 3): transferred, open-support information given;
- Eva: terminated (unpaid rent) before 12 months, keys handed back, breakdown analysis, now a
  new offer with another company (so kvarboende is honestly below 100 %);
- Bengt (fas 4): open support.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .extensions import db
from .models import (
    Apartment,
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
    User,
)
from .tenancy_services import ensure_inspection_template
from .timeutil import local_today, to_utc


def _at(day: date, hour: int) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day, hour))


def _apartment(org, housing_team_id, address, landlord, **kw) -> Apartment:
    apartment = Apartment(organisation_id=org.id, housing_team_id=housing_team_id,
                          address=address, city="Göteborg", landlord=landlord, **kw)
    db.session.add(apartment)
    db.session.flush()
    return apartment


def seed_tenancy(org) -> None:
    """Called once by `demo.seed_demo` after the participants exist (same transaction)."""
    db.session.flush()
    today = local_today()
    people = {p.first_name: p for p in db.session.scalars(
        db.select(Participant).where(Participant.organisation_id == org.id))}
    users = {u.username: u for u in db.session.scalars(
        db.select(User).where(User.organisation_id == org.id))}
    anna, bostad, soc = users["anna"], users["bostad"], users["soc"]
    contracts = {c.participant_id: c for c in db.session.scalars(
        db.select(Contract).where(Contract.participant_id.in_([p.id for p in people.values()])))}
    housing_team = contracts[people["Kalle"].id].apartment.housing_team_id
    template = ensure_inspection_template(org.id)

    # Every contract gets the Göteborg terms: 14 days' notice, tenure waived for two years.
    for contract in contracts.values():
        start = contract.move_in_date
        contract.start_date, contract.notice_days = start, 14
        contract.tenure_waived = True
        contract.tenure_waiver_ends_on = start.replace(year=start.year + 2)
        contract.attendees = "Deltagaren, Anna Andersson (stöd), Bo Bostadsförvaltare"
        contract.entered_by_id, contract.keys_collected_on = bostad.id, (
            start if start <= today else None)
        apartment = contract.apartment
        apartment.size_sqm, apartment.floor, apartment.area = 34, "2", "Centrum"
        if start <= today:
            contract.inspection_on = start + timedelta(days=3)
            contract.inspection_note = "Lägenheten i gott skick vid inflyttningen."

    # Nadia: two apartments offered, the choice is hers (parallel choice).
    nadia = people["Nadia"]
    old = contracts.pop(nadia.id)
    db.session.delete(old)
    db.session.flush()
    db.session.delete(old.apartment)
    first = _apartment(org, housing_team, "Linnégatan 40", "Bostadsbolaget",
                       rooms="1 rum och kök", size_sqm=32, floor="3", area="Linnéstaden",
                       apartment_number="1403")
    second = _apartment(org, housing_team, "Kaptensgatan 8", "Poseidon", rooms="2 rum och kök",
                        size_sqm=45, floor="1", area="Majorna", apartment_number="1102")
    offer = Offer(participant_id=nadia.id, offered_on=today - timedelta(days=3),
                  first_apartment_id=first.id, second_apartment_id=second.id,
                  wishes="Nära spårvagnen och min syster i Majorna, inte högt upp.",
                  matching_note="Båda nära spårvagn; Kaptensgatan ligger i Majorna på bottenplan.",
                  created_by_id=bostad.id)
    db.session.add(offer)
    db.session.flush()
    db.session.add_all([
        Showing(offer_id=offer.id, apartment_id=first.id, starts_at=_at(today + timedelta(days=1),
                13), staff_id=users["erik"].id, booked_by_id=users["erik"].id),
        Showing(offer_id=offer.id, apartment_id=second.id,
                starts_at=_at(today + timedelta(days=2), 10), staff_id=anna.id,
                booked_by_id=anna.id),
    ])

    # Peter: signed, moving in soon (the contract the demo already made is the signed one).
    peter = contracts[people["Peter"].id]
    peter.signed_on = today - timedelta(days=4)

    # Lena: unpaid rent, its own notice type (the landlord's word, no amounts).
    lena = people["Lena"]
    db.session.add(Disturbance(
        participant_id=lena.id, apartment_id=contracts[lena.id].apartment_id,
        occurred_on=today - timedelta(days=12), received_at=_at(today - timedelta(days=11), 9),
        source="housing", severity="unpaid_rent", reported_by_id=bostad.id,
        description="Hyran för förra månaden är inte betald.",
        followed_up_at=_at(today - timedelta(days=11), 14), followed_up_by_id=anna.id,
        follow_up_note="Ringde, bokade tid hos budgetrådgivningen."))

    # Ahmed: a very serious disturbance, a joint meeting and its joint action plan.
    ahmed = people["Ahmed"]
    very = Disturbance(
        participant_id=ahmed.id, apartment_id=contracts[ahmed.id].apartment_id,
        occurred_on=today - timedelta(days=30), received_at=_at(today - timedelta(days=29), 8),
        source="landlord", severity="very_serious", reported_by_id=bostad.id,
        description="Många besökare nattetid, grannar rädda, skadegörelse i trapphuset.",
        followed_up_at=_at(today - timedelta(days=29), 11), followed_up_by_id=anna.id,
        follow_up_note="Hembesök samma dag.")
    db.session.add(very)
    db.session.flush()
    meeting = JointMeeting(
        participant_id=ahmed.id, disturbance_id=very.id,
        meets_at=_at(today - timedelta(days=25), 13), place="Bostadsförvaltningen, Kungsgatan 1",
        called="social_services,staff,landlord,tenant",
        attended="social_services,staff,landlord,tenant",
        summary="Alla var med. Ahmed vill bo kvar och säga nej till gamla bekanta.",
        called_by_id=bostad.id)
    db.session.add(meeting)
    db.session.flush()
    follow = today + timedelta(days=10)
    db.session.add_all([
        JointAction(meeting_id=meeting.id, action="Hembesök två gånger i veckan i en månad",
                    who="Stödpersonalen", due_on=today + timedelta(days=5), follow_up_on=follow,
                    created_by_id=bostad.id),
        JointAction(meeting_id=meeting.id, action="Byta lås och ny passerbricka",
                    who="Hyresvärden", due_on=today - timedelta(days=15), follow_up_on=follow,
                    done_on=today - timedelta(days=16), created_by_id=bostad.id),
        JointAction(meeting_id=meeting.id, action="Plats i sviktlägenhet om det behövs",
                    who="Socialtjänsten", due_on=today + timedelta(days=3), follow_up_on=follow,
                    created_by_id=bostad.id),
    ])

    # Jonas: 19 months of good tenancy, transfer inspection booked.
    jonas = people["Jonas"]
    contract = contracts[jonas.id]
    _shift_move_in(jonas, contract, contract.move_in_date - timedelta(days=61))
    db.session.add(TransferCase(
        participant_id=jonas.id, contract_id=contract.id, template_id=template.id,
        inspection_on=today + timedelta(days=6),
        inspection_attendees="Anna Andersson (stöd), Bo Bostadsförvaltare, Bostadsbolaget",
        created_by_id=bostad.id))

    # Olle and Fatima: transferred (fas 3); Olle's transfer on record with the information given.
    for first_name in ("Olle", "Fatima"):
        contract = contracts[people[first_name].id]
        contract.first_hand_on = contract.move_in_date + timedelta(days=548)
    olle, contract = people["Olle"], contracts[people["Olle"].id]
    db.session.add(TransferCase(
        participant_id=olle.id, contract_id=contract.id, template_id=template.id,
        inspection_on=contract.first_hand_on - timedelta(days=30),
        inspection_done_on=contract.first_hand_on - timedelta(days=30),
        inspection_attendees="Anna Andersson, Bo Bostadsförvaltare, hyresvärden",
        answers_json="{}", inspection_note="Inga anmärkningar.",
        requested_on=contract.first_hand_on - timedelta(days=25), decision="approved",
        decided_on=contract.first_hand_on - timedelta(days=10),
        decision_reason="God hyressed i 18 månader.",
        open_support_info_on=contract.first_hand_on, open_support_info_by_id=anna.id,
        created_by_id=bostad.id))

    # Eva: terminated before 12 months (unpaid rent), keys back, a new offer elsewhere.
    _eva(people["Eva"], contracts[people["Eva"].id], org, housing_team, today, anna, bostad, soc)


def _shift_move_in(person, contract, move_in: date) -> None:
    contract.move_in_date = contract.start_date = move_in
    contract.signed_on = move_in - timedelta(days=7)
    contract.tenure_waiver_ends_on = move_in.replace(year=move_in.year + 2)
    contract.keys_collected_on, contract.inspection_on = move_in, move_in + timedelta(days=3)
    for change in db.session.scalars(db.select(PhaseChange).where(
            PhaseChange.participant_id == person.id)):
        change.started_on = move_in - timedelta(days=42) if change.phase == 1 else move_in


def _eva(eva, contract, org, housing_team, today, anna, bostad, soc) -> None:
    move_in = today - timedelta(days=430)
    for change in list(db.session.scalars(db.select(PhaseChange).where(
            PhaseChange.participant_id == eva.id))):
        db.session.delete(change)
    contract.kind, contract.landlord = "second_hand", "Bostadsbolaget"
    _shift_move_in(eva, contract, move_in)
    contract.end_reason, contract.end_category = "terminated", "unpaid_rent"
    contract.terminated_on = move_in + timedelta(days=280)
    contract.end_note = "Upprepade obetalda hyror trots stöd och budgetrådgivning."
    contract.keys_returned_on = contract.ended_on = move_in + timedelta(days=310)
    db.session.add(Disturbance(
        participant_id=eva.id, apartment_id=contract.apartment_id,
        occurred_on=move_in + timedelta(days=200), received_at=_at(move_in + timedelta(days=200),
                                                                    9),
        source="housing", severity="unpaid_rent", reported_by_id=bostad.id,
        description="Hyran är inte betald.", followed_up_at=_at(move_in + timedelta(days=200), 15),
        followed_up_by_id=anna.id, follow_up_note="Ringde samma dag."))
    eva.phase = 1
    eva.decision_date = move_in - timedelta(days=40)
    eva.review_date = today + timedelta(days=200)
    for phase, started in ((1, move_in - timedelta(days=42)), (2, move_in),
                           (1, contract.keys_returned_on)):
        db.session.add(PhaseChange(participant_id=eva.id, phase=phase, started_on=started,
                                   recorded_by_id=anna.id,
                                   note="Ny planering efter uppsägningen." if started
                                   == contract.keys_returned_on and phase == 1 else ""))
    db.session.add(BreakdownAnalysis(
        participant_id=eva.id, contract_id=contract.id,
        what_happened="Hyran betalades inte flera månader; kontakten med stödet glesnade.",
        could_have_done="Autogiro från start och tätare stöd med ekonomin de första månaderna.",
        categories="economy,support", written_by_id=anna.id))
    first = _apartment(org, housing_team, "Mölndalsvägen 12", "Familjebostäder",
                       rooms="1 rum och kök", size_sqm=30, floor="2", area="Krokslätt",
                       apartment_number="1201")
    second = _apartment(org, housing_team, "Doktor Sydows gata 3", "Poseidon",
                        rooms="1 rum och kök", size_sqm=36, floor="4", area="Guldheden",
                        apartment_number="1405")
    db.session.add(Offer(participant_id=eva.id, offered_on=today - timedelta(days=5),
                         first_apartment_id=first.id, second_apartment_id=second.id,
                         wishes="Lugnt, gärna nära naturen.", created_by_id=bostad.id))
