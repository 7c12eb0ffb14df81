"""Demo data for the social-services side and the programme rules (issue 15): each rule in
action. Called once from demo.seed_demo()."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from .domain.social import default_period
from .domain.tenancy import add_months
from .extensions import db
from .models import (
    Absence,
    Apartment,
    Appointment,
    Contract,
    CrisisPlan,
    Decision,
    Disturbance,
    FollowUpComment,
    FollowUpReport,
    Goal,
    Participant,
    PhaseChange,
    Plan,
    QuarterlyFollowUp,
    StaffAssignment,
    SupportAssignment,
    Team,
    User,
    VisitOutcome,
)
from .timeutil import month_key, to_utc


def _at(day: date, hour: int) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day, hour))


def _visit(participant, staff, day: date, kind="home_visit", with_soc=False) -> None:
    appointment = Appointment(participant_id=participant.id, staff_id=staff.id, kind=kind,
                              starts_at=_at(day, 10), with_social_services=with_soc,
                              location="Hemma hos deltagaren", created_by_id=staff.id)
    db.session.add(appointment)
    db.session.flush()
    db.session.add(VisitOutcome(appointment_id=appointment.id, participant_id=participant.id,
                                outcome="done", recorded_by_id=staff.id,
                                recorded_at=_at(day, 11)))


def _decisions(person, soc, today: date) -> None:
    """The support decision as history: Fatima's old one was superseded by a new one."""
    start = person.decision_date
    ends, review = default_period(start, 18)
    old = Decision(participant_id=person.id, kind="support", decided_on=start, starts_on=start,
                   ends_on=ends, review_date=person.review_date or review,
                   text="Bistånd i form av boendestöd enligt Bostad först.",
                   recorded_by_id=soc.id)
    db.session.add(old)
    db.session.add(Decision(participant_id=person.id, kind="housing", decided_on=start,
                            starts_on=start, text="Andrahandskontrakt via kommunen.",
                            recorded_by_id=soc.id))
    db.session.flush()
    db.session.add(SupportAssignment(
        participant_id=person.id, decision_id=old.id, sent_on=start + timedelta(days=2),
        purpose="Stöd i boendet: hembesök varje vecka, hjälp med ekonomi och kontakt med "
                "vården, efter deltagarens egna mål.", created_by_id=soc.id))


def _reports(people, staff, soc, today: date) -> None:
    """Last month's report for everyone in fas 2–3 but Jonas (missing: flagged to both);
    Kalle's is read and commented, Ahmed's waits to be read."""
    previous = month_key(add_months(today.replace(day=1), -1))
    for person in people:
        if person.phase not in (2, 3) or person.first_name == "Jonas":
            continue
        read = person.first_name != "Ahmed"
        report = FollowUpReport(
            participant_id=person.id, month=previous, author_id=staff.id,
            support_given="Hembesök varje vecka. Vi har handlat möbler och betalat räkningar.",
            goals_progress="Autogiro för hyran är klart.", housing_situation="Trivs i lägenheten.",
            concerns="" if read else "Grannar har klagat på ljud på kvällarna.",
            participant_view="Det känns lugnare nu när hyran betalas av sig själv.",
            submitted_at=_at(today.replace(day=1), 9),
            read_at=_at(today.replace(day=1), 14) if read else None,
            read_by_id=soc.id if read else None)
        db.session.add(report)
        if person.first_name == "Kalle":
            db.session.flush()
            db.session.add(FollowUpComment(report_id=report.id, author_id=soc.id,
                                           text="Tack! Vi tar upp ekonomin på omprövningen."))


def _stockholm_team(org, anna, soc, today: date) -> None:
    """A second team under Stockholm's agreement: any meeting counts (4 a month, one with
    social services), acute relief counted against 14 days a year, quarterly follow-ups."""
    team = Team(organisation_id=org.id, name="Stödteam Väster (Stockholmsavtal)",
                kind="support", rules_preset="stockholm")
    db.session.add(team)
    db.session.flush()
    move_in = add_months(today.replace(day=1), -8) + timedelta(days=4)
    person = Participant(organisation_id=org.id, team_id=team.id, social_worker_id=soc.id,
                         first_name="Mikael", last_name="Öberg", phone="070-199 00 99", phase=2,
                         decision_date=move_in - timedelta(days=30),
                         review_date=move_in + timedelta(days=500))
    db.session.add(person)
    db.session.flush()
    db.session.add(StaffAssignment(participant_id=person.id, user_id=anna.id, is_primary=True))
    db.session.add(PhaseChange(participant_id=person.id, phase=2, started_on=move_in,
                               recorded_by_id=anna.id))
    housing_team = db.session.scalar(select(Team).where(Team.organisation_id == org.id,
                                                        Team.kind == "housing"))
    apartment = Apartment(organisation_id=org.id, address="Västergatan 8", city="Göteborg",
                          housing_team_id=housing_team.id if housing_team else None,
                          landlord="Bostadsbolaget", apartment_number="1301")
    db.session.add(apartment)
    db.session.flush()
    db.session.add(Contract(participant_id=person.id, apartment_id=apartment.id,
                            kind="second_hand", move_in_date=move_in, landlord="Bostadsbolaget"))
    db.session.add(Plan(participant_id=person.id, updated_by_id=anna.id))
    # Three meetings this month (one a SIP meeting), none with social services yet.
    first = today.replace(day=1)
    for offset, kind in ((0, "home_visit"), (2, "meeting"), (4, "sip")):
        day = min(first + timedelta(days=offset), today)
        _visit(person, anna, day, kind=kind)
    # Every earlier month since the move-in: four meetings, one with social services (met).
    month = add_months(first, -1)
    while month >= move_in.replace(day=1):
        for offset in (5, 10, 15, 22):
            _visit(person, anna, month + timedelta(days=offset), with_soc=offset == 10)
        month = add_months(month, -1)
    # Acute relief: 16 days this year, over Stockholm's 14.
    db.session.add(Absence(participant_id=person.id, kind="relief_acute",
                           start_date=date(today.year, 1, 3), end_date=date(today.year, 1, 18),
                           reason="Akut avlastningsplats efter kris.", recorded_by_id=anna.id))
    for number, months in ((1, 3), (2, 6)):
        db.session.add(QuarterlyFollowUp(participant_id=person.id, number=number,
                                         held_on=add_months(move_in, months),
                                         note="Uppföljning enligt planen.",
                                         recorded_by_id=soc.id))


def seed_social(org, today: date) -> None:
    """Decisions, assignments, reports, a crisis plan and the plan per SOSFS, a missed week
    with its notice to housing, the one-day rule from a Friday copy, a Stockholm team."""
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.organisation_id == org.id))}
    anna, soc = users["anna"], users["soc"]
    db.session.flush()
    people = db.session.scalars(select(Participant).where(
        Participant.organisation_id == org.id)).all()
    for person in people:
        if person.decision_date:
            _decisions(person, soc, today)
        if person.phase == 2:
            # Earlier weeks had their visits too; Maria's week five weeks back had none.
            monday = today - timedelta(days=today.weekday())
            for weeks_back in range(5, 10):
                if person.first_name == "Maria" and weeks_back == 5:
                    continue
                _visit(person, anna, monday - timedelta(weeks=weeks_back, days=-1))
    _reports(people, anna, soc, today)
    kalle = next((p for p in people if p.first_name == "Kalle"), None)
    if kalle is not None:
        db.session.add(CrisisPlan(
            participant_id=kalle.id, updated_by_id=anna.id,
            signals="Jag slutar svara i telefon och sover dåligt.",
            what_helps="En promenad, att prata med Anna, att äta ordentligt.",
            whom_to_call="Anna 070-111 22 33, jourtelefonen 031-365 00 00, syster Eva."))
        plan = db.session.scalar(select(Plan).where(Plan.participant_id == kalle.id))
        decision = db.session.scalar(select(Decision).where(
            Decision.participant_id == kalle.id, Decision.kind == "support"))
        plan.decision_id = decision.id if decision else None
        plan.participation = "Vi skrev planen tillsammans hemma hos Kalle, med hans egna ord."
        plan.agreement = "yes"
        plan.sip_on, plan.sip_note = today - timedelta(days=20), "SIP med vårdcentralen."
        for goal in db.session.scalars(select(Goal).where(Goal.plan_id == plan.id)):
            goal.how_when = "Tillsammans med Anna på tisdagarnas hembesök."
            goal.follow_up_on = today + timedelta(days=3)
    # The rättelseanmaning: the copy came on Friday afternoon; the deadline is Monday's end.
    rattelse = db.session.scalar(select(Disturbance).join(Participant).where(
        Participant.organisation_id == org.id, Disturbance.severity == "rattelse"))
    if rattelse is not None:
        friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
        rattelse.letter_sent_at = _at(friday, 9)
        rattelse.copy_received_at = _at(friday, 16)
    _stockholm_team(org, anna, soc, today)
    db.session.flush()
    from .social.missed_visits import sync_missed_visits

    people = db.session.scalars(select(Participant).where(
        Participant.organisation_id == org.id)).all()
    sync_missed_visits(people, org, today)
