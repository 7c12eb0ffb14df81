"""Demo additions for issue 16: a remark with an open follow-up (åtgärd, ansvarig, klart senast),
so the next month's form, Idag and housing's checklist show one."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .extensions import db
from .models import ChecklistAnswer
from .timeutil import local_today


def seed_followups() -> None:
    """Give the demo's damp remarks a follow-up for the landlord."""
    for answer in db.session.scalars(select(ChecklistAnswer).where(
            ChecklistAnswer.answer == "remark", ChecklistAnswer.followup_action == "")):
        answer.followup_action = "Hyresvärden åtgärdar fukten under fönstret."
        answer.followup_owner = "landlord"
        answer.followup_due = local_today() + timedelta(days=7)
    db.session.flush()
