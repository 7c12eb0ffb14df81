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
    with op.batch_alter_table("idempotency_records") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("request_hash")
