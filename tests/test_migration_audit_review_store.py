"""Migration 0014 (issue 17): a database with audit events upgrades to the stored log review's
tables; the first view of a month fills them from the log, and shows what the log holds."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, T0, _script_directory
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

TABLES = {"audit_review_months", "audit_review_flags", "audit_review_reads",
          "audit_review_candidates"}


def _upgrade_with_data(url: str) -> None:
    from webapp.admin.audit_review_store import month_review
    from webapp.models import AuditReviewMonth, AuditReviewRead
    from webapp.timeutil import to_local

    with scratch_app(url) as app:
        fill_at(RELEASED, ROWS)
        upgrade(revision="0013")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        month = to_local(T0).date().replace(day=1)
        with app.test_request_context():
            review = month_review(1, month)
        # The staff member's read of participant 1 (the admin's event is about no participant).
        assert review.total == 1 and [e.id for e in review.sample] == [1]
        assert db.session.get(AuditReviewMonth, (1, month)).upto_id == 1
        assert db.session.scalar(select(func.count()).select_from(AuditReviewRead)) == 1
        db.session.remove()
        downgrade(revision=_script_directory().get_revision("0014").down_revision)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade()


def test_0014_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-review-store.sqlite'}")


@pytest.mark.postgres
def test_0014_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_ars") as url:
        _upgrade_with_data(url)
