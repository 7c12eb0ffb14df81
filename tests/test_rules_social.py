"""Pure social-services rules (webapp/domain/social.py)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from webapp.domain.due import Facts, due_for
from webapp.domain.rules import PRESETS
from webapp.domain.social import (
    current_decision,
    decision_problems,
    default_period,
    quarterly_status,
    relief_days_in_year,
    relief_warning,
)


def test_a_review_after_the_decision_ends_is_a_problem():
    assert decision_problems(date(2026, 1, 1), date(2027, 6, 30), date(2027, 7, 1),
                             date(2026, 1, 1)) == {"review_date": "review_after_end"}
    assert decision_problems(date(2026, 1, 1), date(2027, 6, 30), date(2027, 6, 30),
                             date(2026, 1, 1)) == {}
    assert decision_problems(date(2026, 1, 1), date(2025, 12, 31), None, None) == {
        "ends_on": "ends_before_start"}


def test_default_period_is_the_decision_months_reviewed_a_month_before_the_end():
    assert default_period(date(2026, 1, 31), 18) == (date(2027, 7, 30), date(2027, 6, 30))


def test_the_newest_live_decision_of_a_kind_is_current():
    rows = [SimpleNamespace(id=1, kind="support", starts_on=date(2025, 1, 1),
                            superseded_by_id=2),
            SimpleNamespace(id=2, kind="support", starts_on=date(2026, 1, 1),
                            superseded_by_id=None),
            SimpleNamespace(id=3, kind="housing", starts_on=date(2026, 6, 1),
                            superseded_by_id=None)]
    assert current_decision(rows).id == 2 and current_decision(rows, "housing").id == 3


def test_acute_relief_days_are_counted_per_calendar_year_with_a_warning():
    rows = [("relief_acute", date(2025, 12, 28), date(2026, 1, 5)),  # 5 days in 2026
            ("relief_acute", date(2026, 3, 1), date(2026, 3, 7)),  # 7
            ("relief_svikt", date(2026, 4, 1), date(2026, 4, 30)),  # another kind
            ("relief_acute", date(2026, 11, 20), None)]  # ongoing: 20–24 Nov, 5 days
    days = relief_days_in_year(rows, 2026, date(2026, 11, 24))
    assert days == 17
    assert relief_warning(days, 14) == "over" and relief_warning(11, 14) == "near"
    assert relief_warning(5, 14) is None and relief_warning(99, 0) is None
    facts = Facts(participant_id=1, phase=3, relief_days_this_year=days)
    items = due_for(facts, PRESETS["stockholm"], date(2026, 11, 24),
                    __import__("datetime").datetime(2026, 11, 24, 9))
    assert [i.kind for i in items] == ["relief"] and items[0].missing == 17
    assert due_for(facts, PRESETS["goteborg"], date(2026, 11, 24),
                   __import__("datetime").datetime(2026, 11, 24, 9)) == []


def test_quarterly_follow_ups_count_from_the_move_in_and_the_third_assesses_the_transfer():
    status = quarterly_status(date(2026, 1, 15), [date(2026, 4, 20), date(2026, 7, 18)], 3)
    assert status.next_number == 3 and status.next_due == date(2026, 10, 18)
    assert status.next_assesses_transfer
    assert not quarterly_status(date(2026, 1, 15), [], 3).next_assesses_transfer


def test_monthly_report_missing_last_month_is_overdue_unless_absent_all_month():
    today = date(2026, 11, 5)
    now = __import__("datetime").datetime(2026, 11, 5, 9)
    facts = Facts(participant_id=1, phase=3, report_months=frozenset())
    item = due_for(facts, PRESETS["goteborg"], today, now)[0]
    assert item.kind == "report" and item.overdue and item.period_start == date(2026, 10, 1)
    absent = Facts(participant_id=1, phase=3, report_months=frozenset(),
                   absences=[(date(2026, 9, 20), date(2026, 11, 1))])
    assert due_for(absent, PRESETS["goteborg"], today, now) == []
