"""Programme figures on a known data set: every value asserted exactly."""
from datetime import date

import pytest

from webapp.domain.figures import (
    FIGURES,
    FigureValue,
    ParticipantFacts,
    checklists_on_time,
    decision_to_move_in,
    disturbances_per_apartment_year,
    figure_series,
    last_months,
    month_end,
    monthly_figures,
    retention,
    visit_share,
)
from webapp.domain.visits import VisitRule

WEEKLY = VisitRule(1, "week")
STOCKHOLM = VisitRule(4, "month", 1)
TODAY = date(2026, 3, 20)


def person(pid, **kw):
    return ParticipantFacts(id=pid, **kw)


def test_retention_counts_only_those_far_enough_past_move_in():
    people = [
        # moved in 2025-01-10, still housed: counts, housed
        person(1, contracts=((date(2025, 1, 10), None),)),
        # moved in 2025-02-01, contract ended 2025-12-31 (before 2026-02-01): counts, not housed
        person(2, contracts=((date(2025, 2, 1), date(2025, 12, 31)),)),
        # transferred: second-hand ended, first-hand continues: housed at 12 months
        person(3, contracts=((date(2025, 1, 5), date(2025, 9, 30)), (date(2025, 10, 1), None))),
        # moved in 2025-06-01: not yet 12 months -> not in the cohort
        person(4, contracts=((date(2025, 6, 1), None),)),
        # never moved in
        person(5),
    ]
    value = retention(people, 12, date(2026, 2, 1), TODAY)
    assert (value.numerator, value.denominator) == (2, 3)
    assert value.value == pytest.approx(2 / 3)
    assert value.percent == 67
    assert retention(people, 24, date(2026, 2, 1), TODAY) == FigureValue(None, 0, 0)


def test_retention_housed_on_the_anniversary_day_counts():
    people = [person(1, contracts=((date(2025, 1, 31), date(2026, 1, 31)),))]
    assert retention(people, 12, date(2026, 1, 1), TODAY).value == 1.0


def test_retention_of_the_current_month_stops_at_today():
    people = [person(1, contracts=((date(2025, 3, 25), None),))]
    # 12 months falls on 2026-03-25, after today (2026-03-20): not yet in the cohort.
    assert retention(people, 12, date(2026, 3, 1), TODAY).denominator == 0


def test_visit_share_counts_finished_fas2_weeks_starting_in_the_month():
    # February 2026: Mondays 2, 9, 16, 23 (all finished by today).
    fas2 = ((date(2025, 12, 1), 2),)
    people = [
        person(1, phases=fas2, visits=((date(2026, 2, 3), False), (date(2026, 2, 10), False),
                                       (date(2026, 2, 17), False), (date(2026, 2, 24), False))),
        person(2, phases=fas2, visits=((date(2026, 2, 4), False),)),
        # fas 2 from 2026-02-16: only weeks of 16th and 23rd count; one visit on the 18th
        person(3, phases=((date(2025, 12, 1), 1), (date(2026, 2, 16), 2)),
               visits=((date(2026, 2, 18), False),)),
        person(4, phases=((date(2025, 1, 1), 3),)),  # fas 3: not counted
    ]
    value = visit_share(people, WEEKLY, date(2026, 2, 1), TODAY)
    assert (value.numerator, value.denominator) == (6, 10)
    assert value.value == 0.6


def test_visit_share_leaves_out_the_week_not_yet_over():
    # March 2026 Mondays: 2, 9, 16 (16-22 not over on the 20th) -> weeks 2 and 9 only.
    people = [person(1, phases=((date(2025, 1, 1), 2),), visits=((date(2026, 3, 3), False),))]
    value = visit_share(people, WEEKLY, date(2026, 3, 1), TODAY)
    assert (value.numerator, value.denominator) == (1, 2)


def test_visit_share_monthly_rule_with_social_services():
    fas2 = ((date(2025, 1, 1), 2),)
    four = tuple((date(2026, 1, d), d == 5) for d in (5, 12, 19, 26))
    four_without_soc = tuple((date(2026, 1, d), False) for d in (5, 12, 19, 26))
    people = [person(1, phases=fas2, visits=four), person(2, phases=fas2, visits=four_without_soc)]
    value = visit_share(people, STOCKHOLM, date(2026, 1, 1), TODAY)
    assert (value.numerator, value.denominator) == (1, 2)
    # March is not over: no period to count yet.
    assert visit_share(people, STOCKHOLM, date(2026, 3, 1), TODAY).value is None


def test_checklists_on_time_share_of_fas2_participant_months():
    fas2 = ((date(2025, 1, 1), 2),)
    people = [
        person(1, phases=fas2, checklist_months=frozenset({"2026-01", "2026-02"})),
        person(2, phases=fas2, checklist_months=frozenset({"2026-01"})),
        person(3, phases=fas2),
        person(4, phases=((date(2026, 2, 10), 2),), checklist_months=frozenset({"2026-02"})),
    ]
    jan = checklists_on_time(people, date(2026, 1, 1), TODAY)
    feb = checklists_on_time(people, date(2026, 2, 1), TODAY)
    assert (jan.numerator, jan.denominator) == (2, 3)
    assert (feb.numerator, feb.denominator) == (1, 3)  # person 4 was not in fas 2 on Feb 1
    assert checklists_on_time(people, date(2026, 4, 1), TODAY).value is None


def test_disturbances_per_apartment_year():
    # February 2026 has 28 days; two apartments all month, one from the 15th (14 days) = 70 days.
    people = [
        person(1, contracts=((date(2025, 1, 1), None),),
               disturbances=(date(2026, 2, 3), date(2026, 2, 20), date(2026, 1, 30))),
        person(2, contracts=((date(2025, 6, 1), None),)),
        person(3, contracts=((date(2026, 2, 15), None),), disturbances=(date(2026, 2, 15),)),
    ]
    value = disturbances_per_apartment_year(people, date(2026, 2, 1), TODAY)
    assert value.numerator == 3
    assert value.denominator == pytest.approx(70 / 365)
    assert value.value == pytest.approx(3 * 365 / 70)


def test_disturbances_without_any_contract_is_no_value():
    value = disturbances_per_apartment_year([person(1)], date(2026, 2, 1), TODAY)
    assert value.value is None


def test_decision_to_move_in_median_days():
    people = [
        person(1, decision_date=date(2026, 1, 1), contracts=((date(2026, 2, 10), None),)),  # 40
        person(2, decision_date=date(2026, 1, 20), contracts=((date(2026, 2, 19), None),)),  # 30
        person(3, decision_date=date(2025, 12, 1), contracts=((date(2026, 2, 9), None),)),  # 70
        person(4, decision_date=date(2025, 12, 1), contracts=((date(2026, 3, 1), None),)),  # Mar
        person(5, contracts=((date(2026, 2, 1), None),)),  # no decision date
    ]
    assert decision_to_move_in(people, date(2026, 2, 1)) == FigureValue(40.0, 3, 3)
    two = people[:2]
    assert decision_to_move_in(two, date(2026, 2, 1)).value == 35.0
    assert decision_to_move_in(people, date(2026, 1, 1)).value is None


def test_series_covers_twelve_months_oldest_first_and_every_figure():
    months = last_months(date(2026, 3, 20))
    assert months[0] == date(2025, 4, 1) and months[-1] == date(2026, 3, 1)
    assert len(months) == 12
    series = figure_series([], WEEKLY, date(2026, 3, 1), TODAY)
    assert [m for m, _ in series] == months
    assert set(series[0][1]) == {f.key for f in FIGURES}
    assert monthly_figures([], WEEKLY, date(2026, 3, 1), TODAY)["visits"].value is None
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
