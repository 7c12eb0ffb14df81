"""Housing administration: overview, notices, tenancy counters, logging disturbances.

Housing sees only its apartments' tenants (`visible_participants`) and, about them, never plans,
visit notes, absence reasons or health: queries here select the columns housing may see.
"""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import child_or_404, display_name, visible_participants
from ..audit import record, record_list
from ..domain.disturbances import contacted_in_time, is_overdue
from ..domain.due import Rules
from ..domain.tenancy_life import transfer_eligibility
from ..domain.visits import period_bounds, period_compliance
from ..extensions import db
from ..inputs import page_of
from ..models import (
    SEVERITIES,
    Absence,
    Apartment,
    Contract,
    Disturbance,
    HousingNotice,
    Participant,
    User,
    utcnow,
)
from ..queries import among, current_contracts, period_visits, tenancy_for
from ..rendering import render
from ..timeutil import local_today, month_key, to_utc, tz
from . import bp
from .checklist_routes import inbox_counts
from .forms import DisturbanceForm

ONE_DAY = timedelta(days=1)
RECENT_DAYS = 90


def _scope() -> list[Participant]:
    return list(db.session.scalars(
        visible_participants(current_user).order_by(Participant.last_name, Participant.first_name)
    ))


def _visit_counts(people: list[Participant]) -> list[dict]:
    """Met / not met counts for this and last period: housing sees numbers, never notes."""
    org = current_user.organisation
    rule = Rules.of(org).visit_rule  # the rule Idag uses (Stockholm: any meeting counts)
    today = local_today()
    this_start, _this_end = period_bounds(today, rule.period)
    last_start, _last_end = period_bounds(this_start - ONE_DAY, rule.period)
    ids = [p.id for p in people if p.phase == 2]
    counted = period_visits(ids, rule.period, last_start, this_start,
                            kinds=rule.counted_kinds) if ids else {}
    result = []
    for label, start in (("Den här perioden", this_start), ("Förra perioden", last_start)):
        need = period_compliance(rule, start, period_bounds(start, rule.period)[1], 0, 0)
        met = sum(need.met_by(*counted.get(pid, {}).get(start, (0, 0))) for pid in ids)
        result.append({"label": label, "start": start, "met": met, "not_met": len(ids) - met})
    return result


def _notices(by_id: dict[int, Participant]) -> list[dict]:
    since = utcnow() - timedelta(days=RECENT_DAYS)
    rows = db.session.scalars(
        select(HousingNotice).where(among(HousingNotice.participant_id, list(by_id)))
        .where((HousingNotice.acknowledged_at.is_(None)) | (HousingNotice.occurred_on >= since))
        .order_by(HousingNotice.acknowledged_at.is_not(None), HousingNotice.occurred_on.desc())
    ).all() if by_id else []
    apartment_ids = {n.apartment_id for n in rows if n.apartment_id}
    apartments = {a.id: a for a in db.session.scalars(
        select(Apartment).where(Apartment.id.in_(apartment_ids)))} if apartment_ids else {}
    return [{"notice": n, "participant": by_id[n.participant_id],
             "apartment": apartments.get(n.apartment_id)} for n in rows]


def _follow_up(d, now) -> dict:
    """The one-day rule as staff's Idag sees it (domain.disturbances): next working day."""
    if d.followed_up_at is None:
        return {"done": False, "in_time": not is_overdue(d, now, tz())}
    return {"done": True, "in_time": bool(contacted_in_time(d, tz()))}


def _disturbances(by_id: dict[int, Participant]) -> list[dict]:
    if not by_id:
        return []
    now = utcnow()
    housing_users = select(User.id).where(User.role == "housing")
    rows = db.session.execute(
        select(Disturbance.id, Disturbance.participant_id, Disturbance.occurred_on,
               Disturbance.received_at, Disturbance.severity, Disturbance.source,
               Disturbance.description, Disturbance.followed_up_at,
               Disturbance.letter_sent_at, Disturbance.copy_received_at,
               Disturbance.contacted_at,
               Disturbance.reported_by_id.in_(housing_users).label("by_housing"))
        .where(among(Disturbance.participant_id, list(by_id)))
        .where((Disturbance.received_at >= now - timedelta(days=RECENT_DAYS))
               | Disturbance.followed_up_at.is_(None))
        .order_by(Disturbance.received_at.desc())
    ).all()
    return [{"row": d, "participant": by_id[d.participant_id], "follow_up": _follow_up(d, now),
             # Decided by who wrote it, never by the `source` field: text written by support
             # staff stays with them (whatever source they picked); housing sees its own words.
             "show_text": bool(d.by_housing)}
            for d in rows]


def _absences(by_id: dict[int, Participant]) -> list[dict]:
    """Dates only: the reason column is never selected for housing."""
    if not by_id:
        return []
    since = local_today() - timedelta(days=RECENT_DAYS)
    rows = db.session.execute(
        select(Absence.participant_id, Absence.start_date, Absence.end_date)
        .where(among(Absence.participant_id, list(by_id)))
        .where(Absence.end_date.is_(None) | (Absence.end_date >= since))
        .order_by(Absence.start_date.desc())
    ).all()
    return [{"participant": by_id[r.participant_id], "start": r.start_date, "end": r.end_date}
            for r in rows]


HOME_ROWS = 20  # per list on the home page; "Visa alla" shows one list in full


@bp.route("/housing")
def home():
    people = _scope()
    by_id = {p.id: p for p in people}
    lists = {"notices": _notices(by_id), "disturbances": _disturbances(by_id),
             "absences": _absences(by_id)}
    whole = request.args.get("alla")
    shown = {name: rows if name == whole else rows[:HOME_ROWS] for name, rows in lists.items()}
    record_list((item["participant"].id for rows in shown.values() for item in rows),
                "housing_home")
    return render(
        "housing/home.html", block="notices",
        checklists=inbox_counts(month_key(local_today())),
        visit_counts=_visit_counts(people), severities=SEVERITIES,
        totals={name: len(rows) for name, rows in lists.items()}, **shown,
    )


@bp.route("/housing/notices/<int:notice_id>/acknowledge", methods=["POST"])
def acknowledge_notice(notice_id: int):
    notice = child_or_404(HousingNotice, notice_id, need="visit_counts", audit_action=None)
    if notice.acknowledged_at is None:
        notice.acknowledged_at = utcnow()
        notice.acknowledged_by_id = current_user.id
        record("update", participant_id=notice.participant_id, object_type="housing_notice",
               object_id=notice.id, detail="kvitterad")
        db.session.commit()
    flash(_("Meddelandet är kvitterat."), "info")
    return redirect(url_for("housing.home"))


TENANCIES_PER_PAGE = 50


def _notices_by_participant(ids: list[int]) -> dict[int, list]:
    """(occurred_on, severity) of every disturbance and notice, per participant, one query."""
    result: dict[int, list] = {}
    if ids:
        for pid, occurred, severity in db.session.execute(
                select(Disturbance.participant_id, Disturbance.occurred_on, Disturbance.severity)
                .where(among(Disturbance.participant_id, ids))):
            result.setdefault(pid, []).append((occurred, severity))
    return result


@bp.route("/housing/tenancies")
def tenancies():
    people = _scope()
    ids = [p.id for p in people]
    # The order needs every tenant's contract kind and counter; the contract with its apartment
    # and the transfer conditions are worked out for the page shown only.
    kinds = _contract_kinds(ids)
    counters = tenancy_for(ids, current_user.organisation, local_today())

    def closeness(person):
        # Second-hand tenants closest to their expected transfer first; first-hand ones last.
        kind, tenancy = kinds.get(person.id), counters.get(person.id)
        if kind is None or kind == "first_hand" or tenancy is None:
            return (1, display_name(person))
        return (0, tenancy.expected_transfer.isoformat())

    people.sort(key=closeness)
    # Pages of 50 keep the HTML within the 14 KB first-round-trip budget (DESIGN §9).
    page, pages = page_of(len(people), TENANCIES_PER_PAGE)
    shown = people[(page - 1) * TENANCIES_PER_PAGE:page * TENANCIES_PER_PAGE]
    shown_ids = [p.id for p in shown]
    contracts = current_contracts(shown_ids)
    notices = _notices_by_participant(shown_ids)
    rows = []
    for p in shown:
        contract, counter = contracts.get(p.id), counters.get(p.id)
        rows.append({"participant": p, "contract": contract, "tenancy": counter,
                     # Why a transfer is (not) possible yet: counter, rent, disturbances.
                     "eligibility": transfer_eligibility(
                         counter, contract.kind if contract else None,
                         bool(contract and contract.end_reason), notices.get(p.id, []))})
    return render("housing/tenancies.html", rows=rows, total=len(people), page=page,
                  pages=pages, today=local_today())


def _contract_kinds(ids: list[int]) -> dict[int, str]:
    """The kind of each participant's open contract, the one `current_contracts` picks."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Contract.participant_id, Contract.kind)
        .where(among(Contract.participant_id, ids), Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date, Contract.id))
    return dict(rows.all())  # later move-ins overwrite earlier, as in current_contracts


def _form_choices(form: DisturbanceForm) -> None:
    # No tenant chosen in advance: a disturbance logged on the wrong person is hard to undo.
    form.participant_id.choices = [SelectChoice("", _("Välj hyresgäst"))] + [
        SelectChoice(p.id, display_name(p)) for p in _scope()]


@bp.route("/housing/disturbances/new", methods=["GET", "POST"])
def new_disturbance():
    form = DisturbanceForm()
    _form_choices(form)
    if request.method == "GET" and form.occurred_on.data is None:
        form.occurred_on.data = local_today()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("housing/disturbance_new.html", form=form, status=status)
    contract = current_contracts([form.participant_id.data]).get(form.participant_id.data)
    disturbance = Disturbance(
        participant_id=form.participant_id.data,
        apartment_id=contract.apartment_id if contract else None,
        occurred_on=form.occurred_on.data, received_at=utcnow(), source="housing",
        severity=form.severity.data, description=form.description.data.strip(),
        reported_by_id=current_user.id,
        letter_sent_at=to_utc(form.letter_sent_at.data) if form.letter_sent_at.data else None,
        copy_received_at=to_utc(form.copy_received_at.data) if form.copy_received_at.data
        else None,
    )
    db.session.add(disturbance)
    db.session.flush()
    record("create", participant_id=disturbance.participant_id, object_type="disturbance",
           object_id=disturbance.id)
    db.session.commit()
    flash(_("Störningen är registrerad. Stödpersonalen ska kontakta hyresgästen senast nästa "
            "arbetsdag."),
          "info")
    return redirect(url_for("housing.home"))

