"""The monthly checklist "Genomgång av lägenhetens skötsel": versioned templates, submissions."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

ANSWERS = {"ok": _l("OK"), "remark": _l("Anmärkning"), "na": _l("Ej aktuellt")}


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="Genomgång av lägenhetens skötsel")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position"
    )


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    section: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class ChecklistSubmission(db.Model):
    """Immutable once stored; a correction is a new row whose `supersedes_id` points back."""

    __tablename__ = "checklist_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    apartment_id: Mapped[int | None] = mapped_column(ForeignKey("apartments.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    held_on: Mapped[date] = mapped_column(Date)
    present: Mapped[str] = mapped_column(Text, default="")
    general_comment: Mapped[str] = mapped_column(Text, default="")
    tenant_agrees: Mapped[bool] = mapped_column(Boolean, default=False)
    tenant_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_submissions.id"), unique=True
    )
    version_no: Mapped[int] = mapped_column(Integer, default=1)

    template: Mapped[ChecklistTemplate] = relationship()
    answers: Mapped[list[ChecklistAnswer]] = relationship(back_populates="submission")


class ChecklistAnswer(db.Model):
    __tablename__ = "checklist_answers"
    __table_args__ = (
        UniqueConstraint("submission_id", "item_key"),
        # Few answers carry a follow-up; Idag looks only for those (partial index).
        Index("ix_checklist_answers_followup", "submission_id",
              postgresql_where=text("followup_action <> ''"),
              sqlite_where=text("followup_action <> ''")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("checklist_submissions.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(50))
    answer: Mapped[str] = mapped_column(String(10))  # ok | remark | na
    remark: Mapped[str] = mapped_column(Text, default="")
    # A remark's follow-up (template version 2): what will be done, by whom, by when.
    followup_action: Mapped[str] = mapped_column(Text, default="", server_default="")
    followup_owner: Mapped[str] = mapped_column(String(20), default="", server_default="")
    followup_due: Mapped[date | None] = mapped_column(Date)

    submission: Mapped[ChecklistSubmission] = relationship(back_populates="answers")
    # Loaded only where a follow-up is shown (few answers have one).
    followup_done: Mapped[ChecklistFollowupDone | None] = relationship(
        primaryjoin="ChecklistAnswer.id == foreign(ChecklistFollowupDone.answer_id)",
        uselist=False, viewonly=True)


FOLLOWUP_OWNERS = {"tenant": _l("Hyresgästen"), "staff": _l("Stödpersonal"),
                   "landlord": _l("Hyresvärden")}


class ChecklistFollowupDone(db.Model):
    """A follow-up marked done. Its own row: the submitted checklist itself never changes."""

    __tablename__ = "checklist_followups_done"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("checklist_answers.id"), unique=True)
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
