"""Loading and storing the monthly checklist: template versions, submissions and their
versions, open follow-ups, the apartment a checklist is about.

The rules themselves (what counts, validation) are in `webapp.domain.checklists`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..checklist_defaults import ensure_default_template
from ..domain.checklists import AnswerInput, counting_submissions, month_of
from ..domain.followups import FollowupInput, open_followups
from ..domain.tenancy import add_months
from ..domain.tenancy_life import owes_checklist, phase_on
from ..extensions import db
from ..models import (
    ChecklistAnswer,
    ChecklistFollowupDone,
    ChecklistItem,
    ChecklistSubmission,
    ChecklistTemplate,
    Contract,
    Organisation,
    Participant,
    PhaseChange,
)
from ..queries import absences_by_participant, among
from ..timeutil import format_month, local_today


def month_label(month: str) -> str:
    """'2026-03' -> 'mars 2026' ('March 2026' on English pages)."""
    return format_month(date(int(month[:4]), int(month[5:7]), 1))


@cache
def _newest_template_statement():
    """The organisation's newest template with its items joined in (one statement, not a
    second for the items the form lists), built once with the organisation as a parameter."""
    return (select(ChecklistTemplate)
            .where(ChecklistTemplate.organisation_id == bindparam("org"))
            .order_by(ChecklistTemplate.version.desc()).limit(1)
            .options(joinedload(ChecklistTemplate.items)))


def current_template(organisation_id: int) -> ChecklistTemplate:
    """The newest template version with its items (version 1 from CHECKLIST.md is created on
    first use)."""
    template = db.session.scalars(_newest_template_statement(),
                                  {"org": organisation_id}).unique().first()
    if template is None:
        template = ensure_default_template(db.session.get(Organisation, organisation_id))
        db.session.commit()
    return template


class TemplateItem(NamedTuple):
    section: str
    key: str
    text: str


class TemplateView(NamedTuple):
    """A template version as the blank form shows it: columns, not objects (the template with
    its 22 items as objects was ~900 Python calls of every opening of the form). A value, so the
    kept form has it in its key."""
    id: int
    version: int
    title: str
    items: tuple[TemplateItem, ...]


@cache
def _newest_template_columns_statement():
    """`newest_template`'s query, built once with the organisation as a parameter."""
    newest = (select(ChecklistTemplate.id)
              .where(ChecklistTemplate.organisation_id == bindparam("org"))
              .order_by(ChecklistTemplate.version.desc()).limit(1).scalar_subquery())
    return (select(ChecklistTemplate.id, ChecklistTemplate.version, ChecklistTemplate.title,
                   ChecklistItem.section, ChecklistItem.key, ChecklistItem.text)
            .join(ChecklistItem, ChecklistItem.template_id == ChecklistTemplate.id)
            .where(ChecklistTemplate.id == newest)
            .order_by(ChecklistItem.position, ChecklistItem.id))


def newest_template(organisation_id: int) -> TemplateView:
    """`current_template` as a value: the newest version and its items, in their order."""
    rows = db.session.execute(_newest_template_columns_statement(),
                              {"org": organisation_id}).all()
    if rows:
        return TemplateView(*rows[0][:3], tuple(TemplateItem(*row[3:]) for row in rows))
    template = current_template(organisation_id)  # none yet: version 1 is created
    return TemplateView(template.id, template.version, template.title, tuple(
        TemplateItem(item.section, item.key, item.text) for item in template.items))


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
    return db.session.scalar(_apartment_statement(), {"pid": participant_id})


@cache
def _apartment_statement():
    """`current_apartment_id`'s query, built once with the participant as a parameter."""
    return (select(Contract.apartment_id)
            .where(Contract.participant_id == bindparam("pid"), Contract.ended_on.is_(None))
            .order_by(Contract.move_in_date.desc()))


def participant_submissions(participant_id: int) -> list[ChecklistSubmission]:
    """Every version of every checklist of one participant, newest first, answers loaded."""
    return list(db.session.scalars(
        select(ChecklistSubmission)
        .where(ChecklistSubmission.participant_id == participant_id)
        .options(selectinload(ChecklistSubmission.answers))
        .order_by(ChecklistSubmission.submitted_at.desc(), ChecklistSubmission.id.desc())
    ))


class ListedSubmission(NamedTuple):
    """A version of a checklist as the participant's history lists it: its columns and how
    many of its answers are remarks, not the answers themselves (six months' versions with
    22 answers each were ~3,400 Python calls as objects)."""
    id: int
    participant_id: int
    month: str
    submitted_at: datetime
    version_no: int
    supersedes_id: int | None
    held_on: date
    remarks: int


@cache
def _listed_statement():
    """`listed_submissions`' query, built once with the participant as a parameter."""
    remarks = (select(func.count(ChecklistAnswer.id))
               .where(ChecklistAnswer.submission_id == ChecklistSubmission.id,
                      ChecklistAnswer.answer == "remark").scalar_subquery())
    return (select(ChecklistSubmission.id, ChecklistSubmission.participant_id,
                   ChecklistSubmission.month, ChecklistSubmission.submitted_at,
                   ChecklistSubmission.version_no, ChecklistSubmission.supersedes_id,
                   ChecklistSubmission.held_on, remarks)
            .where(ChecklistSubmission.participant_id == bindparam("pid"))
            .order_by(ChecklistSubmission.submitted_at.desc(), ChecklistSubmission.id.desc()))


def listed_submissions(participant_id: int) -> list[ListedSubmission]:
    """`participant_submissions` for the history list: newest first, remarks counted."""
    return [ListedSubmission(*row)
            for row in db.session.execute(_listed_statement(), {"pid": participant_id})]


# A submission with what its pages show, loaded up front (two queries, any checklist size).
WITH_ANSWERS = (selectinload(ChecklistSubmission.answers),
                selectinload(ChecklistSubmission.template))


def month_submission(participant_id: int, month: str) -> ChecklistSubmission | None:
    """The version that counts for `month` (the newest of its chain), if one was sent."""
    counting = counting_submissions(participant_submissions(participant_id))
    return counting.get((participant_id, month))


def correction_of(submission: ChecklistSubmission) -> ChecklistSubmission | None:
    """The newer version that replaced `submission`, if any."""
    return db.session.scalar(
        select(ChecklistSubmission).where(ChecklistSubmission.supersedes_id == submission.id)
    )


def lock_participant_checklists(participant_id: int) -> None:
    """Hold the participant's row until commit, so that two phones sending a checklist of the
    same month at once are stored one after the other: the second becomes the first's
    correction instead of a second correction of the same version (a unique-key error). FOR NO
    KEY UPDATE: the foreign-key checks of rows the request already wrote (its audit events) hold
    a KEY SHARE lock, which FOR UPDATE would wait for in both requests (a deadlock). A no-op on
    SQLite, which writes one transaction at a time."""
    db.session.execute(select(Participant.id).where(Participant.id == participant_id)
                       .with_for_update(key_share=True))  # FOR NO KEY UPDATE


def store_submission(participant: Participant, template: ChecklistTemplate, fields: dict,
                     answers: dict[str, AnswerInput], user_id: int, key: str | None,
                     supersedes: ChecklistSubmission | None = None,
                     followups: dict[str, FollowupInput] | None = None) -> ChecklistSubmission:
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
        followup = (followups or {}).get(item.key) or FollowupInput()
        db.session.add(ChecklistAnswer(submission_id=submission.id, item_key=item.key,
                                       answer=answer.answer, remark=answer.remark,
                                       followup_action=followup.action,
                                       followup_owner=followup.owner,
                                       followup_due=followup.due))
    db.session.flush()
    return submission


# --- follow-ups (CHECKLIST.md version 2) ------------------------------------------------------

def followups_open(participant_ids: list[int]) -> list:
    """Open follow-ups of these participants, earliest deadline first (three queries)."""
    if not participant_ids:
        return []
    rows = db.session.execute(_followups_statement(), {"ids": list(participant_ids)}).all()
    if not rows:
        return []
    superseded = set(db.session.scalars(
        select(ChecklistSubmission.supersedes_id)
        .where(ChecklistSubmission.participant_id.in_(participant_ids),
               ChecklistSubmission.supersedes_id.is_not(None))))
    done = set(db.session.scalars(select(ChecklistFollowupDone.answer_id).where(
        ChecklistFollowupDone.answer_id.in_([row.answer_id for row in rows]))))
    return open_followups(rows, superseded, done)


@cache
def _followups_statement():
    """`followups_open`'s first query, built once with the participants as a parameter (the
    checklist form asks it on every opening)."""
    return (select(ChecklistAnswer.id.label("answer_id"), ChecklistAnswer.item_key,
                   ChecklistAnswer.followup_action, ChecklistAnswer.followup_owner,
                   ChecklistAnswer.followup_due, ChecklistSubmission.id.label("submission_id"),
                   ChecklistSubmission.participant_id, ChecklistSubmission.held_on)
            .join(ChecklistSubmission, ChecklistAnswer.submission_id == ChecklistSubmission.id)
            .where(ChecklistSubmission.participant_id.in_(bindparam("ids", expanding=True)),
                   ChecklistAnswer.followup_action != ""))


def item_texts(participant_id: int) -> dict[str, str]:
    """Item key -> text, from every template version the participant's checklists used."""
    rows = db.session.execute(
        select(ChecklistItem.key, ChecklistItem.text)
        .join(ChecklistSubmission, ChecklistSubmission.template_id == ChecklistItem.template_id)
        .where(ChecklistSubmission.participant_id == participant_id)
        .order_by(ChecklistItem.template_id)
    ).all()
    return {key: text for key, text in rows}


def followups_done(answer_ids: list[int]) -> dict[int, ChecklistFollowupDone]:
    if not answer_ids:
        return {}
    return {row.answer_id: row for row in db.session.scalars(
        select(ChecklistFollowupDone).where(ChecklistFollowupDone.answer_id.in_(answer_ids)))}


def owed_checklist_ids(tenancies: list[tuple[int, date | None]], month: str) -> set[int]:
    """Participants (with their current move-in) who owed the checklist for `month`: fas 2 on
    its first day, moved in before it, not absent all of it (domain.tenancy_life)."""
    ids = [pid for pid, _m in tenancies]
    if not ids:
        return set()
    first = date.fromisoformat(f"{month}-01")
    last = add_months(first, 1) - timedelta(days=1)
    phases: dict[int, list] = {pid: [] for pid in ids}
    for pid, started, phase in db.session.execute(
            select(PhaseChange.participant_id, PhaseChange.started_on, PhaseChange.phase)
            .where(among(PhaseChange.participant_id, ids))):
        phases[pid].append((started, phase))
    absences = absences_by_participant(ids)
    today = local_today()
    return {pid for pid, move_in in tenancies
            if owes_checklist(first, last, phase_on(phases[pid], first), move_in, None,
                              absences.get(pid, []), today)}
