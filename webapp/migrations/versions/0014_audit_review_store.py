"""The monthly log review, stored (issue 17): what the review works out from a month's events
alone (flags for refusals, night and bursts; the readers' (worker, participant) pairs; the
sample's candidates), kept per organisation and month and brought up to date with the events
added since, so a view no longer reads the whole month's log. Empty after the upgrade: the
first view of a month fills it from the log.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 16:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _key(*extra):
    return [
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *extra,
    ]


def upgrade():
    op.create_table(
        "audit_review_months",
        *_key(sa.Column("rules", sa.String(length=40), nullable=False),
              sa.Column("upto_id", sa.Integer(), nullable=False),
              sa.Column("events", sa.Integer(), nullable=False),
              sa.Column("with_user", sa.Integer(), nullable=False),
              sa.Column("seen_id", sa.Integer(), nullable=False),
              sa.Column("seen_count", sa.Integer(), nullable=False)),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_audit_review_months_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "month", name=op.f("pk_audit_review_months")),
    )
    op.create_table(
        "audit_review_flags",
        *_key(sa.Column("audit_event_id", sa.Integer(), nullable=False),
              sa.Column("at_local", sa.DateTime(), nullable=False),
              sa.Column("user_id", sa.Integer(), nullable=True),
              sa.Column("flags", sa.String(length=100), nullable=False)),
        sa.ForeignKeyConstraint(["audit_event_id"], ["audit_events.id"],
                                name=op.f("fk_audit_review_flags_audit_event_id_audit_events")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_audit_review_flags_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "month", "audit_event_id",
                                name=op.f("pk_audit_review_flags")),
    )
    op.create_table(
        "audit_review_reads",
        *_key(sa.Column("user_id", sa.Integer(), nullable=False),
              sa.Column("participant_id", sa.Integer(), nullable=False)),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_audit_review_reads_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "month", "user_id", "participant_id",
                                name=op.f("pk_audit_review_reads")),
    )
    op.create_table(
        "audit_review_candidates",
        *_key(sa.Column("audit_event_id", sa.Integer(), nullable=False),
              sa.Column("sample_key", sa.BigInteger(), nullable=False),
              sa.Column("at_local", sa.DateTime(), nullable=False)),
        sa.ForeignKeyConstraint(
            ["audit_event_id"], ["audit_events.id"],
            name=op.f("fk_audit_review_candidates_audit_event_id_audit_events")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_audit_review_candidates_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "month", "audit_event_id",
                                name=op.f("pk_audit_review_candidates")),
    )


def downgrade():
    for table in ("audit_review_candidates", "audit_review_reads", "audit_review_flags",
                  "audit_review_months"):
        op.drop_table(table)
