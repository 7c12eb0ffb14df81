"""Checklist version 2: follow-ups on remarks, and the default template's version 2.

Adds åtgärd / ansvarig / klart senast to checklist answers, a table of follow-ups marked done,
and, for every organisation still on the shipped version 1, version 2 (CHECKLIST.md: five new
items, each at the end of its section). Submissions keep the version they were filled on.

Revision ID: 0004
Revises: 0003
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here (a migration is history): the items version 2 adds, per section.
V2_ITEMS = [
    ("Hyra och avtal", "home_insurance", "Hemförsäkringen gäller"),
    ("Kök", "cooker_hood", "Köksfläkten och dess filter är rena"),
    ("Säkerhet", "no_diy_electrics", "Inga egna ändringar av el, vatten eller lås"),
    ("Boende i övrigt", "pets_ok", "Husdjur sköts enligt avtalet (eller finns inte)"),
    ("Gemensamma utrymmen", "balcony_ok",
     "Balkongen är i ordning (inget som ramlar ner, ingen grillning med öppen eld, "
     "snö bortskottad)"),
]


def upgrade():
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followup_action", sa.Text(), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("followup_owner", sa.String(length=20), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("followup_due", sa.Date(), nullable=True))
    op.create_table(
        "checklist_followups_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["checklist_answers.id"],
                                name=op.f("fk_checklist_followups_done_answer_id_checklist_answers")),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"],
                                name=op.f("fk_checklist_followups_done_done_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_followups_done")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_checklist_followups_done_answer_id")),
    )
    _add_version_2()


def _add_version_2():
    bind = op.get_bind()
    templates = sa.table("checklist_templates", sa.column("id"), sa.column("organisation_id"),
                         sa.column("version"), sa.column("title"), sa.column("active"),
                         sa.column("created_by_id"), sa.column("created_at"))
    items = sa.table("checklist_items", sa.column("template_id"), sa.column("section"),
                     sa.column("key"), sa.column("text"), sa.column("position"))
    newest = bind.execute(sa.text(
        "SELECT t.id, t.organisation_id, t.title FROM checklist_templates t "
        "WHERE t.version = 1 AND NOT EXISTS (SELECT 1 FROM checklist_templates n "
        "WHERE n.organisation_id = t.organisation_id AND n.version > 1)")).fetchall()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for template_id, organisation_id, title in newest:
        old = bind.execute(sa.text(
            "SELECT section, key, text FROM checklist_items WHERE template_id = :t "
            "ORDER BY position"), {"t": template_id}).fetchall()
        keys = {row[1] for row in old}
        rows = [tuple(row) for row in old]
        for section, key, text in V2_ITEMS:
            if key in keys:
                continue
            last = max((i for i, row in enumerate(rows) if row[0] == section), default=None)
            rows.insert(len(rows) if last is None else last + 1, (section, key, text))
        bind.execute(templates.insert().values(organisation_id=organisation_id, version=2,
                                               title=title, active=True, created_by_id=None,
                                               created_at=now))
        new_id = bind.execute(sa.text(
            "SELECT id FROM checklist_templates WHERE organisation_id = :o AND version = 2"),
            {"o": organisation_id}).scalar()
        bind.execute(items.insert(), [
            {"template_id": new_id, "section": s, "key": k, "text": t, "position": p}
            for p, (s, k, t) in enumerate(rows)])


def downgrade():
    op.drop_table("checklist_followups_done")
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.drop_column("followup_due")
        batch_op.drop_column("followup_owner")
        batch_op.drop_column("followup_action")
