"""The tenancy from offer to transfer or termination (DESIGN §1b).

Each step is a dated record with who entered it and when; nothing is overwritten silently.
Housing administration owns apartments, contracts, inspections and decisions; staff own
showings and what they observe.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

# How a tenancy ended (Contract.end_reason). "transferred" is the good end: fas 3.
END_REASONS = {
    "terminated": _l("Uppsagd"),
    "moved_by_choice": _l("Flyttade på egen begäran"),
    "other_housing": _l("Flyttade till annat boende"),
    "died": _l("Avled"),
    "other": _l("Annat"),
}
# Why housing terminated the contract (Contract.end_category, only for "terminated").
TERMINATION_CATEGORIES = {
    "disturbances": _l("Upprepade störningar"),
    "unpaid_rent": _l("Obetald hyra"),
    "neglect": _l("Vanskötsel av lägenheten"),
    "other": _l("Annat"),
}
# Categories of a breakdown analysis (Gävle: "sammanbrottsanalys").
BREAKDOWN_CATEGORIES = {
    "matching": _l("Matchningen av lägenhet och hyresgäst"),
    "support": _l("Stödets omfattning eller innehåll"),
    "disturbances": _l("Störningar och umgänge"),
    "economy": _l("Ekonomi och hyra"),
    "health": _l("Hälsa och vård"),
    "cooperation": _l("Samverkan mellan aktörerna"),
    "other": _l("Annat"),
}
# Who a joint meeting calls (seed 000: all called parties must attend).
MEETING_PARTIES = {
    "social_services": _l("Socialtjänsten"),
    "staff": _l("Stödpersonalen"),
    "landlord": _l("Hyresvärden eller störningsjouren"),
    "tenant": _l("Hyresgästen"),
}
LANDLORD_DECISIONS = {"approved": _l("Godkänd"), "refused": _l("Avslagen")}


class Offer(db.Model):
    """An offer of (ideally) two apartments to choose between: the parallel choice."""

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    offered_on: Mapped[date] = mapped_column(Date)
    first_apartment_id: Mapped[int] = mapped_column(ForeignKey("apartments.id"))
    second_apartment_id: Mapped[int | None] = mapped_column(ForeignKey("apartments.id"))
    # The participant's wishes and how the apartments match them (Gävle's matching).
    wishes: Mapped[str] = mapped_column(Text, default="", server_default="")
    matching_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    chosen_apartment_id: Mapped[int | None] = mapped_column(ForeignKey("apartments.id"))
    chosen_on: Mapped[date | None] = mapped_column(Date)
    choice_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Recorded when housing went ahead although the landlord company is the one that
    # terminated the participant's earlier contract (the app warns first).
    same_company_confirmed: Mapped[bool] = mapped_column(Boolean, default=False,
                                                         server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    first_apartment = relationship("Apartment", foreign_keys=[first_apartment_id])
    second_apartment = relationship("Apartment", foreign_keys=[second_apartment_id])
    chosen_apartment = relationship("Apartment", foreign_keys=[chosen_apartment_id])
    showings: Mapped[list[Showing]] = relationship(back_populates="offer",
                                                   order_by="Showing.starts_at")

    @property
    def apartments(self) -> list:
        return [a for a in (self.first_apartment, self.second_apartment) if a is not None]


class Showing(db.Model):
    """A viewing of one offered apartment; staff book it and attend."""

    __tablename__ = "showings"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    apartment_id: Mapped[int] = mapped_column(ForeignKey("apartments.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None until recorded
    observation: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    offer: Mapped[Offer] = relationship(back_populates="showings")
    apartment = relationship("Apartment")
    staff = relationship("User", foreign_keys=[staff_id])


class InspectionTemplate(db.Model):
    """The transfer inspection checklist (Helsingborg); versioned like the monthly one."""

    __tablename__ = "inspection_templates"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    items_json: Mapped[str] = mapped_column(Text)  # [{"key": ..., "text": ...}, ...]
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TransferCase(db.Model):
    """Överlåtelse: inspection, request to the landlord, the landlord's decision."""

    __tablename__ = "transfer_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    inspection_on: Mapped[date | None] = mapped_column(Date)  # booked
    inspection_attendees: Mapped[str] = mapped_column(Text, default="", server_default="")
    template_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_templates.id"))
    answers_json: Mapped[str] = mapped_column(Text, default="", server_default="")
    inspection_done_on: Mapped[date | None] = mapped_column(Date)
    inspection_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    requested_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(20), default="", server_default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    open_support_info_on: Mapped[date | None] = mapped_column(Date)
    open_support_info_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    template = relationship("InspectionTemplate")

    @property
    def inspection_answers(self) -> dict[str, tuple[str, str]]:
        """Item key -> (answer, remark text). Early answers were stored as a bare string."""
        raw = json.loads(self.answers_json) if self.answers_json else {}
        return {key: (value, "") if isinstance(value, str)
                else (value.get("answer", ""), value.get("note", ""))
                for key, value in raw.items()}

    @property
    def inspection_remarks(self) -> list[tuple[str, str]]:
        """(item text, remark) of every item answered "Anmärkning", in the template's order."""
        items = json.loads(self.template.items_json) if self.template else []
        answers = self.inspection_answers
        ordered = [i["key"] for i in items] + [k for k in answers if k not in
                                               {i["key"] for i in items}]
        texts = {i["key"]: i["text"] for i in items}
        return [(texts.get(key, key), answers[key][1]) for key in ordered
                if key in answers and answers[key][0] == "remark"]

    @property
    def remark_count(self) -> int:
        """Items answered "Anmärkning" on the transfer inspection."""
        return sum(1 for answer, _note in self.inspection_answers.values() if answer == "remark")


class JointMeeting(db.Model):
    """Gemensamt möte after a very serious disturbance, called by housing administration."""

    __tablename__ = "joint_meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    disturbance_id: Mapped[int | None] = mapped_column(ForeignKey("disturbances.id"))
    meets_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    called: Mapped[str] = mapped_column(String(200), default="", server_default="")  # csv keys
    attended: Mapped[str] = mapped_column(String(200), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actions: Mapped[list[JointAction]] = relationship(back_populates="meeting",
                                                      order_by="JointAction.id")

    @property
    def called_list(self) -> list[str]:
        return [k for k in self.called.split(",") if k]

    @property
    def attended_list(self) -> list[str]:
        return [k for k in self.attended.split(",") if k]


class JointAction(db.Model):
    """One line of the joint action plan: what, who, by when, and when it is followed up."""

    __tablename__ = "joint_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    meeting: Mapped[JointMeeting] = relationship(back_populates="actions")


class BreakdownAnalysis(db.Model):
    """Gävle's haveri-analys: written when a tenancy ends without a transfer, for learning."""

    __tablename__ = "breakdown_analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    what_happened: Mapped[str] = mapped_column(Text)
    could_have_done: Mapped[str] = mapped_column(Text, default="", server_default="")
    categories: Mapped[str] = mapped_column(String(300), default="", server_default="")
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def category_list(self) -> list[str]:
        return [k for k in self.categories.split(",") if k]
