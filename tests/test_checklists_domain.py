"""Checklist rules as plain functions: which submission counts, status per month, validation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from webapp.domain.checklists import (
    ItemInput,
    counting_submissions,
    held_on_error,
    month_status,
    month_statuses,
    months_between,
    parse_month,
    shift_month,
    validate_answers,
    validate_template_items,
    version_chain,
)


@dataclass
class Sub:
    id: int
    participant_id: int
    month: str
    supersedes_id: int | None = None
    version_no: int = 1
    submitted_at: datetime = datetime(2026, 3, 10, 12)


def test_months():
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert shift_month("2026-03", -14) == "2025-01"
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-02", "2026-01") == []
    assert parse_month("2026-03") == "2026-03"
    assert parse_month("2026-13") is None and parse_month("x") is None and parse_month(None) is None


def test_one_checklist_counts_per_participant_and_month_the_latest_version():
    first = Sub(1, 7, "2026-03")
    correction = Sub(2, 7, "2026-03", supersedes_id=1, version_no=2,
                     submitted_at=datetime(2026, 3, 11))
    other = Sub(3, 8, "2026-03")
    counting = counting_submissions([first, correction, other])
    assert counting == {(7, "2026-03"): correction, (8, "2026-03"): other}


def test_a_correction_that_moves_the_date_leaves_the_old_month_empty():
    first = Sub(1, 7, "2026-02")
    moved = Sub(2, 7, "2026-03", supersedes_id=1, version_no=2)
    assert counting_submissions([first, moved]) == {(7, "2026-03"): moved}


def test_superseded_ids_loaded_separately_are_respected():
    first = Sub(1, 7, "2026-02")
    assert counting_submissions([first], superseded={1}) == {}


def test_two_independent_checklists_in_a_month_the_later_counts():
    early = Sub(1, 7, "2026-03", submitted_at=datetime(2026, 3, 2))
    late = Sub(2, 7, "2026-03", submitted_at=datetime(2026, 3, 20))
    assert counting_submissions([late, early])[(7, "2026-03")] is late


def test_version_chain_from_any_member():
    a, b, c = Sub(1, 7, "2026-03"), Sub(2, 7, "2026-03", 1, 2), Sub(3, 7, "2026-03", 2, 3)
    unrelated = Sub(4, 7, "2026-03")
    for member in (1, 2, 3):
        assert version_chain([c, unrelated, a, b], member) == [a, b, c]
    assert version_chain([a], 99) == []


def test_month_status():
    assert month_status("2026-02", None, "2026-03").status == "missing"
    assert month_status("2026-03", None, "2026-03").status == "due"
    assert month_status("2026-04", None, "2026-03").status == "future"
    done = month_status("2026-02", Sub(1, 7, "2026-02"), "2026-03")
    assert done.status == "submitted" and done.submitted
    statuses = month_statuses(7, ["2026-03", "2026-02"], {(7, "2026-02"): Sub(1, 7, "2026-02")},
                              "2026-03")
    assert [s.status for s in statuses] == ["due", "submitted"]


def test_validate_answers():
    keys = ["rent_paid", "damp_none", "pests_none", "keys_ok"]
    answers = {"rent_paid": "ok", "damp_none": "remark", "pests_none": "yes", "ghost": "ok"}
    remarks = {"damp_none": "  ", "keys_ok": "kommentar"}
    clean, errors = validate_answers(keys, answers, remarks)
    assert set(clean) == {"rent_paid"}
    assert errors == {
        "answer-ghost": "Punkten ”ghost” finns inte i den här genomgången.",
        "remark-damp_none": "Skriv vad anmärkningen gäller.",
        "answer-pests_none": "Välj ett av svaren OK, Anmärkning eller Ej aktuellt.",
        "answer-keys_ok": "Välj OK, Anmärkning eller Ej aktuellt.",
    }
    clean, errors = validate_answers(["a"], {"a": "remark"}, {"a": " Fukt "})
    assert errors == {} and clean["a"].remark == "Fukt"


def test_held_on():
    today = date(2026, 3, 15)
    assert held_on_error(date(2026, 3, 31), today) is None  # later this month is fine
    assert held_on_error(date(2026, 2, 1), today) is None
    assert held_on_error(date(2026, 4, 1), today) == "Datumet kan inte vara i en kommande månad."
    assert held_on_error(None, today) == "Ange datum för genomgången."
    assert held_on_error(date(2019, 1, 1), today) == "Datumet är för långt bak i tiden."


def test_validate_template_items():
    rows = [ItemInput(0, "Kök", "stove_ok", "Spis", 1), ItemInput(1, "Kök", "stove_ok", "X", 2),
            ItemInput(3, "", "Bad", "", 3)]
    assert validate_template_items(rows) == {
        "items-1-key": "Nyckeln finns redan på en annan rad.",
        "items-3-section": "Ange avsnitt.",
        "items-3-text": "Skriv texten som visas.",
        "items-3-key": "Nyckeln får bara ha små bokstäver a–z, siffror och _ och börja med "
                       "en bokstav.",
    }
    assert validate_template_items([]) == {"items": "En genomgång behöver minst en punkt."}
