"""Monthly checklist rules (DESIGN §4): which submission counts, status per month, validation.

Plain functions over plain data, so pages, reminders and figures share them. A submission here
is anything with `id`, `participant_id`, `month`, `supersedes_id`, `version_no` and
`submitted_at` (the ORM row or a test double).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

ANSWER_VALUES = ("ok", "remark", "na")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class SubmissionLike(Protocol):
    id: int
    participant_id: int
    month: str
    supersedes_id: int | None
    version_no: int
    submitted_at: Any


# --- months -----------------------------------------------------------------------------------

def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(value: str | None) -> str | None:
    """'2026-03' -> '2026-03'; anything else (also a year outside 1900-2199) -> None."""
    if value and MONTH_PATTERN.match(value) and 1900 <= int(value[:4]) <= 2199:
        return value
    return None


def shift_month(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty if first > last)."""
    months, current = [], first
    while current <= last:
        months.append(current)
        current = shift_month(current, 1)
    return months


# --- which submission counts ------------------------------------------------------------------

def superseded_ids(submissions: Iterable[SubmissionLike]) -> set[int]:
    return {s.supersedes_id for s in submissions if s.supersedes_id is not None}


def counting_submissions(
    submissions: Iterable[SubmissionLike], superseded: set[int] | None = None
) -> dict[tuple[int, str], SubmissionLike]:
    """The one submission that counts per (participant, month).

    A corrected submission never counts (its correction does, in whatever month the correction
    says). If two independent checklists exist for the same month (e.g. two phones offline),
    the latest submitted counts. `superseded` are ids replaced by corrections not in
    `submissions` (pass them when only one month was loaded).
    """
    submissions = list(submissions)
    replaced = superseded_ids(submissions) | (superseded or set())
    counting: dict[tuple[int, str], SubmissionLike] = {}
    for submission in submissions:
        if submission.id in replaced:
            continue
        slot = (submission.participant_id, submission.month)
        current = counting.get(slot)
        if current is None or _order(submission) > _order(current):
            counting[slot] = submission
    return counting


def _order(submission: SubmissionLike) -> tuple:
    return (submission.submitted_at, submission.version_no, submission.id)


def version_chain(submissions: Iterable[SubmissionLike], submission_id: int) -> list:
    """All versions linked to `submission_id` by corrections, oldest first."""
    by_id = {s.id: s for s in submissions}
    successor = {s.supersedes_id: s for s in by_id.values() if s.supersedes_id is not None}
    if submission_id not in by_id:
        return []
    first = by_id[submission_id]
    while first.supersedes_id in by_id:
        first = by_id[first.supersedes_id]
    chain = [first]
    while chain[-1].id in successor:
        chain.append(successor[chain[-1].id])
    return chain


@dataclass(frozen=True)
class MonthStatus:
    month: str
    status: str  # "submitted" | "missing" | "due" (current month, not yet) | "future"
    submission: Any = None

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"


def month_status(month: str, submission: Any, current_month: str) -> MonthStatus:
    """Status of one participant's checklist for `month`, seen in `current_month`."""
    if submission is not None:
        return MonthStatus(month, "submitted", submission)
    if month > current_month:
        return MonthStatus(month, "future")
    if month == current_month:
        return MonthStatus(month, "due")
    return MonthStatus(month, "missing")


def month_statuses(participant_id: int, months: Sequence[str],
                   counting: Mapping[tuple[int, str], Any], current_month: str) -> list:
    return [month_status(m, counting.get((participant_id, m)), current_month) for m in months]


# --- validation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerInput:
    answer: str
    remark: str


def validate_answers(item_keys: Sequence[str], answers: Mapping[str, str],
                     remarks: Mapping[str, str]) -> tuple[dict[str, AnswerInput], dict[str, str]]:
    """Check the item answers of one submission against its template.

    `answers`/`remarks` map item key -> what was posted. Returns (clean answers, errors); errors
    are keyed by the form field name (`answer-<key>` / `remark-<key>`) with a Swedish message.
    """
    errors: dict[str, str] = {}
    known = set(item_keys)
    for key in sorted((set(answers) | set(remarks)) - known):
        field = f"answer-{key}" if key in answers else f"remark-{key}"
        errors[field] = f"Punkten ”{key[:50]}” finns inte i den här genomgången."
    clean: dict[str, AnswerInput] = {}
    for key in item_keys:
        answer = (answers.get(key) or "").strip()
        remark = (remarks.get(key) or "").strip()
        if not answer:
            errors[f"answer-{key}"] = "Välj OK, Anmärkning eller Ej aktuellt."
        elif answer not in ANSWER_VALUES:
            errors[f"answer-{key}"] = "Välj ett av svaren OK, Anmärkning eller Ej aktuellt."
        elif answer == "remark" and not remark:
            errors[f"remark-{key}"] = "Skriv vad anmärkningen gäller."
        elif len(remark) > 2000:
            errors[f"remark-{key}"] = "Texten är för lång (högst 2000 tecken)."
        else:
            clean[key] = AnswerInput(answer, remark)
    return clean, errors


def held_on_error(held_on: date | None, today: date) -> str | None:
    """The date must be given and not in a future month (a checklist is filled on site)."""
    if held_on is None:
        return "Ange datum för genomgången."
    if month_of(held_on) > month_of(today):
        return "Datumet kan inte vara i en kommande månad."
    if held_on.year < today.year - 5:
        return "Datumet är för långt bak i tiden."
    return None


def answered_count(answers: Mapping[str, AnswerInput]) -> int:
    return len(answers)


def remark_count(answers: Iterable[Any]) -> int:
    return sum(1 for a in answers if a.answer == "remark")


# --- template editing -------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemInput:
    row: int  # the form row it came from, so errors land next to the right field
    section: str
    key: str
    text: str
    order: int


def validate_template_items(rows: Sequence[ItemInput]) -> dict[str, str]:
    """Errors for a new template version, keyed 'items-<row>-<field>' (or 'items')."""
    errors: dict[str, str] = {}
    if not rows:
        errors["items"] = "En genomgång behöver minst en punkt."
    seen: dict[str, int] = {}
    for row in rows:
        index = row.row
        if not row.section.strip():
            errors[f"items-{index}-section"] = "Ange avsnitt."
        if not row.text.strip():
            errors[f"items-{index}-text"] = "Skriv texten som visas."
        if not KEY_PATTERN.match(row.key):
            errors[f"items-{index}-key"] = (
                "Nyckeln får bara ha små bokstäver a–z, siffror och _ och börja med en bokstav."
            )
        elif row.key in seen:
            errors[f"items-{index}-key"] = "Nyckeln finns redan på en annan rad."
        seen.setdefault(row.key, index)
    return errors
