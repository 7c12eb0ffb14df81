"""What is due for staff (webapp/domain/due.py) under the three municipal presets."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from webapp.domain.due import Facts, Rules, due_for, due_items, review_date, visit_missing
from webapp.models.people import PRESETS

WEDNESDAY = date(2026, 11, 18)  # ISO week 47: Monday 16 – Sunday 22 November
NOW = datetime(2026, 11, 18, 9, 0)


def rules(preset: str) -> Rules:
    return Rules.of(SimpleNamespace(**PRESETS[preset]))


def kinds(items):
    return [item.kind for item in items]


def fas2(**kw) -> Facts:
    base = dict(participant_id=1, phase=2, checklist_months=frozenset({"2026-11"}))
    return Facts(**(base | kw))


def test_rules_read_from_the_preset():
    assert rules("goteborg").visit_rule.period == "week"
    assert rules("stockholm").visit_rule.min_visits == 4
    assert rules("stockholm").visit_rule.with_social_services == 1
    assert rules("helsingborg").transfer_months == 12


@pytest.mark.parametrize("preset", ["goteborg", "helsingborg"])
def test_weekly_presets_want_one_home_visit_this_iso_week(preset):
    last_week = [(date(2026, 11, 13), False)]
    item = due_for(fas2(visits=last_week), rules(preset), WEDNESDAY, NOW)[0]
    assert item.kind == "visit" and item.missing == 1
    assert item.due == date(2026, 11, 22)  # Sunday, the end of the ISO week
    this_week = [(date(2026, 11, 16), False)]
    assert due_for(fas2(visits=this_week), rules(preset), WEDNESDAY, NOW) == []


def test_stockholm_wants_four_visits_a_month_one_with_social_services():
    three = [(date(2026, 11, d), d == 3) for d in (3, 10, 17)]
    item = due_for(fas2(visits=three), rules("stockholm"), WEDNESDAY, NOW)[0]
    assert item.kind == "visit" and item.missing == 1 and item.due == date(2026, 11, 30)
    four_without_soc = [(date(2026, 11, d), False) for d in (2, 3, 10, 17)]
    item = due_for(fas2(visits=four_without_soc), rules("stockholm"), WEDNESDAY, NOW)[0]
    assert item.missing == 0 and item.missing_with_social_services == 1
    four = [(date(2026, 11, d), d == 2) for d in (2, 3, 10, 17)]
    assert due_for(fas2(visits=four), rules("stockholm"), WEDNESDAY, NOW) == []


def test_stockholm_counts_visits_of_the_calendar_month_not_the_week():
    october = [(date(2026, 10, d), True) for d in (5, 12, 19, 26)]
    assert kinds(due_for(fas2(visits=october), rules("stockholm"), WEDNESDAY, NOW)) == ["visit"]


def test_visit_rule_only_applies_in_fas_2():
    for phase in (1, 3, 4):
        facts = Facts(participant_id=1, phase=phase)
        assert "visit" not in kinds(due_for(facts, rules("goteborg"), WEDNESDAY, NOW))
        assert not visit_missing(facts, rules("goteborg"), WEDNESDAY)
    assert visit_missing(fas2(), rules("goteborg"), WEDNESDAY)


def test_booked_visits_are_reported_with_the_missing_visit():
    item = due_for(fas2(booked_visits=1), rules("goteborg"), WEDNESDAY, NOW)[0]
    assert item.booked == 1


@pytest.mark.parametrize("preset", ["goteborg", "stockholm", "helsingborg"])
def test_checklist_due_this_month_without_a_submission(preset):
    visits = [(WEDNESDAY, True)] * 4
    facts = fas2(visits=visits, checklist_months=frozenset({"2026-10"}))
    item = due_for(facts, rules(preset), WEDNESDAY, NOW)[0]
    assert item.kind == "checklist" and item.due == date(2026, 11, 30) and not item.overdue
    done = fas2(visits=visits, checklist_months=frozenset({"2026-11"}))
    assert due_for(done, rules(preset), WEDNESDAY, NOW) == []
    fas3 = Facts(participant_id=1, phase=3)
    assert "checklist" not in kinds(due_for(fas3, rules(preset), WEDNESDAY, NOW))


def test_no_checklist_when_the_organisation_has_no_monthly_checklist():
    facts = fas2(visits=[(WEDNESDAY, False)], checklist_months=frozenset())
    no_checklist = Rules(checklist_monthly=False)
    assert due_for(facts, no_checklist, WEDNESDAY, NOW) == []


def test_rattelse_is_due_within_one_day_and_overdue_after():
    received = NOW - timedelta(hours=5)
    facts = Facts(participant_id=1, phase=3, open_rattelser=[(7, received)])
    item = due_for(facts, rules("goteborg"), WEDNESDAY, NOW)[0]
    assert item.kind == "rattelse" and item.object_id == 7 and not item.overdue
    # DESIGN §1d: the end of the next working day, local time (Thursday 24:00 CET = 23:00 UTC).
    assert item.deadline == datetime(2026, 11, 19, 23, 0)
    late = Facts(participant_id=1, phase=3, open_rattelser=[(7, NOW - timedelta(hours=60))])
    assert due_for(late, rules("goteborg"), WEDNESDAY, NOW)[0].overdue


def test_review_within_30_days_is_due_and_passed_is_overdue():
    soon = Facts(participant_id=1, phase=3, review_date=WEDNESDAY + timedelta(days=30))
    assert kinds(due_for(soon, rules("goteborg"), WEDNESDAY, NOW)) == ["review"]
    later = Facts(participant_id=1, phase=3, review_date=WEDNESDAY + timedelta(days=31))
    assert due_for(later, rules("goteborg"), WEDNESDAY, NOW) == []
    passed = Facts(participant_id=1, phase=3, review_date=WEDNESDAY - timedelta(days=1))
    assert due_for(passed, rules("goteborg"), WEDNESDAY, NOW)[0].overdue
    ended = Facts(participant_id=1, phase=4, review_date=WEDNESDAY)
    assert due_for(ended, rules("goteborg"), WEDNESDAY, NOW) == []


@pytest.mark.parametrize("preset,months", [("goteborg", 18), ("stockholm", 24),
                                           ("helsingborg", 24)])
def test_review_date_defaults_to_the_end_of_the_decision_period(preset, months):
    decided = date(2025, 1, 15)
    facts = Facts(participant_id=1, phase=3, decision_date=decided)
    expected = date(2025 + (months // 12), 1 + months % 12, 15)
    assert review_date(facts, rules(preset)) == expected


def test_move_in_within_two_weeks_in_fas_1():
    soon = Facts(participant_id=1, phase=1, move_in=WEDNESDAY + timedelta(days=14))
    assert kinds(due_for(soon, rules("goteborg"), WEDNESDAY, NOW)) == ["move_in"]
    later = Facts(participant_id=1, phase=1, move_in=WEDNESDAY + timedelta(days=15))
    assert due_for(later, rules("goteborg"), WEDNESDAY, NOW) == []
    passed = Facts(participant_id=1, phase=1, move_in=WEDNESDAY - timedelta(days=2))
    assert due_for(passed, rules("goteborg"), WEDNESDAY, NOW)[0].overdue


def test_transfer_approaching_in_fas_2():
    facts = fas2(visits=[(WEDNESDAY, False)], expected_transfer=WEDNESDAY + timedelta(days=10))
    assert kinds(due_for(facts, rules("stockholm"), WEDNESDAY, NOW)) == ["visit", "transfer"]
    assert kinds(due_for(facts, rules("goteborg"), WEDNESDAY, NOW)) == ["transfer"]


def test_caseload_is_sorted_overdue_first_then_by_deadline():
    caseload = [
        fas2(participant_id=1),  # visit due Sunday
        Facts(participant_id=2, phase=3, review_date=WEDNESDAY + timedelta(days=2)),
        Facts(participant_id=3, phase=3, open_rattelser=[(9, NOW - timedelta(days=3))]),
    ]
    items = due_items(caseload, rules("goteborg"), WEDNESDAY, NOW)
    assert [(i.kind, i.participant_id) for i in items] == [
        ("rattelse", 3), ("review", 2), ("visit", 1)]
