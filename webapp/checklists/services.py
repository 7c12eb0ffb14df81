"""Database side of the monthly checklist: templates, submissions, the current apartment.

The rules themselves (what counts, validation) are in `webapp.domain.checklists`.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..demo import ensure_default_template
from ..domain.checklists import AnswerInput, month_of
from ..extensions import db
from ..models import (
    ChecklistAnswer,
    ChecklistSubmission,
    ChecklistTemplate,
    Contract,
    Organisation,
    Participant,
)
from ..timeutil import format_month


def month_label(month: str) -> str:
    """'2026-03' -> 'mars 2026' ('March 2026' on English pages)."""
    return format_month(date(int(month[:4]), int(month[5:7]), 1))


def current_template(organisation_id: int) -> ChecklistTemplate:
    """The newest template version (version 1 from CHECKLIST.md is created on first use)."""
    template = db.session.scalar(
        select(ChecklistTemplate).where(ChecklistTemplate.organisation_id == organisation_id)
        .order_by(ChecklistTemplate.version.desc()).limit(1)
    )
    if template is None:
        template = ensure_default_template(db.session.get(Organisation, organisation_id))
        db.session.commit()
    return template


def template_version(organisation_id: int, version: str | None) -> ChecklistTemplate:
    """The version a form was opened on (a draft survives a template change), else the newest."""
    if version and version.isdigit() and len(version) <= 9:  # fits an INTEGER column
        template = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.organisation_id == organisation_id,
            ChecklistTemplate.version == int(version)))
        if template is not None:
            return template
    return current_template(organisation_id)


def current_apartment_id(participant_id: int) -> int | None:
    return db.session.scalar(
        select(Contract.apartment_id)
        .where(Contract.participant_id == participant_id, Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date.desc())
    )


def participant_submissions(participant_id: int) -> list[ChecklistSubmission]:
    """Every version of every checklist of one participant, newest first, answers loaded."""
    return list(db.session.scalars(
        select(ChecklistSubmission)
        .where(ChecklistSubmission.participant_id == participant_id)
        .options(selectinload(ChecklistSubmission.answers))
        .order_by(ChecklistSubmission.submitted_at.desc(), ChecklistSubmission.id.desc())
    ))


def submission_of(participant: Participant, submission_id: int) -> ChecklistSubmission | None:
    return db.session.scalar(
        select(ChecklistSubmission)
        .where(ChecklistSubmission.id == submission_id,
               ChecklistSubmission.participant_id == participant.id)
        .options(selectinload(ChecklistSubmission.answers),
                 selectinload(ChecklistSubmission.template))
    )


def correction_of(submission: ChecklistSubmission) -> ChecklistSubmission | None:
    """The newer version that replaced `submission`, if any."""
    return db.session.scalar(
        select(ChecklistSubmission).where(ChecklistSubmission.supersedes_id == submission.id)
    )


def store_submission(participant: Participant, template: ChecklistTemplate, fields: dict,
                     answers: dict[str, AnswerInput], user_id: int, key: str | None,
                     supersedes: ChecklistSubmission | None = None) -> ChecklistSubmission:
    """Add one submission (a new version when `supersedes` is given); the caller commits."""
    submission = ChecklistSubmission(
        participant_id=participant.id,
        apartment_id=supersedes.apartment_id if supersedes else current_apartment_id(
            participant.id),
        template_id=template.id, month=month_of(fields["held_on"]), held_on=fields["held_on"],
        present=fields["present"], general_comment=fields["general_comment"],
        tenant_agrees=fields["tenant_agrees"], tenant_comment=fields["tenant_comment"],
        submitted_by_id=user_id, idempotency_key=key,
        supersedes_id=supersedes.id if supersedes else None,
        version_no=supersedes.version_no + 1 if supersedes else 1,
    )
    db.session.add(submission)
    db.session.flush()
    for item in template.items:
        answer = answers[item.key]
        db.session.add(ChecklistAnswer(submission_id=submission.id, item_key=item.key,
                                       answer=answer.answer, remark=answer.remark))
    db.session.flush()
    return submission
