"""The tenancy counter and the visit rule under the three presets (DESIGN §1)."""
from datetime import date

import pytest

from webapp.domain.tenancy import add_months, merge_periods, tenancy_status
from webapp.domain.visits import VisitRule, period_bounds, visit_compliance
from webapp.models import PRESETS


@pytest.mark.parametrize("preset,months,expected", [
    ("goteborg", 18, date(2027, 7, 15)),
    ("stockholm", 9, date(2026, 10, 15)),
    ("helsingborg", 12, date(2027, 1, 15)),
])
def test_transfer_date_without_absence(preset, months, expected):
    assert PRESETS[preset]["transfer_months"] == months
    status = tenancy_status(date(2026, 1, 15), [], months, today=date(2026, 3, 15))
    assert status.expected_transfer == expected
    assert status.good_days == 59
    assert status.months_done == 2
    assert not status.reached


def test_absence_across_month_end_is_deducted():
    # 28 Jan - 3 Feb inclusive = 7 days, spanning a month end.
    status = tenancy_status(date(2026, 1, 1), [(date(2026, 1, 28), date(2026, 2, 3))], 18,
                            today=date(2026, 3, 1))
    assert status.absence_days == 7
    assert status.good_days == 59 - 7
    assert status.expected_transfer == date(2027, 7, 1) + (date(2027, 7, 8) - date(2027, 7, 1))


def test_overlapping_and_ongoing_absences():
    absences = [(date(2026, 2, 1), date(2026, 2, 10)), (date(2026, 2, 5), date(2026, 2, 12)),
                (date(2026, 3, 1), None)]
    status = tenancy_status(date(2026, 1, 1), absences, 12, today=date(2026, 3, 5))
    assert status.absence_days == 12 + 4  # 1-12 Feb, then 1-4 Mar (today not counted)
    assert merge_periods(absences[:2], until=date(2026, 3, 5)) == [
        (date(2026, 2, 1), date(2026, 2, 12))]


def test_absence_before_move_in_does_not_count():
    status = tenancy_status(date(2026, 1, 10), [(date(2025, 12, 20), date(2026, 1, 12))], 9,
                            today=date(2026, 1, 20))
    assert status.absence_days == 3  # 10, 11, 12 Jan
    assert status.good_days == 10 - 3


def test_reached_after_required_months():
    status = tenancy_status(date(2025, 1, 1), [], 18, today=date(2026, 8, 1))
    assert status.reached and status.months_done == 18 and status.share == 1.0


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_weekly_rule_goteborg_counts_iso_week():
    rule = VisitRule(**{"min_visits": 1, "period": "week"})
    sunday = date(2026, 11, 29)
    assert period_bounds(sunday, "week") == (date(2026, 11, 23), date(2026, 11, 30))
    assert not visit_compliance(rule, [(date(2026, 11, 22), False)], sunday).met  # last week
    assert visit_compliance(rule, [(date(2026, 11, 23), False)], sunday).met


def test_monthly_rule_stockholm_needs_four_and_one_with_social_services():
    rule = VisitRule(min_visits=4, period="month", with_social_services=1)
    day = date(2026, 11, 23)
    four = [(date(2026, 11, d), False) for d in (2, 9, 16, 20)]
    assert not visit_compliance(rule, four, day).met
    with_soc = four[:3] + [(date(2026, 11, 20), True)]
    status = visit_compliance(rule, with_soc, day)
    assert status.met and status.done == 4
    assert visit_compliance(rule, four[:2], day).missing == 2


def test_helsingborg_defaults_to_weekly():
    assert PRESETS["helsingborg"]["visit_period"] == "week"
    assert PRESETS["helsingborg"]["min_visits"] == 1
