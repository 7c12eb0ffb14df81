"""Which participants housing administration sees (access.visible_participants, DESIGN §1b, §2):
tenants of its team's apartments, present and past; those offered one of them, first or second
choice; fas 1 without any contract. The same answer for the whole scope (lists) and for one
participant (a tenancy page), whichever query the scope is part of."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.factories import make_org, make_participant, make_team
from webapp.access import housing_participants, housing_tenancies, visible_participants
from webapp.extensions import db
from webapp.models import Apartment, Contract, Offer, Participant


def _apartment(world, team) -> Apartment:
    apartment = Apartment(organisation_id=world.org.id, address="Annangatan 1", city="Göteborg",
                          housing_team_id=team.id)
    db.session.add(apartment)
    db.session.flush()
    return apartment


def _offer(person, first, second=None) -> None:
    db.session.add(Offer(participant_id=person.id, offered_on=date(2026, 1, 1),
                         first_apartment_id=first.id,
                         second_apartment_id=second.id if second else None))


def _people(world):
    """name -> (participant, whether housing sees them)."""
    other_team = make_team(world.org, "Annat bostadsbolag", kind="housing")
    theirs, mine = _apartment(world, other_team), _apartment(world, world.housing_team)
    people = {}

    def person(name, seen, **kw):
        people[name] = (make_participant(world.org, world.team, name, "Scope", **kw), seen)
        return people[name][0]

    past = person("Tidigare", True, housing_team=world.housing_team)
    db.session.scalar(select(Contract).where(
        Contract.participant_id == past.id)).ended_on = date(2026, 2, 1)
    _offer(person("Andraval", True, housing_team=other_team), theirs, mine)
    _offer(person("Förstaval", True, housing_team=other_team), mine)
    _offer(person("Annansval", False, housing_team=other_team), theirs, theirs)
    person("Annanstans", False, housing_team=other_team)
    waiting = person("Väntar", True, phase=1)
    db.session.execute(Contract.__table__.delete().where(Contract.participant_id == waiting.id))
    person("Fasettan", False, phase=1, housing_team=other_team)
    stranger = make_org("Annan kommun")
    people["Främling"] = (make_participant(stranger, make_team(stranger), "Främling", "Scope",
                                           phase=1), False)
    db.session.commit()
    return people


def test_housing_sees_its_tenants_offers_and_waiting_fas_1_in_lists_and_one_by_one(
        client, world, login_as):
    people = _people(world)
    user = login_as("housing")
    scope = set(db.session.scalars(
        visible_participants(user).with_only_columns(Participant.id)))
    for name, (person, seen) in people.items():
        assert (person.id in scope) is seen, name
        status = client.get(f"/housing/tenancies/{person.id}").status_code
        assert status == (200 if seen else 404), name
    # As a subquery of a query that joins contracts and apartments itself (the inbox).
    joined = set(db.session.scalars(
        select(Contract.participant_id).join(Apartment, Apartment.id == Contract.apartment_id)
        .where(Contract.participant_id.in_(
            visible_participants(user).with_only_columns(Participant.id)))))
    assert joined == {person.id for person, seen in people.values() if seen} - {
        people["Väntar"][0].id} | {world.participant.id}
    # The housing pages' own forms of the same rule: the scope with the teams written into the
    # statement, and the inbox's tenancies without the scope's tests (each is in the scope).
    assert set(db.session.scalars(
        housing_participants(user).with_only_columns(Participant.id))) == scope
    open_in_scope = set(db.session.scalars(
        select(Contract.participant_id).join(Apartment, Apartment.id == Contract.apartment_id)
        .where(Contract.ended_on.is_(None),
               Apartment.housing_team_id == world.housing_team.id,
               Contract.participant_id.in_(
                   visible_participants(user).with_only_columns(Participant.id)))))
    tenancies = {row[0] for row in db.session.execute(housing_tenancies(user))}
    assert tenancies == open_in_scope and tenancies <= scope
    assert people["Tidigare"][0].id not in tenancies  # its contract has ended


def test_housing_tenancies_leave_out_another_organisations_tenant_in_my_apartment(
        world, login_as):
    """A contract can name any participant: one of another organisation in my team's apartment
    is not in my scope, so not an inbox row either."""
    stranger = make_org("Annan kommun")
    person = make_participant(stranger, make_team(stranger), "Främling", "Scope")
    apartment = _apartment(world, world.housing_team)
    db.session.add(Contract(participant_id=person.id, apartment_id=apartment.id,
                            kind="second_hand", landlord="Bolaget",
                            move_in_date=date(2026, 1, 1)))
    db.session.commit()
    user = login_as("housing")
    tenancies = {row[0] for row in db.session.execute(housing_tenancies(user))}
    assert person.id not in tenancies and world.participant.id in tenancies
    assert person.id not in set(db.session.scalars(
        housing_participants(user).with_only_columns(Participant.id)))
