"""The first day of a real installation: what an organisation still has to set up (issue 19).

A pure function from facts about the organisation to the ordered steps, so the admin's home,
the README and the tests agree on one order.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SetupFacts:
    settings_saved: bool  # the admin has saved the programme rules or chosen a preset
    oncall_phone: bool  # the 24/7 number participants see
    support_teams: int
    housing_teams: int
    staff_in_teams: int  # active support staff who are members of an active support team
    social_workers: int
    housing_users: int
    participants: int
    apartments: int


@dataclass(frozen=True)
class SetupStep:
    key: str
    done: bool


# The order a new municipality follows; each key maps to one page in the admin area.
STEP_ORDER = ("settings", "contacts", "teams", "staff", "social_workers", "housing_users",
              "participants", "apartments")


def setup_steps(facts: SetupFacts) -> list[SetupStep]:
    done = {
        "settings": facts.settings_saved,
        "contacts": facts.oncall_phone,
        "teams": facts.support_teams > 0,
        "staff": facts.staff_in_teams > 0,
        "social_workers": facts.social_workers > 0,
        # Housing users need a housing team to administer apartments through.
        "housing_users": facts.housing_users > 0 and facts.housing_teams > 0,
        "participants": facts.participants > 0,
        "apartments": facts.apartments > 0,
    }
    return [SetupStep(key, done[key]) for key in STEP_ORDER]


def next_step(steps: list[SetupStep]) -> SetupStep | None:
    """The first step not done yet (None when the organisation is set up)."""
    return next((step for step in steps if not step.done), None)
