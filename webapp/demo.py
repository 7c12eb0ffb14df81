"""The demo organisation of DESIGN §10 (`flask --app webapp seed-demo`, idempotent)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .auth.credentials import hash_password
from .checklist_defaults import ensure_checklist_v2, ensure_default_template
from .demo_install import seed_install_demo
from .demo_phone import seed_followups
from .demo_social import seed_social
from .demo_tenancy import seed_tenancy
from .extensions import db
from .models import (
    Absence,
    Apartment,
    Appointment,
    ChecklistAnswer,
    ChecklistSubmission,
    Consent,
    Contract,
    Disturbance,
    Goal,
    HousingNotice,
    OpenSupportContact,
    Organisation,
    Participant,
    PhaseChange,
    Plan,
    ReserveKey,
    StaffAssignment,
    Step,
    Team,
    TeamMembership,
    User,
    VisitOutcome,
    utcnow,
)
from .timeutil import local_today, month_key, to_utc

DEMO_ORG = "Bostad först Göteborg (demo)"
DEMO_PASSWORD = "bofast-demo"
DEMO_TOTP = "BOFASTDEMOBOFASTDEMOBOFASTDEMO23"
DEMO_LOGINS = [
    ("admin", "administratör / samordnare"),
    ("anna", "stödpersonal"),
    ("soc", "socialsekreterare"),
    ("bostad", "bostadsförvaltning"),
    ("kalle", "deltagare"),
]


def _user(org, username, name, role, phone="", totp=True) -> User:
    user = User(organisation_id=org.id, username=username, display_name=name, role=role,
                phone=phone, password_hash=hash_password(DEMO_PASSWORD))
    if totp and role != "participant":
        user.totp_secret = DEMO_TOTP
        user.totp_confirmed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day, hour, minute))


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


# (first, last, phase, months housed, protected, extra)
PEOPLE = [
    ("Kalle", "Svensson", 2, 7, False, "kalle"),
    ("Maria", "Lind", 2, 14, False, "no_visit"),
    ("Ahmed", "Hassan", 2, 5, False, "rattelse"),
    ("Sara", "Nilsson", 2, 11, True, "protected"),
    ("Jonas", "Berg", 2, 17, False, "missing_checklist"),
    ("Lena", "Holm", 2, 3, False, "absence"),
    ("Peter", "Ek", 1, 0, False, "move_in_soon"),
    ("Nadia", "Rahimi", 1, 0, False, "planning"),
    ("Olle", "Strand", 3, 22, False, ""),
    ("Fatima", "Ali", 3, 26, False, "review_due"),
    ("Bengt", "Sjöberg", 4, 40, False, ""),
    ("Eva", "Dahl", 4, 35, False, ""),
]


def seed_demo() -> bool:
    """Create the demo; return False if it already exists (idempotent)."""
    if db.session.scalar(db.select(Organisation).where(Organisation.name == DEMO_ORG)):
        return False
    today = local_today()
    org = Organisation(name=DEMO_ORG, oncall_phone="031-365 00 00")
    org.apply_preset("goteborg")
    db.session.add(org)
    db.session.flush()
    support = Team(organisation_id=org.id, name="Stödteam Centrum", kind="support")
    housing = Team(organisation_id=org.id, name="Bostadsförvaltningen", kind="housing")
    db.session.add_all([support, housing])
    db.session.add_all([
        OpenSupportContact(organisation_id=org.id, kind="phone", label="Öppna stödet, telefon",
                           phone="031-365 12 34", hours="Vardagar 9–16", position=0),
        OpenSupportContact(organisation_id=org.id, kind="dropin", label="Drop-in i mötesrummet",
                           hours="Tisdagar och torsdagar 13–15", address="Kungsgatan 12, Göteborg",
                           position=1),
        OpenSupportContact(organisation_id=org.id, kind="office", label="Stödpersonalens kontor",
                           address="Kungsgatan 12, 2 tr, Göteborg", phone="031-365 12 00",
                           hours="Vardagar 8–17", position=2),
    ])
    db.session.flush()
    template = ensure_default_template(org)
    seed_install_demo(org)

    _user(org, "admin", "Maja Admin", "admin")
    anna = _user(org, "anna", "Anna Andersson", "staff", phone="070-111 22 33")
    erik = _user(org, "erik", "Erik Eriksson", "staff", phone="070-444 55 66")
    soc = _user(org, "soc", "Sofia Socialsekreterare", "social_worker", phone="031-365 00 10")
    bostad = _user(org, "bostad", "Bo Bostadsförvaltare", "housing", phone="031-365 00 20")
    for user, team in ((anna, support), (erik, support), (bostad, housing)):
        db.session.add(TeamMembership(user_id=user.id, team_id=team.id))

    for index, (first, last, phase, months, protected, extra) in enumerate(PEOPLE):
        participant = Participant(
            organisation_id=org.id, team_id=support.id, social_worker_id=soc.id,
            first_name=first, last_name=last, phone=f"070-{100 + index:03d} 00 {index:02d}",
            protected_identity=protected, pseudonym="Deltagare S" if protected else "",
            phase=phase,
        )
        db.session.add(participant)
        db.session.flush()
        db.session.add(StaffAssignment(participant_id=participant.id, user_id=anna.id,
                                       is_primary=True))
        move_in = _month_start(today, months) + timedelta(days=9) if phase > 1 else (
            today + timedelta(days=10 if extra == "move_in_soon" else 45))
        decision = move_in - timedelta(days=40)
        participant.decision_date = decision
        participant.review_date = decision + timedelta(days=548)
        if extra == "review_due":
            participant.review_date = today + timedelta(days=20)
        _phases(participant, phase, move_in, anna)
        apartment = Apartment(
            organisation_id=org.id, housing_team_id=housing.id,
            address=f"{['Storgatan', 'Linnégatan', 'Vasagatan', 'Övre Husargatan'][index % 4]} "
                    f"{index + 3}", postal_code=f"41{index:03d}", city="Göteborg",
            rooms="1 rum och kök", landlord="Bostadsbolaget", apartment_number=f"{1101 + index}",
        )
        db.session.add(apartment)
        db.session.flush()
        db.session.add(Contract(
            participant_id=participant.id, apartment_id=apartment.id,
            kind="first_hand" if phase >= 3 else "second_hand", landlord="Bostadsbolaget",
            signed_on=move_in - timedelta(days=7), move_in_date=move_in,
        ))
        db.session.add(Consent(participant_id=participant.id, given_on=decision,
                               scope="Socialtjänst, stödpersonal, bostadsförvaltning, hyresvärd",
                               recorded_by_id=anna.id))
        db.session.add(ReserveKey(participant_id=participant.id, spare_key_at_office=index % 2 == 0,
                                  conditions="Används bara efter överenskommelse med deltagaren.",
                                  entrance_access=True, updated_by_id=anna.id))
        _plan(participant, index, anna)
        if phase == 2:
            _visits(participant, today, anna, skip_this_week=extra == "no_visit")
            _checklists(participant, apartment, template, today, anna,
                        skip_last=extra == "missing_checklist")
        if extra == "kalle":
            kalle = _user(org, "kalle", "Kalle Svensson", "participant", totp=False)
            participant.user_id = kalle.id
            _upcoming(participant, today, anna)
        if extra == "rattelse":
            db.session.add(Disturbance(
                participant_id=participant.id, apartment_id=apartment.id,
                occurred_on=today - timedelta(days=3), received_at=utcnow() - timedelta(days=2),
                source="landlord", severity="rattelse", reported_by_id=bostad.id,
                description="Rättelseanmaning från hyresvärden: hög musik sent på kvällen.",
            ))
        if extra == "no_visit":
            # Staff could not meet her at home: housing administration is told (DESIGN §1).
            db.session.add(HousingNotice(participant_id=participant.id,
                                         apartment_id=apartment.id,
                                         occurred_on=utcnow() - timedelta(days=1)))
        if extra == "absence":
            db.session.add(Absence(participant_id=participant.id,
                                   start_date=today - timedelta(days=40),
                                   end_date=today - timedelta(days=30),
                                   reason="Vårdades på sjukhus.", recorded_by_id=anna.id))
        if extra == "planning":
            db.session.add(Appointment(
                participant_id=participant.id, staff_id=erik.id, kind="viewing",
                starts_at=_at(today + timedelta(days=1), 13), location="Linnégatan 40",
                created_by_id=erik.id))
    _more_visits_today(org, today, anna)
    seed_tenancy(org)
    ensure_checklist_v2(org)  # after the past checklists: they keep version 1
    seed_followups()
    seed_social(org, today)
    db.session.commit()
    return True


def _phases(participant, phase, move_in, by):
    starts = {1: move_in - timedelta(days=42), 2: move_in, 3: move_in + timedelta(days=548),
              4: move_in + timedelta(days=900)}
    for number in range(1, phase + 1):
        db.session.add(PhaseChange(participant_id=participant.id, phase=number,
                                   started_on=starts[number], recorded_by_id=by.id))


def _plan(participant, index, by):
    plan = Plan(participant_id=participant.id, version=1, updated_by_id=by.id,
                follow_up_date=local_today() + timedelta(days=30 + index))
    db.session.add(plan)
    db.session.flush()
    goals = [
        ("housing", "Jag vill ha det hemtrevligt och kunna bjuda hem min syster.",
         [("Köpa gardiner och en lampa", "together"), ("Ringa syster och bestämma dag",
                                                       "participant")]),
        ("economy", "Jag vill ha koll på räkningarna så att hyran alltid är betald.",
         [("Sätta upp autogiro för hyran", "together"),
          ("Boka tid hos budget- och skuldrådgivningen", "staff")]),
    ]
    for position, (area, words, steps) in enumerate(goals):
        goal = Goal(plan_id=plan.id, life_area=area, own_words=words, position=position)
        db.session.add(goal)
        db.session.flush()
        for step_pos, (text, who) in enumerate(steps):
            db.session.add(Step(goal_id=goal.id, text=text, who=who, position=step_pos,
                                who_name="Anna" if who != "participant" else "",
                                due_date=local_today() + timedelta(days=7 * (step_pos + 1))))


def _visits(participant, today, staff, skip_this_week):
    """Past weekly home visits with outcomes; optionally none yet this ISO week."""
    monday = today - timedelta(days=today.weekday())
    for weeks_back in range(1, 5):
        day = monday - timedelta(weeks=weeks_back) + timedelta(days=1)
        appointment = Appointment(participant_id=participant.id, staff_id=staff.id,
                                  kind="home_visit", starts_at=_at(day, 10),
                                  location="Hemma hos deltagaren", created_by_id=staff.id)
        db.session.add(appointment)
        db.session.flush()
        db.session.add(VisitOutcome(appointment_id=appointment.id, participant_id=participant.id,
                                    outcome="done", note="Besök genomfört.",
                                    recorded_by_id=staff.id, recorded_at=_at(day, 11)))
    if not skip_this_week and today.weekday() > 0:
        appointment = Appointment(participant_id=participant.id, staff_id=staff.id,
                                  kind="home_visit", starts_at=_at(monday, 9),
                                  location="Hemma hos deltagaren", created_by_id=staff.id)
        db.session.add(appointment)
        db.session.flush()
        db.session.add(VisitOutcome(appointment_id=appointment.id, participant_id=participant.id,
                                    outcome="done", note="Besök genomfört.",
                                    recorded_by_id=staff.id, recorded_at=_at(monday, 10)))


def _checklists(participant, apartment, template, today, staff, skip_last):
    for back in (3, 2, 1):
        if skip_last and back == 1:
            continue
        held = _month_start(today, back) + timedelta(days=14)
        submission = ChecklistSubmission(
            participant_id=participant.id, apartment_id=apartment.id, template_id=template.id,
            month=month_key(held), held_on=held, present="Hyresgästen och stödpersonal",
            general_comment="Genomgången gjordes tillsammans.", tenant_agrees=True,
            submitted_by_id=staff.id, submitted_at=_at(held, 15),
        )
        db.session.add(submission)
        db.session.flush()
        for item in template.items:
            remark = item.key == "damp_none" and back == 2
            db.session.add(ChecklistAnswer(
                submission_id=submission.id, item_key=item.key,
                answer="remark" if remark else "ok",
                remark="Lite fukt under fönstret i sovrummet, felanmält." if remark else "",
            ))


def _upcoming(participant, today, staff):
    db.session.add_all([
        Appointment(participant_id=participant.id, staff_id=staff.id, kind="home_visit",
                    starts_at=_at(today, 14), location="", created_by_id=staff.id),
        Appointment(participant_id=participant.id, staff_id=staff.id, kind="healthcare",
                    starts_at=_at(today + timedelta(days=1), 10),
                    location="Vårdcentralen Centrum", created_by_id=staff.id),
        Appointment(participant_id=participant.id, staff_id=staff.id, kind="meeting",
                    starts_at=_at(today + timedelta(days=1), 15), location="Kontoret",
                    visible_to_participant=False, note="Internt möte om stödet.",
                    created_by_id=staff.id),
    ])


def _more_visits_today(org, today, staff):
    """A few more of today's visits, so the staff "Idag" list looks like a real day."""
    db.session.flush()
    people = {p.first_name: p for p in db.session.scalars(
        db.select(Participant).where(Participant.organisation_id == org.id))}
    for first, hour, kind, place in (("Ahmed", 9, "home_visit", "Hemma hos deltagaren"),
                                     ("Maria", 11, "home_visit", "Hemma hos deltagaren"),
                                     ("Sara", 16, "phone", "")):
        db.session.add(Appointment(participant_id=people[first].id, staff_id=staff.id, kind=kind,
                                   starts_at=_at(today, hour), location=place,
                                   created_by_id=staff.id))
