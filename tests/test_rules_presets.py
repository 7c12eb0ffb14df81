"""Programme rules (webapp/domain/rules.py): four complete presets, per-team overrides, the
plain-Swedish description, and the visit rule at its edges (ISO week 53, absences)."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from webapp.domain.due import Facts, due_for
from webapp.domain.rules import PRESETS, Rules, describe, effective_rules, preset_values
from webapp.domain.visits import (
    VisitRule,
    ended_periods_not_met,
    period_bounds,
    required_in,
    visit_compliance,
)

NOW = datetime(2026, 11, 18, 9, 0)


def org(preset: str, **kw):
    return SimpleNamespace(**(preset_values(preset) | kw))


def team(**kw):
    values = dict(rules_preset=None, min_visits=None, visit_period=None,
                  visits_with_social_services=None, any_meeting_counts=None,
                  transfer_months=None, decision_months=None, relief_days_per_year=None)
    return SimpleNamespace(**(values | kw))


def test_each_preset_sets_its_whole_row_of_the_table():
    gbg, sthlm = effective_rules(org("goteborg")), effective_rules(org("stockholm"))
    hbg, gavle = effective_rules(org("helsingborg")), effective_rules(org("gavle"))
    assert (gbg.min_visits, gbg.visit_period, gbg.any_meeting_counts) == (1, "week", False)
    assert (sthlm.min_visits, sthlm.visit_period, sthlm.visits_with_social_services) == (
        4, "month", 1)
    assert sthlm.any_meeting_counts and sthlm.quarterly_follow_ups
    assert (sthlm.transfer_months, sthlm.transfer_at_follow_up) == (9, 3)
    assert (sthlm.relief_kind, sthlm.relief_days_per_year) == ("acute", 14)
    assert (hbg.transfer_months, hbg.relief_kind, hbg.transfer_inspection) == (12, "svikt", True)
    assert (gavle.transfer_months, gavle.matching, gavle.breakdown_analysis) == (18, True, True)


def test_a_team_override_wins_over_its_organisation():
    gothenburg = org("goteborg")
    assert effective_rules(gothenburg, team()) == effective_rules(gothenburg)
    stockholm_team = effective_rules(gothenburg, team(rules_preset="stockholm"))
    assert stockholm_team.visit_period == "month" and stockholm_team.relief_days_per_year == 14
    two_a_week = effective_rules(gothenburg, team(min_visits=2, any_meeting_counts=True))
    assert (two_a_week.min_visits, two_a_week.visit_period, two_a_week.any_meeting_counts) == (
        2, "week", True)
    # An override lowering the minimum also caps the visits with social services.
    capped = effective_rules(org("stockholm"), team(min_visits=0))
    assert capped.visits_with_social_services == 0


def test_a_team_override_changes_what_is_due():
    """Two teams in one municipality: the same week is missed in one and fine in the other."""
    wednesday = date(2026, 11, 18)
    facts = Facts(participant_id=1, phase=2, checklist_months=frozenset({"2026-11"}),
                  visits=[(date(2026, 11, 2), True, "meeting")])
    gothenburg = org("goteborg")
    assert [i.kind for i in due_for(facts, effective_rules(gothenburg), wednesday, NOW)] == [
        "visit"]
    monthly = effective_rules(gothenburg, team(min_visits=1, visit_period="month",
                                               any_meeting_counts=True))
    assert due_for(facts, monthly, wednesday, NOW) == []


def test_stockholm_counts_any_meeting_but_not_a_phone_call():
    rules = PRESETS["stockholm"]
    visits = [(date(2026, 11, d), d == 3, kind) for d, kind in
              ((2, "meeting"), (3, "home_visit"), (10, "sip"), (17, "phone"))]
    compliance = visit_compliance(rules.visit_rule, visits, date(2026, 11, 18))
    assert compliance.done == 3 and compliance.done_with_social_services == 1
    assert not compliance.met
    visits.append((date(2026, 11, 18), False, "healthcare"))
    assert visit_compliance(rules.visit_rule, visits, date(2026, 11, 18)).met
    # Göteborg: only home visits count (the meeting on the 2nd does not, the visit on the 3rd does).
    assert visit_compliance(PRESETS["goteborg"].visit_rule, visits,
                            date(2026, 11, 2)).done == 1


def test_iso_week_53_is_one_period_across_the_new_year():
    # 2026 has 53 ISO weeks: Monday 28 December 2026 – Sunday 3 January 2027.
    start, end = period_bounds(date(2027, 1, 2), "week")
    assert (start, end) == (date(2026, 12, 28), date(2027, 1, 4))
    assert date(2026, 12, 31).isocalendar().week == 53
    rule = VisitRule(1, "week")
    assert visit_compliance(rule, [(date(2026, 12, 29), False)], date(2027, 1, 3)).met
    missed = ended_periods_not_met(rule, [(date(2026, 12, 22), False)], [], date(2026, 12, 1),
                                   date(2027, 1, 5))
    assert date(2026, 12, 28) in missed and date(2026, 12, 21) not in missed


def test_an_absence_across_a_month_end_owes_nothing_on_its_days():
    rule = VisitRule(1, "week")
    # Absent Friday 27 November – Sunday 6 December 2026: the week of 30 Nov owes nothing.
    absences = [(date(2026, 11, 27), date(2026, 12, 6))]
    assert required_in(rule, date(2026, 11, 30), date(2026, 12, 7), absences) == (0, 0)
    # The week of 23 Nov had four days at home: one visit still owed.
    assert required_in(rule, date(2026, 11, 23), date(2026, 11, 30), absences) == (1, 0)
    missed = ended_periods_not_met(rule, [], absences, date(2026, 11, 16), date(2026, 12, 8))
    assert missed == [date(2026, 11, 16), date(2026, 11, 23)]
    # Stockholm's month: 4 meetings scaled by the days at home, rounded up.
    month = PRESETS["stockholm"].visit_rule
    assert required_in(month, date(2026, 12, 1), date(2027, 1, 1),
                       [(date(2026, 11, 20), date(2026, 12, 16))]) == (2, 1)
    facts = Facts(participant_id=1, phase=2, absences=[(date(2026, 11, 1), None)])
    assert due_for(facts, PRESETS["goteborg"], date(2026, 11, 18), NOW) == []


def test_custody_is_owed_a_visit_until_the_absence_is_recorded():
    facts = Facts(participant_id=1, phase=2)
    assert {i.kind for i in due_for(facts, PRESETS["goteborg"], date(2026, 11, 18), NOW)} == {
        "visit", "checklist"}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_has_a_plain_swedish_description(app, preset):
    with app.test_request_context():
        lines = describe(effective_rules(org(preset)))
    assert lines and all(isinstance(line, str) and line for line in lines)
    text = " ".join(lines)
    assert "nästa arbetsdag" in text
    if preset == "stockholm":
        assert "Alla möten räknas" in text and "14 dagar" in text and "kvartal" in text
    if preset == "helsingborg":
        assert "Sviktlägenhet" in text
    if preset == "gavle":
        assert "Matchning" in text and "Haveri-analys" in text


def test_rules_of_an_organisation_without_the_new_columns_fall_back_to_its_preset():
    legacy = SimpleNamespace(preset="stockholm", min_visits=4, visit_period="month",
                             visits_with_social_services=1, transfer_months=9,
                             decision_months=24, checklist_monthly=True)
    assert Rules.of(legacy).any_meeting_counts and Rules.of(legacy).quarterly_follow_ups
