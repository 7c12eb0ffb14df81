"""Migrations are a history (DESIGN §8b): a database built by the released revision, with data in
it, upgrades to head and keeps its data; the graph is one straight line from 0001.

The data is written with SQLAlchemy Core against the tables as they were at the released
revision (reflected), not with the ORM models, which move ahead of it.
"""
from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import fill_at, scratch_app, scratch_postgres
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

# The last released revision: a programme in production may run exactly this schema.
RELEASED = "0002"
MIGRATIONS = Path(__file__).resolve().parent.parent / "webapp" / "migrations"
VERSIONS = MIGRATIONS / "versions"

# Columns a later revision dropped on purpose ("table.column"); anything else must survive.
DROPPED_COLUMNS: set[str] = set()

T0 = datetime(2026, 1, 5, 9, 0)
D0 = date(2026, 1, 5)

# (table, row) in foreign-key order, every NOT NULL column of the released schema given.
ROWS: list[tuple[str, dict]] = [
    ("organisations", dict(
        id=1, name="Bostad först Testby", preset="goteborg", min_visits=1, visit_period="week",
        visits_with_social_services=0, transfer_months=12, decision_months=24,
        checklist_monthly=True, oncall_phone="010-123 45 67", created_at=T0)),
    ("teams", dict(id=1, organisation_id=1, name="Team Nord", kind="support")),
    ("teams", dict(id=2, organisation_id=1, name="Bostadsteamet", kind="housing")),
    ("users", dict(
        id=1, organisation_id=1, username="admin", display_name="Ada Admin", role="admin",
        phone="", email="admin@example.org", language="sv", password_hash="argon2-hash",
        totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed_at=T0, totp_last_step=None,
        failed_logins=0, locked_until=None, session_token="a" * 32,
        calendar_token="cal-admin", active=True, deactivated_at=None, last_login_at=T0,
        created_at=T0)),
    ("users", dict(
        id=2, organisation_id=1, username="anna", display_name="Anna Stöd", role="staff",
        phone="070-000 00 01", email="", language="sv", password_hash="argon2-hash",
        totp_secret="JBSWY3DPEHPK3PXQ", totp_confirmed_at=T0, totp_last_step=123,
        failed_logins=1, locked_until=None, session_token="b" * 32,
        calendar_token="cal-anna", active=True, deactivated_at=None, last_login_at=None,
        created_at=T0)),
    ("users", dict(
        id=3, organisation_id=1, username="kalle", display_name="Kalle", role="participant",
        phone="", email="", language="en", password_hash="argon2-hash", totp_secret=None,
        totp_confirmed_at=None, totp_last_step=None, failed_logins=0, locked_until=None,
        session_token="c" * 32, calendar_token="cal-kalle", active=True,
        deactivated_at=None, last_login_at=None, created_at=T0)),
    ("team_memberships", dict(id=1, team_id=1, user_id=2)),
    ("participants", dict(
        id=1, organisation_id=1, team_id=1, user_id=3, social_worker_id=None,
        first_name="Karl", last_name="Åberg", pseudonym="K.Å.", phone="070-000 00 02",
        protected_identity=False, preferred_language="sv", phase=2, decision_date=D0,
        review_date=None, created_at=T0)),
    ("staff_assignments", dict(id=1, participant_id=1, user_id=2, is_primary=True)),
    ("apartments", dict(
        id=1, organisation_id=1, housing_team_id=2, address="Storgatan 1", postal_code="111 22",
        city="Testby", rooms="2 rok", landlord="Bostadsbolaget", apartment_number="1101")),
    ("contracts", dict(
        id=1, participant_id=1, apartment_id=1, kind="second_hand", landlord="Bostadsbolaget",
        signed_on=D0, move_in_date=D0, ended_on=None)),
    ("appointments", dict(
        id=1, participant_id=1, staff_id=2, kind="visit", starts_at=T0, duration_minutes=45,
        location="Hemma", visible_to_participant=True, with_social_services=False,
        status="done", cancelled_at=None, note="", created_by_id=2, created_at=T0,
        updated_at=T0)),
    ("visit_outcomes", dict(
        id=1, appointment_id=1, participant_id=1, outcome="done", note="Bra besök",
        recorded_by_id=2, recorded_at=T0, idempotency_key="visit-key-1")),
    ("notes", dict(id=1, participant_id=1, author_id=2, text="Anteckning", created_at=T0)),
    ("plans", dict(id=1, participant_id=1, version=1, follow_up_date=D0, updated_by_id=2,
                   updated_at=T0)),
    ("goals", dict(id=1, plan_id=1, life_area="housing", own_words="Bo kvar", status="active",
                   position=0, created_at=T0)),
    ("steps", dict(id=1, goal_id=1, text="Betala hyran", who="participant", who_name="",
                   due_date=D0, done=False, done_at=None, done_by_id=None, position=0,
                   dropped_at=None)),
    ("checklist_templates", dict(id=1, organisation_id=1, version=1,
                                 title="Genomgång av lägenhetens skötsel", active=True,
                                 created_by_id=1, created_at=T0)),
    ("checklist_items", dict(id=1, template_id=1, section="Kök", key="kitchen_clean",
                             text="Köket är rent", position=0)),
    ("checklist_submissions", dict(
        id=1, participant_id=1, apartment_id=1, template_id=1, month="2026-01", held_on=D0,
        present="Kalle, Anna", general_comment="", tenant_agrees=True, tenant_comment="",
        submitted_by_id=2, submitted_at=T0, idempotency_key="checklist-key-1",
        supersedes_id=None, version_no=1)),
    ("checklist_answers", dict(id=1, submission_id=1, item_key="kitchen_clean", answer="ok",
                               remark="")),
    ("reminders", dict(
        id=1, user_id=3, appointment_id=1, kind="evening_before", dedupe_key="r-1",
        due_at=T0, expires_at=None, title="Besök i morgon", body="Kl 09:00", url="/me/home",
        status="sent", attempts=1, next_attempt_at=None, claimed_at=None, claimed_by="",
        sent_at=T0, created_at=T0)),
    ("audit_events", dict(
        id=1, at=T0, user_id=2, role="staff", action="read", object_type="participant",
        object_id=1, participant_id=1, path="/participants/1", detail="", ip="192.0.2.1")),
    ("audit_events", dict(
        id=2, at=T0, user_id=1, role="admin", action="create", object_type="user",
        object_id=3, participant_id=None, path="/admin/users", detail="", ip="192.0.2.2")),
]


def _released_database_upgraded_to_head(url: str) -> None:
    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade()
        head = MetaData()
        head.reflect(db.engine)
        with db.engine.connect() as conn:
            for table, row in ROWS:
                assert table in head.tables, f"table {table} vanished on upgrade"
                t = head.tables[table]
                stored = conn.execute(select(t).where(t.c.id == row["id"])).mappings().one()
                for column, value in row.items():
                    if f"{table}.{column}" in DROPPED_COLUMNS:
                        continue
                    assert column in t.c, f"{table}.{column} vanished on upgrade"
                    assert stored[column] == value, f"{table}.{column} changed on upgrade"
        # The audit log is still append-only after the upgrade.
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        _check_app_reads_upgraded_data()


def _check_app_reads_upgraded_data() -> None:
    """The current models load every old row, and new rows get fresh ids."""
    from webapp.models import AuditEvent, ChecklistSubmission, Participant, User

    participant = db.session.get(Participant, 1)
    assert participant.last_name == "Åberg"
    assert {u.username for u in db.session.scalars(select(User))} == {"admin", "anna", "kalle"}
    submission = db.session.get(ChecklistSubmission, 1)
    assert submission.month == "2026-01"
    for model in db.Model.registry.mappers:
        db.session.scalars(select(model.class_)).all()  # every column of every model loads
    db.session.add(AuditEvent(role="admin", action="read", object_type="user", object_id=1,
                              path="/", detail="", ip="192.0.2.3"))
    db.session.commit()
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == 3
    db.session.remove()


def test_released_sqlite_database_upgrades_with_its_data(tmp_path):
    _released_database_upgraded_to_head(f"sqlite:///{tmp_path / 'released.sqlite'}")


@pytest.mark.postgres
def test_released_postgresql_database_upgrades_with_its_data():
    with scratch_postgres("bofast_hist") as url:
        _released_database_upgraded_to_head(url)


def _script_directory() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_migration_graph_has_one_head():
    heads = _script_directory().get_heads()
    assert len(heads) == 1, f"several heads {heads}: chain the new revision after the last one"


def _revision_ids(path: Path) -> tuple[str, str | None]:
    """(revision, down_revision) as written in the file, without importing it."""
    values = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(node.value)
    return values["revision"], values["down_revision"]


def test_revisions_form_one_line_from_0001():
    down_of = dict(_revision_ids(path) for path in VERSIONS.glob("*.py"))
    roots = [rev for rev, down in down_of.items() if down is None]
    assert roots == ["0001"], f"the history must start at 0001 alone, roots: {roots}"
    children: dict[str, list[str]] = {}
    for rev, down in down_of.items():
        assert not isinstance(down, tuple | list), f"{rev} is a merge revision"
        if down is not None:
            assert down in down_of, f"{rev} follows unknown revision {down}"
            children.setdefault(down, []).append(rev)
    line, rev = ["0001"], "0001"
    while rev in children:
        assert len(children[rev]) == 1, f"{rev} has several successors: {children[rev]}"
        rev = children[rev][0]
        line.append(rev)
    assert len(line) == len(down_of), f"revisions not on the line from 0001: {down_of}"
    assert line[:2] == ["0001", RELEASED]


def test_released_migrations_import_no_app_code():
    for path in sorted(VERSIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("webapp"), f"{path.name} imports app code"
            elif isinstance(node, ast.Import):
                assert all(not a.name.startswith("webapp") for a in node.names), path.name


def test_0002_runs_exactly_the_statements_it_was_released_with():
    """0002 was changed once, on issue 12's request, only to inline its SQL instead of importing
    it from the app: the statements are the ones the released version ran (the app's)."""
    import importlib.util

    from tests.conftest import repo_root
    from webapp.models.audit import APPEND_ONLY_POSTGRESQL, APPEND_ONLY_SQLITE

    path = repo_root() / "webapp/migrations/versions/0002_audit_append_only.py"
    spec = importlib.util.spec_from_file_location("released_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.APPEND_ONLY_SQLITE == APPEND_ONLY_SQLITE
    assert module.APPEND_ONLY_POSTGRESQL == APPEND_ONLY_POSTGRESQL
    assert (module.revision, module.down_revision) == ("0002", "0001")
