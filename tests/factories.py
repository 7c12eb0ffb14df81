"""Test data factories: small functions that add rows and return them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from webapp.auth.credentials import hash_password
from webapp.checklist_defaults import ensure_default_template
from webapp.extensions import db
from webapp.models import (
    Apartment,
    Appointment,
    Contract,
    Organisation,
    Participant,
    PhaseChange,
    Plan,
    StaffAssignment,
    Team,
    TeamMembership,
    User,
)
from webapp.timeutil import local_today

PASSWORD = "correct horse battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_org(name="Testkommunen", preset="goteborg") -> Organisation:
    org = Organisation(name=name, oncall_phone="020-00 00 00")
    org.apply_preset(preset)
    db.session.add(org)
    db.session.flush()
    return org


def make_team(org, name="Team A", kind="support") -> Team:
    team = Team(organisation_id=org.id, name=name, kind=kind)
    db.session.add(team)
    db.session.flush()
    return team


def make_user(org, role, username=None, teams=(), totp=True, password=PASSWORD, **kw) -> User:
    username = username or f"{role}{db.session.query(User).count() + 1}"
    user = User(organisation_id=org.id, username=username, role=role,
                display_name=kw.pop("display_name", username.title()),
                password_hash=hash_password(password), **kw)
    if totp and role != "participant":
        user.totp_secret = TOTP_SECRET
        user.totp_confirmed_at = datetime(2026, 1, 1)
    db.session.add(user)
    db.session.flush()
    for team in teams:
        db.session.add(TeamMembership(team_id=team.id, user_id=user.id))
    db.session.flush()
    return user


def make_participant(org, team, first="Test", last="Person", phase=2, social_worker=None,
                     user=None, protected=False, assigned=(), housing_team=None,
                     move_in=date(2026, 1, 10), **kw) -> Participant:
    participant = Participant(
        organisation_id=org.id, team_id=team.id, first_name=first, last_name=last, phase=phase,
        social_worker_id=social_worker.id if social_worker else None,
        user_id=user.id if user else None, protected_identity=protected,
        pseudonym="Skyddad deltagare" if protected else "", **kw,
    )
    db.session.add(participant)
    db.session.flush()
    db.session.add(PhaseChange(participant_id=participant.id, phase=phase,
                               started_on=move_in - timedelta(days=1)))
    for staff in assigned:
        db.session.add(StaffAssignment(participant_id=participant.id, user_id=staff.id))
    apartment = Apartment(organisation_id=org.id, address=f"{last}gatan 1", city="Göteborg",
                          housing_team_id=housing_team.id if housing_team else None)
    db.session.add(apartment)
    db.session.flush()
    db.session.add(Contract(participant_id=participant.id, apartment_id=apartment.id,
                            kind="second_hand", move_in_date=move_in))
    db.session.add(Plan(participant_id=participant.id))
    db.session.flush()
    return participant


def make_appointment(participant, staff, starts_at: datetime, **kw) -> Appointment:
    appointment = Appointment(participant_id=participant.id, staff_id=staff.id,
                              starts_at=starts_at, created_by_id=staff.id, **kw)
    db.session.add(appointment)
    db.session.flush()
    return appointment


@dataclass
class World:
    org: Organisation
    team: Team
    other_team: Team
    housing_team: Team
    users: dict[str, User] = field(default_factory=dict)
    participant: Participant | None = None  # in every role's scope; linked to users["participant"]
    other: Participant | None = None  # another team's, another social worker's, no housing


def build_world() -> World:
    org = make_org()
    team, other_team = make_team(org, "Team A"), make_team(org, "Team B")
    housing_team = make_team(org, "Bostad", kind="housing")
    world = World(org=org, team=team, other_team=other_team, housing_team=housing_team)
    world.users = {
        "staff": make_user(org, "staff", "staff", teams=[team]),
        "social_worker": make_user(org, "social_worker", "soc"),
        "housing": make_user(org, "housing", "housing", teams=[housing_team]),
        "admin": make_user(org, "admin", "admin"),
        "participant": make_user(org, "participant", "deltagare", totp=False),
        "other_staff": make_user(org, "staff", "otherstaff", teams=[other_team]),
        "other_participant": make_user(org, "participant", "annan", totp=False),
    }
    ensure_default_template(org)
    world.participant = make_participant(
        org, team, "Kalle", "Svensson", social_worker=world.users["social_worker"],
        user=world.users["participant"], housing_team=housing_team,
        assigned=[world.users["staff"]],
    )
    world.other = make_participant(org, other_team, "Olle", "Annan",
                                   user=world.users["other_participant"])
    db.session.commit()
    return world


def make_checklist(participant, staff, held_on: date, answers: dict | None = None,
                   supersedes=None, submitted_at: datetime | None = None, **kw):
    """A stored checklist on the organisation's newest template; every item 'ok' unless given.

    `answers` maps item key -> "ok" | "na" | ("remark", "text").
    """
    from webapp.models import (
        ChecklistAnswer,
        ChecklistSubmission,
        ChecklistTemplate,
        Contract,
    )

    template = db.session.scalar(
        db.select(ChecklistTemplate)
        .where(ChecklistTemplate.organisation_id == participant.organisation_id)
        .order_by(ChecklistTemplate.version.desc()))
    apartment_id = db.session.scalar(db.select(Contract.apartment_id).where(
        Contract.participant_id == participant.id, Contract.ended_on.is_(None)))
    submission = ChecklistSubmission(
        participant_id=participant.id, apartment_id=apartment_id, template_id=template.id,
        month=f"{held_on.year:04d}-{held_on.month:02d}", held_on=held_on, present="Båda",
        tenant_agrees=True, submitted_by_id=staff.id,
        supersedes_id=supersedes.id if supersedes else None,
        version_no=supersedes.version_no + 1 if supersedes else 1,
        submitted_at=submitted_at or datetime(held_on.year, held_on.month, held_on.day, 12), **kw)
    db.session.add(submission)
    db.session.flush()
    for item in template.items:
        value = (answers or {}).get(item.key, "ok")
        answer, remark = value if isinstance(value, tuple) else (value, "")
        db.session.add(ChecklistAnswer(submission_id=submission.id, item_key=item.key,
                                       answer=answer, remark=remark))
    db.session.flush()
    return submission
# --- staff-core: appointments at local times, outcomes, disturbances, checklists ----------------

def local_at(day: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC for a local (Europe/Stockholm) wall-clock time, as the app stores it."""
    from webapp.timeutil import to_utc

    return to_utc(datetime(day.year, day.month, day.day, hour, minute))


def make_outcome(appointment, staff, outcome="done", **kw):
    from webapp.models import VisitOutcome

    row = VisitOutcome(appointment_id=appointment.id, participant_id=appointment.participant_id,
                       outcome=outcome, recorded_by_id=staff.id, **kw)
    db.session.add(row)
    db.session.flush()
    return row


def make_disturbance(participant, severity="rattelse", received_at=None, **kw):
    from webapp.models import Disturbance, utcnow

    row = Disturbance(participant_id=participant.id, occurred_on=local_today(), source="landlord",
                      severity=severity, received_at=received_at or utcnow(), **kw)
    db.session.add(row)
    db.session.flush()
    return row


def make_checklist_submission(participant, staff, month: str):
    from webapp.models import ChecklistSubmission, ChecklistTemplate

    template = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == participant.organisation_id))
    row = ChecklistSubmission(participant_id=participant.id, template_id=template.id, month=month,
                              held_on=date(int(month[:4]), int(month[5:]), 1),
                              submitted_by_id=staff.id, tenant_agrees=True)
    db.session.add(row)
    db.session.flush()
    return row
