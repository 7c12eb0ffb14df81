"""Security and data safety (issue 13): idempotency fingerprints, sign-in throttling per
username and client, must-change temporary passwords, masked names on protected logins.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
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
    # Adding a column is a plain ALTER on SQLite too; copying `users` (batch "recreate") would
    # trip the foreign keys that point at it.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Logins issued before the fix carried a protected participant's real name (issue 13.2).
    op.execute(sa.text("""
        UPDATE users SET display_name = (
            SELECT CASE WHEN p.pseudonym IS NOT NULL AND p.pseudonym <> '' THEN p.pseudonym
                        ELSE 'Skyddad #' || CAST(p.id AS VARCHAR(20)) END
            FROM participants p WHERE p.user_id = users.id AND p.protected_identity = :yes)
        WHERE id IN (SELECT user_id FROM participants
                     WHERE protected_identity = :yes AND user_id IS NOT NULL)
    """).bindparams(yes=True))
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index(batch.f("ix_login_throttles_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("idempotency_records", recreate="never") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    op.drop_table("login_throttles")
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("request_hash")
