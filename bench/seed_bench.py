"""Create a realistic benchmark data set on PostgreSQL (run by hand; see docs/bench.md).

    .venv/bin/python bench/seed_bench.py [--participants 1000] [--appointments 100]

Drops and recreates the schema of DATABASE_URL (default: the local `bofast_bench` database,
created if missing). Users (password `bench password 2026`, TOTP secret BENCH…23):
bench-admin, bench-staff-01…50 (5 per support team), bench-small (directly assigned to 10
participants, no team), bench-large (member of every support team: the whole caseload),
bench-soc-01…20, bench-housing-1…3, and participant logins bench-p-0001… for every 5th
participant. Bulk COPY with explicit ids, then sequences are reset.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta

from common import BENCH_PASSWORD, BENCH_TOTP, database_url, make_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEAMS = 10
STAFF_PER_TEAM = 5
SOCIAL_WORKERS = 20
FIRST = ["Kalle", "Lina", "Ahmed", "Sara", "Mikael", "Fatima", "Johan", "Eva", "Ali", "Maria",
         "Per", "Leila", "Anders", "Nora", "Omar", "Karin", "Erik", "Amina", "Lars", "Sofia"]
LAST = ["Svensson", "Andersson", "Hassan", "Nilsson", "Lind", "Ali", "Berg", "Holm", "Karlsson",
        "Johansson", "Ek", "Nyström", "Öberg", "Åberg", "Yilmaz", "Larsson", "Persson", "Lund"]
STREETS = ["Kungsgatan", "Linnégatan", "Storgatan", "Björkvägen", "Järntorget", "Vasagatan",
           "Övre Husargatan", "Majorsgatan", "Nordhemsgatan", "Bangatan"]


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def bulk(conn, table, rows) -> int:
    """COPY the rows in (Python-side defaults filled in for the columns a row lacks)."""
    if not rows:
        return 0
    count = len(rows)
    columns = list(rows[0])
    # Columns added by later migrations get their model default, so the seed keeps up with the
    # schema without listing every new column here.
    defaults = {}
    for column in table.columns:
        if column.name in columns or column.default is None:
            continue
        if column.default.is_scalar:
            defaults[column.name] = column.default.arg
        elif column.default.is_callable:
            defaults[column.name] = column.default.arg(None)
    columns += list(defaults)
    rows = ({**defaults, **row} for row in rows)
    raw = conn.connection.driver_connection  # psycopg 3
    with raw.cursor() as cursor, cursor.copy(
        f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
    return count


def seed(participants: int, per_participant: int, seed_value: int = 2026) -> dict[str, int]:
    from webapp.auth.credentials import hash_password
    from webapp.checklist_defaults import ensure_default_template
    from webapp.extensions import db
    from webapp.models import (
        Absence,
        Apartment,
        ChecklistAnswer,
        ChecklistSubmission,
        Contract,
        Disturbance,
        Goal,
        Organisation,
        Participant,
        PhaseChange,
        Plan,
        StaffAssignment,
        Step,
        Team,
        TeamMembership,
        User,
        VisitOutcome,
        utcnow,
    )
    from webapp.models import Appointment as Appt

    rng = random.Random(seed_value)
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.create_all()

    password_hash = hash_password(BENCH_PASSWORD)  # once: every bench user shares it
    org = Organisation(name="Benchkommunen", oncall_phone="020-00 00 00")
    org.apply_preset("goteborg")
    db.session.add(org)
    db.session.flush()
    template = ensure_default_template(org)
    teams = [Team(organisation_id=org.id, name=f"Team {i + 1}") for i in range(TEAMS)]
    housing_team = Team(organisation_id=org.id, name="Bostadsförvaltningen", kind="housing")
    db.session.add_all([*teams, housing_team])
    db.session.flush()

    def user(username, role, name, totp=True):
        account = User(organisation_id=org.id, username=username, display_name=name, role=role,
                       password_hash=password_hash)
        if totp:
            account.totp_secret = BENCH_TOTP
            account.totp_confirmed_at = datetime(2026, 1, 1)
        db.session.add(account)
        return account

    user("bench-admin", "admin", "Bench Admin")
    staff = [user(f"bench-staff-{i + 1:02}", "staff", f"Personal {i + 1}")
             for i in range(TEAMS * STAFF_PER_TEAM)]
    small = user("bench-small", "staff", "Liten Caseload")
    large = user("bench-large", "staff", "Stor Caseload")
    socs = [user(f"bench-soc-{i + 1:02}", "social_worker", f"Socialsekreterare {i + 1}")
            for i in range(SOCIAL_WORKERS)]
    housing = [user(f"bench-housing-{i + 1}", "housing", f"Förvaltare {i + 1}") for i in range(3)]
    p_users = {i: user(f"bench-p-{i + 1:04}", "participant", f"Deltagare {i + 1}", totp=False)
               for i in range(0, participants, 5)}
    db.session.flush()
    for i, member in enumerate(staff):
        db.session.add(TeamMembership(team_id=teams[i // STAFF_PER_TEAM].id, user_id=member.id))
    for team in teams:
        db.session.add(TeamMembership(team_id=team.id, user_id=large.id))
    for member in housing:
        db.session.add(TeamMembership(team_id=housing_team.id, user_id=member.id))
    db.session.commit()
    counts["users"] = 1 + len(staff) + 2 + len(socs) + len(housing) + len(p_users)

    today = date.today()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rows = {name: [] for name in ("participants", "phase_changes", "apartments", "contracts",
                                  "plans", "goals", "steps", "assignments", "appointments",
                                  "outcomes", "submissions", "answers", "disturbances",
                                  "absences")}
    item_keys = [item.key for item in template.items]
    appointment_id = outcome_id = submission_id = answer_id = goal_id = step_id = 0
    for i in range(participants):
        pid = i + 1
        team = teams[i % TEAMS]
        primary = staff[(i % TEAMS) * STAFF_PER_TEAM + (i // TEAMS) % STAFF_PER_TEAM]
        move_in = today - timedelta(days=rng.randint(30, 700))
        phase = rng.choice([1, 2, 2, 2, 3, 3, 4])
        rows["participants"].append(dict(
            id=pid, organisation_id=org.id, team_id=team.id,
            user_id=p_users[i].id if i in p_users else None,
            social_worker_id=socs[i % SOCIAL_WORKERS].id, first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST), pseudonym="Skyddad deltagare" if i % 97 == 0 else "",
            phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            protected_identity=i % 97 == 0, preferred_language="sv", phase=phase,
            decision_date=move_in, review_date=move_in + timedelta(days=540),
            created_at=now))
        rows["phase_changes"].append(dict(id=pid, participant_id=pid, phase=phase,
                                          started_on=move_in - timedelta(days=1), note="",
                                          created_at=now))
        rows["apartments"].append(dict(
            id=pid, organisation_id=org.id, housing_team_id=housing_team.id,
            address=f"{rng.choice(STREETS)} {rng.randint(1, 120)}", postal_code="41301",
            city="Göteborg", rooms="1 rok", landlord="Bostadsbolaget",
            apartment_number=str(1000 + pid)))
        rows["contracts"].append(dict(id=pid, participant_id=pid, apartment_id=pid,
                                      kind="second_hand", landlord="Bostadsbolaget",
                                      signed_on=move_in, move_in_date=move_in))
        rows["plans"].append(dict(id=pid, participant_id=pid, version=1, updated_at=now))
        for g in range(3):
            goal_id += 1
            rows["goals"].append(dict(id=goal_id, plan_id=pid, life_area="daily_life",
                                      own_words=f"Mål {g + 1} med egna ord", status="active",
                                      position=g, created_at=now))
            for s in range(2):
                step_id += 1
                rows["steps"].append(dict(id=step_id, goal_id=goal_id, text=f"Steg {s + 1}",
                                          who="together", who_name="", done=s == 0, position=s))
        rows["assignments"].append(dict(id=len(rows["assignments"]) + 1, participant_id=pid,
                                        user_id=primary.id, is_primary=True))
        if i < 10:
            rows["assignments"].append(dict(id=len(rows["assignments"]) + 1, participant_id=pid,
                                            user_id=small.id, is_primary=False))
        # Appointments from ~10 months back to ~2 months ahead, some today.
        for a in range(per_participant):
            appointment_id += 1
            day = -300 + (a * 360) // per_participant + rng.randint(0, 2)
            starts = now.replace(hour=rng.randint(7, 15)) + timedelta(days=day)
            rows["appointments"].append(dict(
                id=appointment_id, participant_id=pid, staff_id=primary.id, kind="home_visit",
                starts_at=starts, duration_minutes=60, location="", visible_to_participant=True,
                with_social_services=a % 10 == 0, status="booked", note="",
                created_by_id=primary.id, created_at=now, updated_at=now))
            if starts < now - timedelta(days=14):  # the last two weeks: not yet recorded
                outcome_id += 1
                rows["outcomes"].append(dict(
                    id=outcome_id, appointment_id=appointment_id, participant_id=pid,
                    outcome="done" if rng.random() < 0.9 else "not_met", note="Besök.",
                    recorded_by_id=primary.id, recorded_at=starts + timedelta(hours=1)))
        for m in range(1, 7):
            held = (today.replace(day=1) - timedelta(days=30 * m)).replace(day=15)
            submission_id += 1
            rows["submissions"].append(dict(
                id=submission_id, participant_id=pid, apartment_id=pid, template_id=template.id,
                month=held.strftime("%Y-%m"), held_on=held, present="Deltagare och personal",
                general_comment="", tenant_agrees=True, tenant_comment="",
                submitted_by_id=primary.id, submitted_at=now, version_no=1))
            for key in item_keys:
                answer_id += 1
                rows["answers"].append(dict(id=answer_id, submission_id=submission_id,
                                            item_key=key, answer="ok", remark=""))
        for d in range(3 if i % 3 == 0 else 0):
            rows["disturbances"].append(dict(
                id=len(rows["disturbances"]) + 1, participant_id=pid, apartment_id=pid,
                occurred_on=today - timedelta(days=rng.randint(1, 300)), received_at=now,
                source="neighbour", severity="minor" if d else "rattelse",
                description="Hög musik sent på kvällen.", reported_by_id=housing[0].id,
                follow_up_note="", created_at=now))
        if i % 4 == 0:
            start = today - timedelta(days=rng.randint(20, 200))
            rows["absences"].append(dict(id=len(rows["absences"]) + 1, participant_id=pid,
                                         start_date=start, end_date=start + timedelta(days=9),
                                         reason="Sjukhus", created_at=now))

    tables = [("participants", Participant), ("phase_changes", PhaseChange),
              ("apartments", Apartment), ("contracts", Contract), ("plans", Plan),
              ("goals", Goal), ("steps", Step), ("assignments", StaffAssignment),
              ("appointments", Appt), ("outcomes", VisitOutcome),
              ("submissions", ChecklistSubmission), ("answers", ChecklistAnswer),
              ("disturbances", Disturbance), ("absences", Absence)]
    with db.engine.begin() as conn:
        # Consistent by construction: skip the per-row foreign-key triggers while loading.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name, model in tables:
            counts[name] = bulk(conn, model.__table__, rows[name])
        for table in db.metadata.sorted_tables:
            if "id" in table.c:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
        conn.execute(text("ANALYZE"))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--appointments", type=int, default=100, help="per participant")
    args = parser.parse_args()
    url = database_url()
    if not url.startswith("postgresql"):
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgresql://…")
    ensure_database(url)
    app = make_app()
    started = time.perf_counter()
    with app.app_context():
        counts = seed(args.participants, args.appointments)
    print(f"Seeded {make_url(url).render_as_string(hide_password=True)} in "
          f"{time.perf_counter() - started:.1f} s:")
    for name, n in counts.items():
        print(f"  {name:14} {n:>8,}")


if __name__ == "__main__":
    main()
