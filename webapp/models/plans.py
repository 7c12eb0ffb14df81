"""The genomförandeplan: goals in the participant's own words, steps, comments, history."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

LIFE_AREAS = {
    "housing": _l("Boende"),
    "health": _l("Hälsa"),
    "economy": _l("Ekonomi"),
    "work": _l("Sysselsättning"),
    "relations": _l("Relationer och nätverk"),
    "leisure": _l("Fritid"),
    "daily_life": _l("Vardag"),
    "other": _l("Annat"),
}
GOAL_STATUSES = {
    "active": _l("Pågår"), "reached": _l("Uppnått"), "paused": _l("Vilande"),
    "dropped": _l("Avslutat"),
}


class Plan(db.Model):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    # Optimistic lock: a save with a stale version is a conflict, never an overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1)
    follow_up_date: Mapped[date | None] = mapped_column(Date)
    # SOSFS 2014:5: the decision the plan carries out, how the participant took part and
    # whether they agree, and a SIP meeting if one was held.
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    participation: Mapped[str] = mapped_column(Text, default="")
    agreement: Mapped[str] = mapped_column(String(10), default="")  # yes | partly | no
    sip_on: Mapped[date | None] = mapped_column(Date)
    sip_note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    goals: Mapped[list[Goal]] = relationship(back_populates="plan", order_by="Goal.position")


class Goal(db.Model):
    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    life_area: Mapped[str] = mapped_column(String(20), default="other")
    own_words: Mapped[str] = mapped_column(Text)  # the participant's own words, first-class
    status: Mapped[str] = mapped_column(String(20), default="active")
    how_when: Mapped[str] = mapped_column(Text, default="")  # how and when (SOSFS 2014:5)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="goals")
    steps: Mapped[list[Step]] = relationship(back_populates="goal", order_by="Step.position")
    comments: Mapped[list[GoalComment]] = relationship(
        back_populates="goal", order_by="GoalComment.created_at"
    )


class Step(db.Model):
    __tablename__ = "steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(20), default="together")  # participant|staff|together
    who_name: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Removing a step only sets this: steps are never deleted, so the plan's history stays whole.
    dropped_at: Mapped[datetime | None] = mapped_column(DateTime)

    goal: Mapped[Goal] = relationship(back_populates="steps")


class GoalComment(db.Model):
    __tablename__ = "goal_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10), default="comment")  # comment | wish
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="comments")


class PlanRevision(db.Model):
    """A JSON snapshot of the plan after each saved version: the history is kept."""

    __tablename__ = "plan_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
