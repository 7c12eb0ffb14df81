"""Follow-ups on checklist remarks (CHECKLIST.md version 2): åtgärd, ansvarig, klart senast.

A remark can carry what will be done, who is responsible (tenant, support staff, landlord) and
by when. It stays open - on the next month's form and the staff worklist - until marked done.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

OWNERS = ("tenant", "staff", "landlord")
UNDATED_AFTER = timedelta(days=30)  # an undated follow-up is due a month after the checklist


@dataclass(frozen=True)
class FollowupInput:
    action: str = ""
    owner: str = ""
    due: date | None = None


def _parse_day(text: str) -> date | None:
    return date.fromisoformat(text)


def validate_followups(remark_keys: Iterable[str],
                       posted: Mapping[str, tuple[str, str, str]]
                       ) -> tuple[dict[str, FollowupInput], dict[str, str]]:
    """`posted` maps item key -> (action, owner, due as typed). Only items answered with a
    remark (`remark_keys`) keep a follow-up. Errors are keyed by form field name."""
    clean: dict[str, FollowupInput] = {}
    errors: dict[str, str] = {}
    for key in remark_keys:
        action, owner, due_text = (part.strip() for part in posted.get(key, ("", "", "")))
        if not (action or owner or due_text):
            continue
        due = None
        if not action:
            errors[f"followup_action-{key}"] = "Skriv vilken åtgärd som ska göras."
        elif len(action) > 1000:
            errors[f"followup_action-{key}"] = "Texten är för lång (högst 1000 tecken)."
        if owner not in OWNERS:
            errors[f"followup_owner-{key}"] = "Välj vem som är ansvarig."
        if due_text:
            try:
                due = _parse_day(due_text)
            except ValueError:
                errors[f"followup_due-{key}"] = (
                    "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-14.")
        if not any(name.endswith(f"-{key}") and name.startswith("followup_") for name in errors):
            clean[key] = FollowupInput(action, owner, due)
    return clean, errors


@dataclass(frozen=True)
class OpenFollowup:
    answer_id: int
    participant_id: int
    submission_id: int
    item_key: str
    action: str
    owner: str
    due: date
    dated: bool
    held_on: date


def due_date(followup_due: date | None, held_on: date) -> date:
    return followup_due or held_on + UNDATED_AFTER


def open_followups(rows: Iterable[Any], superseded: set[int], done: set[int]) -> list:
    """Follow-ups still open. `rows` have answer_id, participant_id, submission_id, item_key,
    followup_action, followup_owner, followup_due, held_on; a corrected submission's follow-ups
    are replaced by its correction's, and done ones are closed. Earliest deadline first."""
    found = [
        OpenFollowup(row.answer_id, row.participant_id, row.submission_id, row.item_key,
                     row.followup_action, row.followup_owner,
                     due_date(row.followup_due, row.held_on), row.followup_due is not None,
                     row.held_on)
        for row in rows
        if row.followup_action and row.submission_id not in superseded
        and row.answer_id not in done
    ]
    return sorted(found, key=lambda f: (f.due, f.answer_id))
