"""Security and data safety (issue 13): idempotency fingerprints, push claim stamps, login
throttling per account and client, temporary passwords.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("key", name=op.f("uq_login_throttles_key")),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index(batch.f("ix_login_throttles_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("idempotency_records") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    op.drop_table("login_throttles")
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("request_hash")
