"""The tenancy seen by support staff and the social worker (DESIGN §2: read; staff book
showings, record keys, observations, the open-support information and the breakdown analysis)."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..access import child_or_404, get_participant_or_404
from ..audit import record
from ..extensions import db
from ..form_fields import CheckboxesField, label_choices
from ..models import (
    BREAKDOWN_CATEGORIES,
    BreakdownAnalysis,
    Contract,
    Offer,
    Showing,
    TransferCase,
    utcnow,
)
from ..rendering import render
from ..tenancy_services import labels, load
from ..timeutil import local_today, to_utc
from . import bp


class BreakdownForm(FlaskForm):
    what_happened = TextAreaField(_l("Vad hände?"), validators=[
        DataRequired(_l("Beskriv kort vad som hände.")), Length(max=4000)])
    could_have_done = TextAreaField(_l("Vad kunde ha gjorts annorlunda?"), validators=[
        Optional(), Length(max=4000)])
    categories = CheckboxesField(_l("Vilka områden gällde det?"),
                                 choices=label_choices(BREAKDOWN_CATEGORIES),
                                 validators=[Optional()])


def _back(participant_id: int):
    return redirect(url_for("staff.tenancy", participant_id=participant_id), 303)


def _parse_day(value: str | None):
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.route("/participants/<int:participant_id>/tenancy")
def tenancy(participant_id: int):
    person = get_participant_or_404(participant_id, need="tenancy")
    data = load(person, current_user.organisation, local_today())
    return render("staff/tenancy.html", participant=person, t=data,
                  mode="staff" if current_user.role == "staff" else "read", **labels())


@bp.route("/participants/<int:participant_id>/tenancy/keys", methods=["POST"])
def tenancy_keys(participant_id: int):
    person = get_participant_or_404(participant_id, need="tenancy_observe")
    data = load(person, current_user.organisation, local_today())
    day = _parse_day(request.form.get("keys_collected_on"))
    if data.current is None or day is None or day > local_today():
        flash(_("Skriv ett giltigt datum, till exempel 2026-03-01, som inte är senare än i dag."),
              "error")
        return _back(person.id)
    data.current.keys_collected_on = day
    record("update", participant_id=person.id, object_type="contract",
           object_id=data.current.id, detail="nycklar hämtade")
    db.session.commit()
    flash(_("Sparat."), "info")
    return _back(person.id)


@bp.route("/participants/<int:participant_id>/tenancy/offers/<int:offer_id>/showings",
          methods=["POST"])
def tenancy_showing_new(participant_id: int, offer_id: int):
    person = get_participant_or_404(participant_id, need="tenancy_observe")
    offer = child_or_404(Offer, offer_id, of=person)
    apartment_id = request.form.get("apartment_id", type=int)
    try:
        starts = datetime.strptime(request.form.get("starts_at", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        starts = None
    if apartment_id not in {a.id for a in offer.apartments} or starts is None:
        flash(_("Välj lägenhet och skriv datum och tid för visningen."), "error")
        return _back(person.id)
    showing = Showing(offer_id=offer.id, apartment_id=apartment_id, starts_at=to_utc(starts),
                      staff_id=current_user.id, booked_by_id=current_user.id)
    db.session.add(showing)
    db.session.flush()
    record("create", participant_id=person.id, object_type="showing", object_id=showing.id)
    db.session.commit()
    flash(_("Visningen är bokad."), "info")
    return _back(person.id)


@bp.route("/participants/<int:participant_id>/tenancy/offers/<int:offer_id>/wishes",
          methods=["POST"])
def tenancy_offer_wishes(participant_id: int, offer_id: int):
    """Staff write down the participant's wishes with them (Gävle's matching, DESIGN §1b)."""
    person = get_participant_or_404(participant_id, need="tenancy_observe")
    offer = child_or_404(Offer, offer_id, of=person)
    offer.wishes = (request.form.get("wishes") or "").strip()[:2000]
    record("update", participant_id=person.id, object_type="offer", object_id=offer.id,
           detail="önskemål")
    db.session.commit()
    flash(_("Önskemålen är sparade."), "info")
    return _back(person.id)


@bp.route("/participants/<int:participant_id>/tenancy/showings/<int:showing_id>",
          methods=["POST"])
def tenancy_showing_record(participant_id: int, showing_id: int):
    person = get_participant_or_404(participant_id, need="tenancy_observe")
    showing = child_or_404(Showing, showing_id, of=person)
    attended = request.form.get("attended")
    if attended not in ("yes", "no"):
        flash(_("Svara om visningen blev av."), "error")
        return _back(person.id)
    showing.attended = attended == "yes"
    showing.observation = (request.form.get("observation") or "").strip()[:2000]
    showing.recorded_by_id, showing.recorded_at = current_user.id, utcnow()
    record("update", participant_id=person.id, object_type="showing", object_id=showing.id)
    db.session.commit()
    flash(_("Sparat."), "info")
    return _back(person.id)


@bp.route("/participants/<int:participant_id>/tenancy/transfers/<int:transfer_id>/open-support",
          methods=["POST"])
def tenancy_open_support(participant_id: int, transfer_id: int):
    person = get_participant_or_404(participant_id, need="tenancy_observe")
    transfer = child_or_404(TransferCase, transfer_id, of=person)
    if transfer.decision != "approved":
        abort(404)
    if transfer.open_support_info_on is None:
        transfer.open_support_info_on = local_today()
        transfer.open_support_info_by_id = current_user.id
        record("update", participant_id=person.id, object_type="transfer",
               object_id=transfer.id, detail="information om öppet stöd")
        db.session.commit()
    flash(_("Registrerat: deltagaren har fått information om det öppna stödet."), "info")
    return _back(person.id)


@bp.route("/participants/<int:participant_id>/tenancy/contracts/<int:contract_id>/breakdown",
          methods=["GET", "POST"])
def tenancy_breakdown(participant_id: int, contract_id: int):
    person = get_participant_or_404(participant_id, need="breakdown_write")
    contract = child_or_404(Contract, contract_id, of=person)
    if not contract.end_reason:
        abort(404)
    existing = db.session.scalar(db.select(BreakdownAnalysis).where(
        BreakdownAnalysis.contract_id == contract.id))
    if existing is not None:
        return _back(person.id)
    form = BreakdownForm()
    if form.validate_on_submit():
        analysis = BreakdownAnalysis(
            participant_id=person.id, contract_id=contract.id,
            what_happened=(form.what_happened.data or "").strip(),
            could_have_done=(form.could_have_done.data or "").strip(),
            categories=",".join(form.categories.data or []), written_by_id=current_user.id)
        db.session.add(analysis)
        db.session.flush()
        record("create", participant_id=person.id, object_type="breakdown_analysis",
               object_id=analysis.id)
        db.session.commit()
        flash(_("Haveri-analysen är sparad. Samordnaren läser den."), "info")
        return _back(person.id)
    return render("staff/tenancy_breakdown.html", participant=person, form=form,
                  status=422 if form.is_submitted() else 200)
