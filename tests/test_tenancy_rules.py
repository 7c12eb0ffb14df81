"""Pure rules of the tenancy's life (webapp/domain/tenancy_life.py) and its figures."""
from __future__ import annotations

from datetime import date

from webapp.domain import figures as fig
from webapp.domain.tenancy import tenancy_status
from webapp.domain.tenancy_life import (
    ALREADY_FIRST_HAND,
    COUNTER_NOT_REACHED,
    DISTURBANCES,
    ENDED,
    NOT_MOVED_IN,
    UNPAID_RENT,
    owes_checklist,
    same_company,
    stage,
    tenure_waiver_end,
    transfer_eligibility,
)

MOVE_IN = date(2024, 1, 10)


def _status(today, absences=()):
    return tenancy_status(MOVE_IN, list(absences), 18, today)


def test_transfer_eligible_when_counter_reached_without_notices():
    result = transfer_eligibility(_status(date(2025, 8, 1)), "second_hand", False, [])
    assert result.eligible and result.reasons == ()


def test_transfer_not_eligible_before_counter_shows_expected_date():
    result = transfer_eligibility(_status(date(2025, 1, 1)), "second_hand", False, [])
    assert not result.eligible
    assert result.reasons == (COUNTER_NOT_REACHED,)
    assert result.expected == date(2025, 7, 10)


def test_absence_pushes_the_expected_transfer_later():
    status = _status(date(2025, 7, 15), absences=[(date(2024, 3, 1), date(2024, 3, 10))])
    result = transfer_eligibility(status, "second_hand", False, [])
    assert result.reasons == (COUNTER_NOT_REACHED,)
    assert result.expected == date(2025, 7, 20)


def test_unpaid_rent_in_the_period_blocks_transfer():
    result = transfer_eligibility(_status(date(2025, 8, 1)), "second_hand", False,
                                  [(date(2025, 2, 1), "unpaid_rent")])
    assert not result.eligible and result.reasons == (UNPAID_RENT,) and result.unpaid_rent == 1


def test_disturbance_in_the_period_blocks_transfer_but_not_one_before_move_in():
    notices = [(date(2024, 5, 5), "minor"), (date(2023, 12, 1), "serious")]
    result = transfer_eligibility(_status(date(2025, 8, 1)), "second_hand", False, notices)
    assert result.reasons == (DISTURBANCES,) and result.disturbances == 1


def test_every_reason_is_listed_together():
    notices = [(date(2024, 5, 5), "very_serious"), (date(2024, 6, 1), "unpaid_rent")]
    result = transfer_eligibility(_status(date(2024, 9, 1)), "second_hand", False, notices)
    assert result.reasons == (COUNTER_NOT_REACHED, UNPAID_RENT, DISTURBANCES)


def test_no_transfer_before_move_in_for_first_hand_or_ended():
    assert transfer_eligibility(None, None, False, []).reasons == (NOT_MOVED_IN,)
    assert transfer_eligibility(_status(date(2025, 8, 1)), "first_hand", False,
                                []).reasons == (ALREADY_FIRST_HAND,)
    assert transfer_eligibility(_status(date(2025, 8, 1)), "second_hand", True,
                                []).reasons == (ENDED,)


def test_same_company_warning_ignores_case_spaces_and_ab():
    assert same_company("Bostadsbolaget", ["bostadsbolaget AB"])
    assert same_company("  Familjebostäder ", ["AB Familjebostäder"])
    assert not same_company("Poseidon", ["Bostadsbolaget"])
    assert not same_company("", ["Bostadsbolaget"])
    assert not same_company("Poseidon", [])


def test_checklist_owed_only_in_fas_2_after_move_in_and_not_absent_all_month():
    first, last, today = date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 5)
    assert owes_checklist(first, last, 2, date(2026, 1, 10), None, [], today)
    # Moved in during the month: the duty starts next month.
    assert not owes_checklist(first, last, 2, date(2026, 3, 2), None, [], today)
    # First-hand contract (fas 3) or still planning (fas 1): not owed.
    assert not owes_checklist(first, last, 3, date(2024, 1, 10), None, [], today)
    assert not owes_checklist(first, last, 1, None, None, [], today)
    # Absent the whole month (hospital): nothing owed; absent part of it: still owed.
    assert not owes_checklist(first, last, 2, date(2026, 1, 10), None,
                              [(date(2026, 2, 20), date(2026, 4, 2))], today)
    assert owes_checklist(first, last, 2, date(2026, 1, 10), None,
                          [(date(2026, 3, 5), date(2026, 3, 20))], today)
    # An open absence that covers the month so far.
    assert not owes_checklist(first, last, 2, date(2026, 1, 10), None,
                              [(date(2026, 2, 1), None)], date(2026, 3, 20))
    # Ended before the month.
    assert not owes_checklist(first, last, 2, date(2026, 1, 10), date(2026, 2, 27), [], today)


def test_stage_follows_the_records():
    today = date(2026, 3, 1)
    assert stage(None, None, "", None, False, True, today) == "offer"
    assert stage("second_hand", date(2026, 3, 10), "", None, False, False, today) == "signed"
    assert stage("second_hand", date(2026, 1, 10), "", None, False, False, today) == "living"
    assert stage("second_hand", date(2026, 1, 10), "", None, True, False, today) == "transfer"
    assert stage("first_hand", date(2024, 1, 10), "", None, False, False, today) == "first_hand"
    assert stage("second_hand", date(2025, 1, 10), "terminated", None, False, False,
                 today) == "ending"
    assert stage("second_hand", date(2025, 1, 10), "terminated", date(2026, 2, 1), False,
                 False, today) == "ended"


def test_tenure_waiver_ends_two_years_after_start():
    assert tenure_waiver_end(date(2026, 3, 1)) == date(2028, 3, 1)
    assert tenure_waiver_end(date(2024, 2, 29)) == date(2026, 2, 28)


# --- figures ---------------------------------------------------------------------------------

def _person(pid, move_in, end=None, **kw):
    return fig.ParticipantFacts(id=pid, contracts=((move_in, end),), **kw)


def test_kvarboende_counts_a_terminated_tenancy_as_not_housed():
    people = [_person(1, date(2024, 1, 10)),
              _person(2, date(2024, 1, 10), end=date(2024, 9, 1))]  # terminated, ended
    value = fig.retention(people, 12, date(2025, 3, 1), date(2025, 3, 15))
    assert (value.numerator, value.denominator, value.percent) == (1, 2, 50)


def test_offer_to_move_in_median_for_move_ins_in_the_month():
    people = [
        fig.ParticipantFacts(id=1, offers=((date(2026, 1, 1), True, date(2026, 2, 10)),)),
        fig.ParticipantFacts(id=2, offers=((date(2026, 1, 20), False, date(2026, 2, 10)),)),
        fig.ParticipantFacts(id=3, offers=((date(2026, 1, 20), True, None),)),
    ]
    value = fig.offer_to_move_in(people, date(2026, 2, 1))
    assert value.value == (40 + 21) / 2 and value.numerator == 2
    assert fig.offer_to_move_in(people, date(2026, 3, 1)).value is None


def test_share_of_offers_with_a_real_choice_of_two():
    people = [
        fig.ParticipantFacts(id=1, offers=((date(2026, 1, 5), True, None),)),
        fig.ParticipantFacts(id=2, offers=((date(2026, 1, 9), False, None),
                                           (date(2026, 2, 9), True, None))),
    ]
    value = fig.choice_of_two(people, date(2026, 1, 1))
    assert (value.numerator, value.denominator, value.percent) == (1, 2, 50)
    assert fig.choice_of_two(people, date(2026, 3, 1)).value is None


def test_time_to_transfer_median():
    people = [fig.ParticipantFacts(id=1, transfers=((date(2024, 1, 10), date(2025, 7, 20)),)),
              fig.ParticipantFacts(id=2, transfers=((date(2024, 2, 1), date(2025, 7, 1)),))]
    value = fig.time_to_transfer(people, date(2025, 7, 1))
    assert value.value == ((date(2025, 7, 20) - date(2024, 1, 10)).days
                           + (date(2025, 7, 1) - date(2024, 2, 1)).days) / 2


def test_ends_by_reason_counts_each_reason_in_the_range():
    people = [fig.ParticipantFacts(id=1, ends=((date(2026, 1, 5), "terminated"),)),
              fig.ParticipantFacts(id=2, ends=((date(2026, 1, 7), "died"),
                                               (date(2025, 1, 7), "terminated"))),
              fig.ParticipantFacts(id=3, ends=((date(2026, 1, 9), "something"),))]
    counts = fig.ends_by_reason(people, date(2026, 1, 1), date(2026, 1, 31))
    assert counts["terminated"] == 1 and counts["died"] == 1 and counts["other"] == 1
    assert counts["moved_by_choice"] == 0
