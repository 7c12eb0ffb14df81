"""Participants, their phases, assignments, apartments, contracts and standing records."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import Team, User

PHASES = (1, 2, 3, 4)
# Absence kinds (DESIGN §1b): relief placements are absences too, counted per year.
ABSENCE_KINDS = {
    "hospital": _l("Sjukhus"), "custody": _l("Häkte eller anstalt"),
    "treatment": _l("Behandling"), "travel": _l("Resa"),
    "relief_acute": _l("Akut avlastning"), "relief_svikt": _l("Sviktlägenhet"),
    "other": _l("Annat"),
}
RELIEF_KINDS = frozenset({"relief_acute", "relief_svikt"})


def full_name_of(first_name: str, last_name: str) -> str:
    """A participant's name as every page writes it (lists name rows of columns with it)."""
    return f"{first_name} {last_name}"


class Participant(db.Model):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    # The participant's own login, created when staff issue an activation code.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    social_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Shown instead of the name wherever a protected identity must be masked.
    pseudonym: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    protected_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_language: Mapped[str] = mapped_column(String(5), default="sv")
    # Denormalised from the latest PhaseChange so lists need no subquery.
    phase: Mapped[int] = mapped_column(Integer, default=1)
    decision_date: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    social_worker: Mapped[User | None] = relationship(foreign_keys=[social_worker_id])
    phase_changes: Mapped[list[PhaseChange]] = relationship(
        back_populates="participant", order_by="PhaseChange.started_on"
    )
    contracts: Mapped[list[Contract]] = relationship(
        back_populates="participant", order_by="Contract.move_in_date"
    )
    absences: Mapped[list[Absence]] = relationship(
        back_populates="participant", order_by="Absence.start_date"
    )

    @property
    def full_name(self) -> str:
        return full_name_of(self.first_name, self.last_name)

    @property
    def masked_name(self) -> str:
        return self.pseudonym or f"Skyddad #{self.id}"


class PhaseChange(db.Model):
    __tablename__ = "phase_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    phase: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="phase_changes")


class StaffAssignment(db.Model):
    """Staff directly assigned to a participant (they see a protected identity's address)."""

    __tablename__ = "staff_assignments"
    __table_args__ = (UniqueConstraint("participant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Apartment(db.Model):
    __tablename__ = "apartments"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The housing administration team that administers this apartment.
    housing_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    rooms: Mapped[str] = mapped_column(String(40), default="")
    landlord: Mapped[str] = mapped_column(String(200), default="")
    apartment_number: Mapped[str] = mapped_column(String(20), default="")
    size_sqm: Mapped[int | None] = mapped_column(Integer)
    floor: Mapped[str] = mapped_column(String(20), default="", server_default="")
    area: Mapped[str] = mapped_column(String(100), default="", server_default="")  # district
    # A protected address is masked everywhere except for directly assigned people.
    protected_address: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)


class Contract(db.Model):
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    apartment_id: Mapped[int] = mapped_column(ForeignKey("apartments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="second_hand")  # or first_hand
    landlord: Mapped[str] = mapped_column(String(200), default="")
    signed_on: Mapped[date | None] = mapped_column(Date)
    move_in_date: Mapped[date | None] = mapped_column(Date)
    # The day the tenancy really ended: keys handed back (support continues until then), death,
    # or the second-hand contract becoming first-hand is NOT an end (see first_hand_on).
    ended_on: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date | None] = mapped_column(Date)
    notice_days: Mapped[int | None] = mapped_column(Integer)  # 14 in Göteborg
    # Security of tenure waived for the first two years (besittningsskydd), until this date.
    tenure_waived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    tenure_waiver_ends_on: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(Text, default="", server_default="")
    keys_collected_on: Mapped[date | None] = mapped_column(Date)
    inspection_on: Mapped[date | None] = mapped_column(Date)  # move-in inspection
    inspection_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Termination (uppsägning) or another end: when notice was given / the end decided.
    terminated_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(30), default="", server_default="")
    end_category: Mapped[str] = mapped_column(String(30), default="", server_default="")
    end_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    keys_returned_on: Mapped[date | None] = mapped_column(Date)
    first_hand_on: Mapped[date | None] = mapped_column(Date)  # transfer approved: fas 3
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    # Who typed it in and when (past-dated records of existing cases show this).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="contracts")
    apartment: Mapped[Apartment] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])

    @property
    def ending(self) -> bool:
        """Terminated or otherwise ending, keys not yet handed back."""
        return bool(self.end_reason) and self.ended_on is None


class Absence(db.Model):
    """A period the participant does not stay in the apartment; deducted from the counter."""

    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # open while ongoing
    kind: Mapped[str] = mapped_column(String(20), default="other")  # see ABSENCE_KINDS
    reason: Mapped[str] = mapped_column(Text, default="")  # staff only (DESIGN §2)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="absences")


class Consent(db.Model):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # Which parties information may be exchanged with, e.g. "socialtjänst, bostadsförvaltning".
    scope: Mapped[str] = mapped_column(Text)
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReserveKey(db.Model):
    __tablename__ = "reserve_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    spare_key_at_office: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[str] = mapped_column(Text, default="")
    entrance_access: Mapped[bool] = mapped_column(Boolean, default=False)  # staff have door key/tag
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Note(db.Model):
    """A journal note on a participant (staff and social worker only)."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
