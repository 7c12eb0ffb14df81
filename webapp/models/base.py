"""Shared column helpers for the models."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: every timestamp column stores UTC without tzinfo (SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)
