"""Migration 0004 upgrades a database with data: version 1 checklists stay, version 2 is added."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from tests.conftest import scratch_app, scratch_postgres
from webapp.extensions import db

pytestmark = pytest.mark.db_independent


def test_checklist_v2_migration_adds_version_2_on_sqlite(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'm.sqlite'}")


@pytest.mark.postgres
def test_checklist_v2_migration_adds_version_2_on_postgresql():
    with scratch_postgres("bofast_migr7") as url:
        _upgrade_with_data(url)


def _upgrade_with_data(url):
    with scratch_app(url) as app:
        v1 = json.loads((Path(app.root_path) / "checklist_v1.json").read_text(encoding="utf-8"))
        upgrade(revision="0002")
        # Plain SQL at revision 0002 (the models may be ahead of it).
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO organisations (id, name, preset, min_visits, visit_period, "
                "visits_with_social_services, transfer_months, decision_months, "
                "checklist_monthly, oncall_phone, created_at) "
                "VALUES (1, 'Org', 'goteborg', 1, 'week', 0, 18, 18, true, '1', '2026-01-01')"))
            # No explicit id: on PostgreSQL the sequence must hand out the ids, as in real data.
            conn.execute(text(
                "INSERT INTO checklist_templates (organisation_id, version, title, active, "
                "created_at) VALUES (1, 1, :title, true, '2026-01-01')"),
                {"title": v1["title"]})
            template_id = conn.execute(text(
                "SELECT id FROM checklist_templates WHERE version = 1")).scalar()
            for position, item in enumerate(v1["items"]):
                conn.execute(text(
                    "INSERT INTO checklist_items (template_id, section, key, text, position) "
                    "VALUES (:t, :section, :key, :text, :position)"),
                    {**item, "position": position, "t": template_id})
        upgrade()
        with db.engine.connect() as conn:
            versions = conn.execute(text(
                "SELECT version, (SELECT count(*) FROM checklist_items i "
                "WHERE i.template_id = t.id)"
                " FROM checklist_templates t ORDER BY version")).all()
            keys = conn.execute(text(
                "SELECT key FROM checklist_items i JOIN checklist_templates t "
                "ON t.id = i.template_id WHERE t.version = 2 ORDER BY position")).scalars().all()
    shipped = [item["key"] for item in json.loads(
        (Path(app.root_path) / "checklist_v2.json").read_text(encoding="utf-8"))["items"]]
    assert [tuple(v) for v in versions] == [(1, 22), (2, 27)]
    assert keys == shipped  # the migration and the shipped data agree
