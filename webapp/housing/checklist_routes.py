"""Housing administration: the monthly checklist inbox per apartment, one checklist, CSV, print.

Scope: the housing user's apartments (visible_participants + the apartment's housing team).
Nothing from plans, visits or health is loaded here, only the checklist and name + address
(masked for protected identities).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    join,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from ..access import (
    apartment_or_404,
    assigned_sql,
    display_address,
    display_name,
    get_participant_or_404,
    housing_team_ids,
    housing_tenancies,
    in_my_teams,
    may_see_identity,
    remember_assignments,
)
from ..audit import record, record_list
from ..checklists.submissions import WITH_ANSWERS, month_label, owed_checklist_ids
from ..csv_export import csv_response, to_csv
from ..domain.checklists import (
    month_of,
    month_status,
    parse_month,
    shift_month,
    version_chain,
)
from ..extensions import db
from ..inputs import page_of
from ..models import (
    Apartment,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistSubmission,
    Contract,
    Organisation,
    Participant,
)
from ..queries import among, among_param, among_value
from ..rendering import render
from ..timeutil import local_today
from . import bp
from .facts_store import FACT_COLUMNS, complete, counting_checklists, with_facts
from .statements import built_once, run, written_once
from .summaries import generation_of, stored
from .summaries import store as store_summary
from .tenants import TENANT_COLUMNS, Tenant

INBOX_PER_PAGE = 50
ANSWER_LABELS = {"ok": "OK", "remark": "Anmärkning", "na": "Ej aktuellt"}


class Flat(NamedTuple):
    """What the inbox shows of an apartment (and `display_address` reads), as columns."""

    id: int
    address: str
    apartment_number: str
    protected_address: bool


FLAT_COLUMNS = (Apartment.id, Apartment.address, Apartment.apartment_number,
                Apartment.protected_address)


class Sent(NamedTuple):
    """What the inbox shows of a counting checklist, as columns."""

    id: int
    held_on: date
    version_no: int
    tenant_agrees: bool
    template_id: int


SENT_COLUMNS = (ChecklistSubmission.id, ChecklistSubmission.held_on,
                ChecklistSubmission.version_no, ChecklistSubmission.tenant_agrees,
                ChecklistSubmission.template_id)


@dataclass
class InboxRow:
    participant: Tenant
    apartment: Flat
    status: str
    submission: Sent | None = None
    remarks: list[tuple[str, str]] = field(default_factory=list)  # (item text, remark)
    # What the page shows of the tenant, decided by `shown_to` with the user resolved once
    # (through the `current_user` proxy a few times a row in the template).
    name: str = ""
    address: str = ""
    show_number: bool = False

    def shown_to(self, user) -> InboxRow:
        self.name = display_name(self.participant, user)
        self.address = display_address(self.participant, self.apartment.address, user,
                                       apartment=self.apartment)
        self.show_number = bool(self.apartment.apartment_number) and may_see_identity(
            user, self.participant)
        return self


def _inbox(month: str) -> list[tuple[int, int, str, int | None]]:
    """One row per apartment of mine with a current tenant that owed or sent that month's
    checklist, in address order: (participant id, apartment id, status, counting submission
    id). Read as columns; `_rows` loads what a page shows of them. Whether a checklist is
    owed is a stored fact this month (facts_store), worked out for the month asked for else."""
    today = local_today()
    this_month = month_of(today)
    query = (housing_tenancies(current_user)
             .order_by(Apartment.address, Apartment.apartment_number, Contract.participant_id))
    current = month == this_month
    if current:
        query = with_facts(query.add_columns(generation_of(literal(
            current_user.organisation_id))), today, Contract.participant_id)
    triples = db.session.execute(query).all()
    first = date.fromisoformat(f"{month}-01")
    generations: dict[int, int] = {}
    if current:
        width = len(FACT_COLUMNS)
        stale = any(not row[-width - 1] for row in triples)
        facts = complete(triples, lambda: current_user.organisation, today, generations)
        sent = {pid: (fact.checklist_id, fact.checklist_apartment_id)
                for pid, fact in facts.items() if fact.checklist_id is not None}
    else:
        sent = {pid: (submission.id, submission.apartment_id) for pid, submission in
                counting_checklists(sorted({row[0] for row in triples}), month).items()}
    # Only a tenancy that moved in before the month can owe it (domain.tenancy_life); a
    # participant owing it for one tenancy is listed for each without the checklist.
    before = [(pid, move_in) for pid, _a, move_in, *_f in triples
              if move_in is not None and move_in < first]
    if current:
        owing = {pid for pid, _move_in in before if facts[pid].checklist_owed}
    else:
        owing = owed_checklist_ids(before, month)
    rows = []
    for pid, apartment_id, _move_in, *_facts in triples:
        submission_id, filed_for = sent.get(pid, (None, None))
        if filed_for != apartment_id:
            submission_id = None  # filed for another apartment: not this one's checklist
        if submission_id is None and pid not in owing:
            continue  # owed nothing that month (not fas 2, moved in later, absent all month)
        rows.append((pid, apartment_id, month_status(month, submission_id, this_month).status,
                     submission_id))
    if current and triples:
        # Stored at the generation the facts' own store left only if that was the next one
        # (no other write between this read and that store).
        org, read = current_user.organisation_id, triples[0][3]
        if not stale or generations.get(org) == read + 1:
            _store_inbox(today, generations.get(org, read),
                         [f"{pid}:{apartment_id}:{sent or ''}"
                          for pid, apartment_id, _status, sent in rows],
                         sum(1 for r in rows if r[3] is not None))
    return rows


def _inbox_key() -> str:
    """The key of this month's inbox's stored summary: a housing user's inbox is their
    organisation's tenancies in their teams' apartments, the same for each user of them."""
    user = current_user._get_current_object()  # noqa: SLF001 - the proxy once
    who = (f"t{','.join(map(str, housing_team_ids(user)))}" if user.role == "housing"
           else f"u{user.id}")
    return f"inbox:{user.organisation_id}:{who}"


def _current_page(today: date) -> tuple[list[str], int] | None:
    """This month's inbox (`_inbox`'s rows, in its order) as "participant:apartment:counting
    checklist" texts (as text: a page's 50 are read, not 1,000), and how many sent it: from its
    summary stored for the day while valid (summaries.py: every fact was valid when stored and
    no write has counted the generation up since), else worked out by the database from the
    stored facts and stored; None when some facts are stale (then `_inbox` works them out)."""
    row = run(written_once("inbox summary", today, lambda: stored(
        _inbox_key(), current_user.organisation_id, today))).first()
    if row is not None:
        counts = json.loads(row.counts)
        order = row.ids.split(",") if row.ids else []
        if len(order) == counts["total"]:  # (a summary stored without the rows: again)
            return order, counts["sent"]
    rows = run(written_once("inbox order", today, lambda: _inbox_statement(today))).all()
    if rows and rows[0][3]:
        return None
    order = [f"{pid}:{apartment_id}:{sent or ''}" for pid, apartment_id, sent, *_r in rows]
    sent = sum(1 for row in rows if row[2] is not None)
    if rows:
        _store_inbox(today, rows[0][4], order, sent)
    return order, sent


def _store_inbox(today: date, generation: int, order: list[str], sent: int) -> None:
    store_summary(_inbox_key(), current_user.organisation_id, today, generation,
                  {"total": len(order), "sent": sent}, ",".join(order))


def _inbox_statement(today: date) -> Select:
    """`_current_page`'s statement (`written_once`): this month's inbox rows from the stored
    facts, in its order, as (participant id, apartment id, the counting checklist's id if
    sent for this apartment, how many facts are stale, the housing generation read with
    them)."""
    first = today.replace(day=1)
    # Whether any of the participant's tenancies of the inbox moved in before the month: this
    # one, else (rarely asked: OR stops at the first) another. A window over each
    # participant's rows sorted all 1,000 by participant first.
    other, other_flat = _OTHER_TENANCY, _OTHER_FLAT
    before = or_(Contract.move_in_date < first, exists().where(
        other.participant_id == Contract.participant_id, other.ended_on.is_(None),
        other.move_in_date < first, other_flat.id == other.apartment_id,
        in_my_teams(current_user, other_flat)))
    tenancies = with_facts(housing_tenancies(
        current_user, Apartment.address, Apartment.apartment_number,
        before.label("tenancies_before")), today, Contract.participant_id).subquery()
    c = tenancies.c
    sent_here, owing = _inbox_conditions(c, c.tenancies_before)
    stale = c.facts_valid.is_not(True)
    return (select(c.participant_id, c.apartment_id, case((sent_here, c.checklist_id)),
                   func.count(case((stale, 1))).over(),
                   generation_of(literal(current_user.organisation_id)))
            .where(or_(sent_here, owing, stale))
            .order_by(c.address, c.apartment_number, c.participant_id))


def _page_rows(entries: list[str]) -> list[InboxRow]:
    """The InboxRows (without remarks) of these `_current_page` entries, in their order: the
    tenants, apartments and checklists read by id in one statement, with whether I am
    directly assigned (a protected identity on the page asks it)."""
    if not entries:
        return []
    wanted = []
    for entry in entries:
        pid, apartment_id, sent_id = entry.split(":")
        wanted.append((int(pid), int(apartment_id), int(sent_id) if sent_id else None))
    statement = built_once("inbox rows", None, lambda: housing_tenancies(
        current_user, *TENANT_COLUMNS[1:], *FLAT_COLUMNS[1:], *SENT_COLUMNS,
        assigned_sql(current_user).label("assigned"))
        .outerjoin(ChecklistSubmission, and_(
            among_param(ChecklistSubmission.id, "sent"),
            ChecklistSubmission.participant_id == Contract.participant_id,
            ChecklistSubmission.apartment_id == Contract.apartment_id))
        .where(among_param(Contract.participant_id, "people"),
               among_param(Contract.apartment_id, "flats")))
    tenant = 2 + len(TENANT_COLUMNS) - 1  # after participant id, apartment id, move-in
    flats = tenant + len(FLAT_COLUMNS) - 1
    people, homes, sent = zip(*wanted, strict=True)
    # (Reversed: the first row of a pair kept, were there two.)
    found = {(row[0], row[1]): row for row in reversed(db.session.connection().execute(
        statement, {"people": among_value(sorted(set(people))),
                    "flats": among_value(sorted(set(homes))),
                    "sent": among_value(sorted({i for i in sent if i}))}).all())}
    remember_assignments(current_user, ((row[0], row[-1]) for row in found.values()))
    this_month, listed = month_of(local_today()), []
    for pid, apartment_id, sent_id in wanted:
        row = found.get((pid, apartment_id))
        if row is None:  # ended since the inbox was read
            continue
        sent = Sent._make(row[flats + 1:-1]) if sent_id and row[flats + 1] is not None \
            else None
        listed.append(InboxRow(
            Tenant._make((pid, *row[3:tenant + 1])),
            Flat._make((apartment_id, *row[tenant + 1:flats + 1])),
            month_status(this_month, sent.id if sent else None, this_month).status, sent))
    return listed


def _inbox_page(month: str) -> tuple[list[InboxRow], int, int, int, int]:
    """(the InboxRows of the page asked for, with remarks, page, pages, total, how many sent
    it)."""
    today = local_today()
    order = _current_page(today) if month == month_of(today) else None
    if order is not None:  # every fact valid: the page's rows only
        entries, submitted = order
        page, pages = page_of(len(entries), INBOX_PER_PAGE)
        return (_with_remarks(_page_rows(
            entries[(page - 1) * INBOX_PER_PAGE:page * INBOX_PER_PAGE])), page, pages,
            len(entries), submitted)
    # another month, or facts to work out first
    inbox = _inbox(month)
    page, pages = page_of(len(inbox), INBOX_PER_PAGE)
    return (_rows(inbox[(page - 1) * INBOX_PER_PAGE:page * INBOX_PER_PAGE]), page, pages,
            len(inbox), sum(1 for r in inbox if r[2] == "submitted"))


def _rows(inbox: list[tuple[int, int, str, int | None]]) -> list[InboxRow]:
    """The participants, apartments and checklists (with their remarks) of these inbox rows,
    read as columns."""
    if not inbox:
        return []
    people = {row[0]: Tenant._make(row) for row in db.session.execute(
        select(*TENANT_COLUMNS).where(among(Participant.id, sorted({r[0] for r in inbox}))))}
    flats = {row[0]: Flat._make(row) for row in db.session.execute(
        select(*FLAT_COLUMNS).where(among(Apartment.id, sorted({r[1] for r in inbox}))))}
    submission_ids = sorted({r[3] for r in inbox if r[3]})
    submissions = {row[0]: Sent._make(row) for row in db.session.execute(
        select(*SENT_COLUMNS).where(among(ChecklistSubmission.id, submission_ids)))
    } if submission_ids else {}
    return _with_remarks([
        InboxRow(people[pid], flats[apartment_id], status, submissions.get(submission_id))
        for pid, apartment_id, status, submission_id in inbox])


def _with_remarks(rows: list[InboxRow]) -> list[InboxRow]:
    """The rows, each checklist's remarks filled in (with its items' texts)."""
    sent = {row.submission.id: row.submission for row in rows if row.submission is not None}
    remarks = _remarks(sorted(sent))
    texts = _item_texts({sent[sid].template_id for sid in remarks})
    for row in rows:
        if row.submission is not None:
            row.remarks = [(texts.get((row.submission.template_id, key), key), remark)
                           for key, remark in remarks.get(row.submission.id, [])]
    return rows


def _remarks(submission_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(item key, remark) of the answers with a remark, per submission: only those rows, not
    the 22 answers of every checklist in the month."""
    result: dict[int, list[tuple[str, str]]] = {}
    if submission_ids:
        for sid, key, remark in db.session.execute(
                select(ChecklistAnswer.submission_id, ChecklistAnswer.item_key,
                       ChecklistAnswer.remark)
                .where(among(ChecklistAnswer.submission_id, submission_ids),
                       ChecklistAnswer.answer == "remark")
                .order_by(ChecklistAnswer.submission_id, ChecklistAnswer.id)):
            result.setdefault(sid, []).append((key, remark))
    return result


# Aliases built once: `aliased()` adapts every column of the model (~10 ms a request under
# cProfile).
_TENANCY = aliased(Contract, name="tenancy")
_FLAT = aliased(Apartment, name="flat")
_OTHER_TENANCY = aliased(Contract, name="other_tenancy")
_OTHER_FLAT = aliased(Apartment, name="other_flat")


def with_tenancies(scope):
    """`scope` (a select over Participant) with the apartment id and move-in of each open
    contract in my team's apartments (the inbox's rows, `housing_tenancies`) as two more
    columns: a participant without one comes once with None, one with two comes twice."""
    tenancy, flat = _TENANCY, _FLAT
    return scope.outerjoin_from(
        Participant,
        join(tenancy, flat, and_(flat.id == tenancy.apartment_id,
                                 in_my_teams(current_user, flat))),
        and_(tenancy.participant_id == Participant.id, tenancy.ended_on.is_(None)),
    ).add_columns(tenancy.apartment_id, tenancy.move_in_date)


def inbox_counts(day: date, tenancies, facts: dict) -> dict:
    """The counts housing's home shows for `day`'s month: the same rows as the inbox
    (`_inbox`), so the numbers agree, from the stored facts (facts_store: the month's
    counting checklist and whether it is owed). `tenancies`: (participant id, apartment id,
    move-in) of the inbox's rows."""
    first = day.replace(day=1)
    submitted = missing = 0
    for pid, apartment_id, move_in in tenancies:
        if facts[pid].checklist_apartment_id == apartment_id:
            submitted += 1
        # Only a tenancy that moved in before the month can owe it (domain.tenancy_life).
        elif move_in is not None and move_in < first and facts[pid].checklist_owed:
            missing += 1
    return month_counts(day, submitted, missing)


def month_counts(day: date, submitted: int, missing: int) -> dict:
    """What housing's home shows of `day`'s month's checklists."""
    return {"expected": submitted + missing, "submitted": submitted, "missing": missing,
            "month": month_of(day)}


def inbox_count_columns(tenancies, day: date) -> tuple:
    """`inbox_counts` as aggregate columns over `tenancies` (a subquery of `with_facts` rows
    with `apartment_id` and `move_in_date`), for rows whose facts are all valid: submitted,
    missing. The same rule in SQL, so the home does not read 1,000 rows to count them
    (tests/test_housing_home_counts.py checks both give the same numbers)."""
    c = tenancies.c
    sent_here, owing = _inbox_conditions(c, c.move_in_date < day.replace(day=1))
    return (func.count(case((sent_here, 1))).label("submitted"),
            func.count(case((owing, 1))).label("missing"))


def _inbox_conditions(c, moved_in_before) -> tuple:
    """(sent for this apartment, owed and not sent) of a tenancy row with its stored facts
    (`c`: columns of a `with_facts` subquery): the rule of `inbox_counts` and `_inbox` in SQL.
    `moved_in_before`: that the tenancy moved in before the month (`inbox_counts`), or any of
    the participant's in the inbox (`_inbox`: listed for each tenancy without the checklist)."""
    housed = c.apartment_id.is_not(None)
    sent_here = c.checklist_apartment_id == c.apartment_id
    owing = and_(housed, or_(c.checklist_apartment_id.is_(None), ~sent_here), moved_in_before,
                 c.checklist_owed)
    return and_(housed, sent_here), owing


def _item_texts(template_ids) -> dict[tuple[int, str], str]:
    if not template_ids:
        return {}
    return {(template_id, key): text for template_id, key, text in db.session.execute(
        select(ChecklistItem.template_id, ChecklistItem.key, ChecklistItem.text).where(
            ChecklistItem.template_id.in_(sorted(template_ids))))}


def _month_arg() -> str:
    return parse_month(request.args.get("month")) or month_of(local_today())


@bp.route("/housing/checklists")
def checklists():
    month = _month_arg()
    listed, page, pages, total, submitted = _inbox_page(month)
    user = current_user._get_current_object()  # the proxy once, not once a row
    shown = [row.shown_to(user) for row in listed]
    record_list((r.participant.id for r in shown), "checklist_inbox")
    this_month = month_of(local_today())
    return render("housing/checklists.html", rows=shown, total=total, month=month,
                  page=page, pages=pages, previous=shift_month(month, -1),
                  next=shift_month(month, 1) if month < this_month else None,
                  submitted=submitted)


@bp.route("/housing/checklists.csv")
def checklists_csv():
    month = _month_arg()
    rows = _rows(_inbox(month))
    record("export", object_type="checklists_csv", detail=month)
    record_list((r.participant.id for r in rows), "checklists_csv")
    header = ["Månad", "Adress", "Lägenhetsnummer", "Hyresgäst", "Status", "Datum", "Version",
              "Hyresgästen instämmer", "Antal anmärkningar", "Anmärkningar"]
    return csv_response(to_csv(header, (_csv_row(month, row) for row in rows)),
                        f"genomgangar-{month}.csv")


def _csv_row(month: str, row: InboxRow) -> list:
    s = row.submission
    protected = display_address(row.participant, "x", apartment=row.apartment) != "x"
    return [
        month_label(month),
        "" if protected else row.apartment.address,
        "" if protected else row.apartment.apartment_number,
        display_name(row.participant),
        {"submitted": "Inskickad", "due": "Inte gjord ännu"}.get(row.status, "Saknas"),
        s.held_on.isoformat() if s else "",
        s.version_no if s else "",
        ("Ja" if s.tenant_agrees else "Nej") if s else "",
        len(row.remarks) if s else "",
        " | ".join(f"{text}: {remark}" for text, remark in row.remarks),
    ]


def _submission_or_404(submission_id: int):
    """A submission for one of my apartments whose tenant I may see; else 404."""
    submission = db.session.get(ChecklistSubmission, submission_id, options=WITH_ANSWERS)
    if submission is None:
        abort(404)
    # The apartment first: another team's checklist is refused before its tenant is looked up.
    apartment = apartment_or_404(submission.apartment_id)
    participant = get_participant_or_404(submission.participant_id, need="checklist_read")
    return submission, participant, apartment


def _chain(submission) -> list[ChecklistSubmission]:
    """The versions of this checklist that belong to the same apartment, oldest first."""
    versions = db.session.scalars(select(ChecklistSubmission).where(
        ChecklistSubmission.participant_id == submission.participant_id,
        ChecklistSubmission.apartment_id == submission.apartment_id))
    return version_chain(versions, submission.id)


@bp.route("/housing/checklists/<int:submission_id>")
def checklist(submission_id: int):
    submission, participant, apartment = _submission_or_404(submission_id)
    return render("housing/checklist.html", submission=submission, participant=participant,
                  apartment=apartment, items=submission.template.items, chain=_chain(submission),
                  org=db.session.get(Organisation, participant.organisation_id),
                  back=url_for(".checklists", month=submission.month))


@bp.route("/housing/checklists/<int:submission_id>/print")
def checklist_print(submission_id: int):
    submission, participant, apartment = _submission_or_404(submission_id)
    return render("housing/checklist_print.html", submission=submission,
                  participant=participant, apartment=apartment,
                  items=submission.template.items,
                  org=db.session.get(Organisation, participant.organisation_id))
