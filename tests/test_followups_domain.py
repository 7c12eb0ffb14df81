"""Follow-ups on checklist remarks (issue 16.3): validation and which are open."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from webapp.domain.followups import FollowupInput, open_followups, validate_followups


def test_a_remark_may_carry_a_follow_up():
    clean, errors = validate_followups(
        ["damp_none", "keys_ok"],
        {"damp_none": ("Felanmäla fukten", "landlord", "2026-04-01"),
         "keys_ok": ("", "", ""), "rent_paid": ("Ignoreras", "tenant", "")})
    assert errors == {}
    assert clean == {"damp_none": FollowupInput("Felanmäla fukten", "landlord", date(2026, 4, 1))}


def test_follow_up_errors_are_swedish_and_per_field():
    _clean, errors = validate_followups(
        ["a", "b", "c"],
        {"a": ("", "tenant", ""), "b": ("Göra", "someone", ""), "c": ("Göra", "staff", "1/4")})
    assert errors == {
        "followup_action-a": "Skriv vilken åtgärd som ska göras.",
        "followup_owner-b": "Välj vem som är ansvarig.",
        "followup_due-c": "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-14.",
    }


@dataclass
class Row:
    answer_id: int
    submission_id: int
    followup_action: str
    followup_due: date | None = None
    participant_id: int = 1
    item_key: str = "damp_none"
    followup_owner: str = "staff"
    held_on: date = date(2026, 3, 5)


def test_open_follow_ups_skip_done_corrected_and_empty_ones():
    rows = [Row(1, 10, "Felanmäla"), Row(2, 10, ""), Row(3, 11, "Byta filter", date(2026, 3, 20)),
            Row(4, 12, "Klart redan"), Row(5, 13, "Rättad bort")]
    found = open_followups(rows, superseded={13}, done={4})
    assert [f.answer_id for f in found] == [3, 1]
    assert found[1].due == date(2026, 4, 4) and not found[1].dated  # undated: a month later
