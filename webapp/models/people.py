"""Organisations, their programme rules, teams, users and sign-in state."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.rules import PRESETS as RULE_PRESETS
from ..domain.rules import preset_values
from ..extensions import db
from .base import utcnow

ROLES = ("participant", "staff", "social_worker", "housing", "admin")
SECOND_FACTOR_ROLES = frozenset({"staff", "social_worker", "housing", "admin"})

# Programme rules of the four municipalities in DESIGN §1 (the columns each preset sets).
PRESETS: dict[str, dict] = {name: preset_values(name) for name in RULE_PRESETS}


class Organisation(db.Model):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    preset: Mapped[str] = mapped_column(String(20), default="goteborg")
    # Minimum home visits per period in fas 2 ("week" = ISO week, "month" = calendar month).
    min_visits: Mapped[int] = mapped_column(Integer, default=1)
    visit_period: Mapped[str] = mapped_column(String(10), default="week")
    visits_with_social_services: Mapped[int] = mapped_column(Integer, default=0)
    transfer_months: Mapped[int] = mapped_column(Integer, default=18)
    decision_months: Mapped[int] = mapped_column(Integer, default=18)
    checklist_monthly: Mapped[bool] = mapped_column(Boolean, default=True)
    # Stockholm: any meeting counts toward the minimum, not only home visits.
    any_meeting_counts: Mapped[bool] = mapped_column(Boolean, default=False)
    relief_days_per_year: Mapped[int] = mapped_column(Integer, default=0)  # 0: no cap
    oncall_phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="organisation")

    def apply_preset(self, name: str) -> None:
        for key, value in PRESETS[name].items():
            setattr(self, key, value)


class OpenSupportContact(db.Model):
    """Fas 4 open support: phone hours, drop-in place, office (DESIGN §1)."""

    __tablename__ = "open_support_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="phone")  # phone | dropin | office
    label: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Removing a contact in settings hides it (nothing is hard-deleted from the UI).
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Team(db.Model):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # "support" teams have a caseload; "housing" teams administer apartments.
    kind: Mapped[str] = mapped_column(String(20), default="support")
    # Archived teams leave every choice list; they are never deleted (history points at them).
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Programme rules override (None: follow the organisation), see domain/rules.py.
    rules_preset: Mapped[str | None] = mapped_column(String(20))
    min_visits: Mapped[int | None] = mapped_column(Integer)
    visit_period: Mapped[str | None] = mapped_column(String(10))
    visits_with_social_services: Mapped[int | None] = mapped_column(Integer)
    any_meeting_counts: Mapped[bool | None] = mapped_column(Boolean)
    transfer_months: Mapped[int | None] = mapped_column(Integer)
    decision_months: Mapped[int | None] = mapped_column(Integer)
    relief_days_per_year: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(back_populates="teams")


class TeamMembership(db.Model):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Last accepted TOTP time-step, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Set with a temporary password from the admin: the next sign-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=sa_false())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    # Rotated at logout, password change and deactivation: old session cookies stop working.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    # Secret for the personal .ics feed URL.
    calendar_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(24)
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    teams: Mapped[list[Team]] = relationship(secondary="team_memberships", viewonly=True)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES

    def team_ids(self) -> list[int]:
        return [t.id for t in self.teams]


class ActivationCode(db.Model):
    """One-time code a worker issues so a participant can choose a password (DESIGN §7)."""

    __tablename__ = "activation_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Only hashes are stored; the code itself is shown once to the worker.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class IdempotencyRecord(db.Model):
    """A replayed offline write answers with the stored original result (DESIGN §5)."""

    __tablename__ = "idempotency_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    # sha256 of the request (path, form fields): a key replayed with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
