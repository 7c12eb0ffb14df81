"""Housing administration owns the tenancy (DESIGN §1b, §2): apartments, offers, contracts,
move-in inspection, termination and other ends, transfer, joint meetings.

Every step is a small form on its own page (phone first); each write is audited and records who
entered it and when, so past-dated entries of existing cases stay honest.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from ..access import (
    apartment_or_404,
    child_or_404,
    display_address,
    get_participant_or_404,
    my_apartments,
)
from ..audit import record
from ..domain.tenancy_life import tenure_waiver_end
from ..extensions import db
from ..inputs import page_arg, page_of
from ..models import (
    MEETING_PARTIES,
    SEVERITIES,
    Apartment,
    Contract,
    Disturbance,
    JointAction,
    JointMeeting,
    Offer,
    Participant,
    TransferCase,
    utcnow,
)
from ..rendering import render
from ..tenancy_services import (
    ensure_inspection_template,
    labels,
    load,
    offer_warns,
    set_phase,
    template_items,
)
from ..timeutil import local_today, to_local, to_utc
from . import bp
from .tenancy_forms import (
    ActionForm,
    ApartmentForm,
    ChoiceForm,
    ContractForm,
    DecisionForm,
    EndForm,
    KeysReturnedForm,
    MeetingForm,
    MoveInForm,
    OfferForm,
    RequestForm,
    TransferStartForm,
    inspection_form,
)

APARTMENTS_PER_PAGE = 50
APARTMENT_FIELDS = ("address", "apartment_number", "postal_code", "city", "area", "landlord",
                    "rooms", "size_sqm", "floor", "protected_address")


# --- apartments -------------------------------------------------------------------------------

@bp.route("/housing/apartments")
def apartments():
    """The housing team's apartments by address, a page at a time: the page and the count in
    one statement (a page past the last is read again, clamped), then which are let and to
    whom with a protected identity in another."""
    query = my_apartments(current_user).order_by(
        Apartment.address, Apartment.apartment_number, Apartment.id)
    asked = page_arg()
    listed = _apartment_page(query, asked)
    total = listed[0][1] if listed else db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery()))
    page, pages = page_of(total, APARTMENTS_PER_PAGE)
    if page != asked:
        listed = _apartment_page(query, page)
    rows = [row[0] for row in listed]
    lets = db.session.execute(
        select(Contract.apartment_id, Participant.protected_identity)
        .join(Participant, Participant.id == Contract.participant_id)
        .where(Contract.apartment_id.in_([a.id for a in rows]), Contract.ended_on.is_(None))
    ).all() if rows else []
    # As _masked_ids: a protected address, or a current tenant with a protected identity.
    masked = {a.id for a in rows if a.protected_address} | {
        apartment_id for apartment_id, protected in lets if protected}
    return render("housing/apartments.html", rows=rows, occupied={a for a, _p in lets},
                  masked=masked, page=page, pages=pages, total=total)


def _apartment_page(query, page: int) -> list:
    """(apartment, how many there are) of one page."""
    return db.session.execute(
        query.add_columns(func.count().over()).limit(APARTMENTS_PER_PAGE)
        .offset((page - 1) * APARTMENTS_PER_PAGE)).all()


def _masked_ids(apartment_ids: list[int]) -> set[int]:
    """Apartments whose address housing must not see in the clear: a protected address, or a
    current tenant with a protected identity (housing is never directly assigned)."""
    if not apartment_ids:
        return set()
    flagged = set(db.session.scalars(select(Apartment.id).where(
        Apartment.id.in_(apartment_ids), Apartment.protected_address.is_(True))))
    tenants = set(db.session.scalars(
        select(Contract.apartment_id).join(Participant, Participant.id == Contract.participant_id)
        .where(Contract.apartment_id.in_(apartment_ids), Contract.ended_on.is_(None),
               Participant.protected_identity.is_(True))))
    return flagged | tenants


def _housing_team_id() -> int | None:
    teams = [t for t in current_user.teams if t.kind == "housing"]
    return teams[0].id if teams else None


@bp.route("/housing/apartments/new", methods=["GET", "POST"])
@bp.route("/housing/apartments/<int:apartment_id>/edit", methods=["GET", "POST"])
def apartment_form(apartment_id: int | None = None):
    apartment = apartment_or_404(apartment_id) if apartment_id else None
    masked = apartment is not None and apartment.id in _masked_ids([apartment.id])
    form = ApartmentForm(obj=apartment)
    if masked and form.is_submitted() and not (form.address.data or "").strip():
        form.address.data = apartment.address  # left empty: keep the protected address
    if form.validate_on_submit():
        if apartment is None:
            apartment = Apartment(organisation_id=current_user.organisation_id,
                                  housing_team_id=_housing_team_id())
            db.session.add(apartment)
        for name in APARTMENT_FIELDS:
            value = getattr(form, name).data
            setattr(apartment, name, value.strip() if isinstance(value, str) else value)
        db.session.flush()
        record("update" if apartment_id else "create", object_type="apartment",
               object_id=apartment.id)
        db.session.commit()
        flash(_("Lägenheten är sparad."), "info")
        return redirect(url_for(".apartments"))
    if masked:
        form.address.data = ""  # never shown; empty keeps it
    return render("housing/apartment_form.html", form=form, apartment=apartment, masked=masked,
                  status=422 if form.is_submitted() else 200)


# --- the tenancy page -------------------------------------------------------------------------

def _participant(participant_id: int):
    return get_participant_or_404(participant_id, need="tenancy_manage")


def _case(model, object_id: int) -> tuple:
    """A tenancy object (offer, contract, transfer, joint meeting) and its participant."""
    row = child_or_404(model, object_id, need="tenancy_manage")
    return row, _participant(row.participant_id)


def _contract(contract_id: int) -> tuple[Contract, Participant]:
    """A contract of one of this housing team's apartments, and its tenant."""
    contract, person = _case(Contract, contract_id)
    if contract.apartment.housing_team_id not in current_user.team_ids():
        abort(404)
    return contract, person


def _tenancy_url(participant_id: int) -> str:
    return url_for(".tenancy", participant_id=participant_id)


@bp.route("/housing/tenancies/<int:participant_id>")
def tenancy(participant_id: int):
    person = _participant(participant_id)
    data = load(person, current_user.organisation, local_today())
    return render("housing/tenancy.html", participant=person, t=data, today=local_today(),
                  mode="housing", **labels())


def _step(form, title: str, participant, on_valid, hint: str | None = None,
          warning: str | None = None, message: str | None = None):
    """One step of the tenancy: validate, save with `on_valid` (which returns a problem to show,
    or nothing), back to the tenancy page."""
    if form.validate_on_submit():
        problem = on_valid(form)
        if problem is None:
            db.session.commit()
            flash(message or _("Sparat."), "info")
            return redirect(_tenancy_url(participant.id))
        warning = problem
    return render("housing/tenancy_step.html", form=form, title=title, hint=hint,
                  warning=warning, participant=participant, back=_tenancy_url(participant.id),
                  status=422 if form.is_submitted() else 200)


def _audit(action: str, participant_id: int, object_type: str, object_id: int,
           detail: str = "") -> None:
    record(action, participant_id=participant_id, object_type=object_type, object_id=object_id,
           detail=detail)


def _created(person, row, object_type: str) -> None:
    db.session.add(row)
    db.session.flush()
    _audit("create", person.id, object_type, row.id)


def _apartment_label(apartment: Apartment) -> str:
    parts = [apartment.address]
    if apartment.rooms:
        parts.append(apartment.rooms)
    if apartment.landlord:
        parts.append(apartment.landlord)
    return ", ".join(parts)


def _free_apartments() -> list[Apartment]:
    taken = select(Contract.apartment_id).where(Contract.ended_on.is_(None))
    return list(db.session.scalars(my_apartments(current_user).where(
        Apartment.id.not_in(taken)).order_by(Apartment.address)))


def _has_open_contract(participant_id: int) -> bool:
    """Whether the participant has a contract not ended (`load(...).current is not None`)."""
    return db.session.scalar(select(Contract.id).where(
        Contract.participant_id == participant_id, Contract.ended_on.is_(None)).limit(1)
    ) is not None


@bp.route("/housing/tenancies/<int:participant_id>/offer", methods=["GET", "POST"])
def offer_new(participant_id: int):
    person = _participant(participant_id)
    form = OfferForm()
    choices = [SelectChoice(a.id, _apartment_label(a)) for a in _free_apartments()]
    form.first_apartment_id.choices = choices
    form.second_apartment_id.choices = [SelectChoice("", _("Ingen andra lägenhet")), *choices]
    if not form.is_submitted() and not _has_open_contract(person.id):
        form.offered_on.data = local_today()

    def save(form):
        # The whole tenancy only when an offer is made: the form itself needs none of it.
        data = load(person, current_user.organisation, local_today())
        chosen = [db.session.get(Apartment, i) for i in (
            form.first_apartment_id.data, form.second_apartment_id.data) if i]
        warns = offer_warns(data, [a.landlord for a in chosen])
        if warns and not form.confirm_same_company.data:
            return _("Varning: samma bostadsbolag sade upp deltagarens förra kontrakt. Ett nytt "
                     "erbjudande lämnas inte hos det bolaget. Välj en annan lägenhet, eller kryssa "
                     "i rutan om ni ändå vill erbjuda den.")
        offer = Offer(participant_id=person.id, offered_on=form.offered_on.data,
                      first_apartment_id=form.first_apartment_id.data,
                      second_apartment_id=form.second_apartment_id.data,
                      wishes=(form.wishes.data or "").strip(),
                      matching_note=(form.matching_note.data or "").strip(),
                      same_company_confirmed=bool(warns), created_by_id=current_user.id)
        _created(person, offer, "offer")

    return _step(form, _("Nytt erbjudande"), person, save,
                 hint=_("Deltagaren ska få se två lägenheter och välja själv (parallellval)."),
                 message=_("Erbjudandet är sparat. Stödpersonalen bokar visningarna."))


@bp.route("/housing/offers/<int:offer_id>/choice", methods=["GET", "POST"])
def offer_choice(offer_id: int):
    offer, person = _case(Offer, offer_id)
    form = ChoiceForm()
    form.chosen_apartment_id.choices = [
        SelectChoice(a.id, display_address(person, _apartment_label(a), apartment=a))
        for a in offer.apartments]

    def save(form):
        offer.chosen_apartment_id = form.chosen_apartment_id.data
        offer.chosen_on = form.chosen_on.data
        offer.choice_note = (form.choice_note.data or "").strip()
        _audit("update", person.id, "offer", offer.id, "val")

    return _step(form, _("Deltagarens val"), person, save)


@bp.route("/housing/tenancies/<int:participant_id>/contract", methods=["GET", "POST"])
def contract_new(participant_id: int):
    person = _participant(participant_id)
    data = load(person, current_user.organisation, local_today())
    offer = data.open_offer
    form = ContractForm()
    apartments = _free_apartments()
    form.apartment_id.choices = [SelectChoice(a.id, _apartment_label(a)) for a in apartments]
    if not form.is_submitted() and offer and offer.chosen_apartment_id:
        form.apartment_id.data = offer.chosen_apartment_id
    if data.current is not None and not data.current.end_reason:
        flash(_("Deltagaren har redan ett pågående kontrakt."), "error")
        return redirect(_tenancy_url(person.id))

    def save(form):
        apartment = db.session.get(Apartment, form.apartment_id.data)
        contract = Contract(
            participant_id=person.id, apartment_id=apartment.id, kind="second_hand",
            landlord=apartment.landlord, signed_on=form.signed_on.data,
            start_date=form.start_date.data, notice_days=form.notice_days.data,
            tenure_waived=form.tenure_waived.data,
            tenure_waiver_ends_on=(form.tenure_waiver_ends_on.data or tenure_waiver_end(
                form.start_date.data)) if form.tenure_waived.data else None,
            attendees=(form.attendees.data or "").strip(),
            offer_id=offer.id if offer else None,
            entered_by_id=current_user.id, entered_at=utcnow())
        _created(person, contract, "contract")

    return _step(form, _("Kontraktsskrivning"), person, save,
                 hint=_("Andrahandskontrakt mellan bostadsförvaltningen och deltagaren."),
                 message=_("Kontraktet är sparat."))


@bp.route("/housing/contracts/<int:contract_id>/move-in", methods=["GET", "POST"])
def contract_move_in(contract_id: int):
    contract, person = _contract(contract_id)
    form = MoveInForm(obj=contract)  # a planned move-in date is filled in to confirm

    def save(form):
        form.populate_obj(contract)
        contract.inspection_note = (form.inspection_note.data or "").strip()
        # Fas 2 starts with the move-in: the visit and checklist duties start here.
        set_phase(person, 2, form.move_in_date.data, current_user,
                  note=_("Inflyttning registrerad av bostadsförvaltningen."))
        _audit("update", person.id, "contract", contract.id, "inflyttning")

    return _step(form, _("Inflyttning och besiktning"), person, save,
                 hint=_("Fas 2 börjar på inflyttningsdagen. Då börjar hembesöken och de "
                        "månatliga genomgångarna."))


@bp.route("/housing/contracts/<int:contract_id>/end", methods=["GET", "POST"])
def contract_end(contract_id: int):
    contract, person = _contract(contract_id)
    form = EndForm(obj=contract if contract.end_reason else None)

    def save(form):
        contract.end_reason = form.end_reason.data
        terminated = form.end_reason.data == "terminated"
        contract.end_category = (form.end_category.data or "") if terminated else ""
        contract.terminated_on = form.terminated_on.data
        contract.end_note = (form.end_note.data or "").strip()
        if form.end_reason.data == "died":
            contract.ended_on = form.terminated_on.data
        _audit("update", person.id, "contract", contract.id, f"slut: {form.end_reason.data}")

    return _step(form, _("Uppsägning eller annat slut"), person, save,
                 hint=_("Stödet fortsätter tills nycklarna är återlämnade."),
                 message=_("Sparat. Stödpersonalen skriver en haveri-analys."))


@bp.route("/housing/contracts/<int:contract_id>/keys-returned", methods=["GET", "POST"])
def contract_keys_returned(contract_id: int):
    contract, person = _contract(contract_id)
    form = KeysReturnedForm()

    def save(form):
        if not contract.end_reason:
            return _("Registrera först uppsägningen eller hur boendet slutar.")
        contract.keys_returned_on = form.keys_returned_on.data
        contract.ended_on = form.keys_returned_on.data
        _audit("update", person.id, "contract", contract.id, "nycklar återlämnade")

    return _step(form, _("Nycklarna återlämnade"), person, save,
                 hint=_("Boendet är slut när nycklarna är återlämnade."))


# --- transfer (överlåtelse) -------------------------------------------------------------------

def _transfer(transfer_id: int) -> tuple[TransferCase, Contract, Participant]:
    transfer = child_or_404(TransferCase, transfer_id, need="tenancy_manage")
    contract, person = _contract(transfer.contract_id)
    return transfer, contract, person


@bp.route("/housing/contracts/<int:contract_id>/transfer", methods=["GET", "POST"])
def transfer_start(contract_id: int):
    contract, person = _contract(contract_id)
    data = load(person, current_user.organisation, local_today())
    form = TransferStartForm(obj=data.transfer)

    def save(form):
        transfer = data.transfer
        if transfer is None:
            template = ensure_inspection_template(person.organisation_id)
            transfer = TransferCase(participant_id=person.id, contract_id=contract.id,
                                    template_id=template.id, created_by_id=current_user.id)
            db.session.add(transfer)
        transfer.inspection_on = form.inspection_on.data
        transfer.inspection_attendees = (form.inspection_attendees.data or "").strip()
        transfer.updated_by_id, transfer.updated_at = current_user.id, utcnow()
        db.session.flush()
        _audit("update", person.id, "transfer", transfer.id, "besiktning bokad")

    warning = None
    if not data.eligibility.eligible:
        warning = _("Villkoren för överlåtelse är inte uppfyllda än (se hyresgästens sida). "
                    "Boka bara om ni ändå vill besiktiga.")
    return _step(form, _("Boka besiktning inför överlåtelse"), person, save, warning=warning,
                 hint=_("Besiktningen görs med stödpersonal och hyresvärden."))


@bp.route("/housing/transfers/<int:transfer_id>/inspection", methods=["GET", "POST"])
def transfer_inspection(transfer_id: int):
    transfer, _contract_row, person = _transfer(transfer_id)
    items = template_items(transfer.template)
    form = inspection_form(items)

    def save(form):
        answers = {item["key"]: {
            "answer": getattr(form, f"item_{item['key']}").data,
            "note": (getattr(form, f"note_{item['key']}").data or "").strip()} for item in items}
        transfer.answers_json = json.dumps(answers)
        transfer.inspection_done_on = form.inspection_done_on.data
        transfer.inspection_note = (form.inspection_note.data or "").strip()
        transfer.updated_by_id, transfer.updated_at = current_user.id, utcnow()
        _audit("update", person.id, "transfer", transfer.id, "besiktning gjord")

    title = transfer.template.title if transfer.template else _("Besiktning")
    return _step(form, f"{title} ({_('version')} {transfer.template.version})"
                 if transfer.template else title, person, save)


@bp.route("/housing/transfers/<int:transfer_id>/request", methods=["GET", "POST"])
def transfer_request(transfer_id: int):
    transfer, _contract_row, person = _transfer(transfer_id)
    form = RequestForm()

    def save(form):
        transfer.requested_on = form.requested_on.data
        _audit("update", person.id, "transfer", transfer.id, "förfrågan till hyresvärden")

    return _step(form, _("Förfrågan om överlåtelse till hyresvärden"), person, save,
                 hint=_("Det är alltid fastighetsägaren som beslutar om överlåtelse."))


@bp.route("/housing/transfers/<int:transfer_id>/decision", methods=["GET", "POST"])
def transfer_decision(transfer_id: int):
    transfer, contract, person = _transfer(transfer_id)
    form = DecisionForm()

    def save(form):
        transfer.decision = form.decision.data
        transfer.decided_on = form.decided_on.data
        transfer.decision_reason = (form.decision_reason.data or "").strip()
        transfer.updated_by_id, transfer.updated_at = current_user.id, utcnow()
        if form.decision.data == "approved":
            contract.kind = "first_hand"
            contract.first_hand_on = form.first_hand_on.data
            set_phase(person, 3, form.first_hand_on.data, current_user,
                      note=_("Förstahandskontrakt efter överlåtelse."))
        _audit("update", person.id, "transfer", transfer.id, f"beslut: {form.decision.data}")

    return _step(form, _("Hyresvärdens beslut"), person, save,
                 hint=_("Vid godkännande börjar fas 3. Stödpersonalen ger då deltagaren "
                        "information om det öppna stödet."))


# --- joint meeting and joint action plan -------------------------------------------------------

@bp.route("/housing/tenancies/<int:participant_id>/meetings/new", methods=["GET", "POST"])
def meeting_new(participant_id: int):
    person = _participant(participant_id)
    form = MeetingForm()
    serious = db.session.execute(
        select(Disturbance.id, Disturbance.occurred_on, Disturbance.severity)
        .where(Disturbance.participant_id == person.id)
        .order_by(Disturbance.occurred_on.desc()).limit(20)).all()
    form.disturbance_id.choices = [SelectChoice("", _("Ingen särskild")), *[
        SelectChoice(d.id, f"{d.occurred_on.isoformat()} – "
                           f"{SEVERITIES.get(d.severity, d.severity)}") for d in serious]]
    if not form.is_submitted():
        very = next((d for d in serious if d.severity == "very_serious"), None)
        form.disturbance_id.data = very.id if very else None
        form.called.data = list(MEETING_PARTIES)

    def save(form):
        meeting = JointMeeting(
            participant_id=person.id, disturbance_id=form.disturbance_id.data,
            meets_at=to_utc(datetime.combine(form.meets_on.data, form.meets_time.data)),
            place=(form.place.data or "").strip(), called=",".join(form.called.data),
            attended=",".join(form.attended.data or []), summary=(form.summary.data or "").strip(),
            called_by_id=current_user.id)
        _created(person, meeting, "joint_meeting")

    return _step(form, _("Kalla till gemensamt möte"), person, save,
                 hint=_("Vid mycket allvarliga störningar kallar bostadsförvaltningen "
                        "socialtjänsten, stödpersonalen, hyresvärden och hyresgästen. Alla "
                        "kallade ska komma."), message=_("Mötet är sparat."))


@bp.route("/housing/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def meeting_edit(meeting_id: int):
    meeting, person = _case(JointMeeting, meeting_id)
    form = MeetingForm(obj=meeting)
    form.disturbance_id.choices = [SelectChoice("", _("Ingen särskild"))] + ([
        SelectChoice(meeting.disturbance_id, str(meeting.disturbance_id))]
        if meeting.disturbance_id else [])
    if not form.is_submitted():
        local = to_local(meeting.meets_at)
        form.meets_on.data, form.meets_time.data = local.date(), local.time()
        form.called.data, form.attended.data = meeting.called_list, meeting.attended_list

    def save(form):
        meeting.meets_at = to_utc(datetime.combine(form.meets_on.data, form.meets_time.data))
        meeting.place = (form.place.data or "").strip()
        meeting.called = ",".join(form.called.data)
        meeting.attended = ",".join(form.attended.data or [])
        meeting.summary = (form.summary.data or "").strip()
        _audit("update", person.id, "joint_meeting", meeting.id)

    return _step(form, _("Gemensamt möte"), person, save)


@bp.route("/housing/meetings/<int:meeting_id>/actions", methods=["GET", "POST"])
def meeting_action(meeting_id: int):
    meeting, person = _case(JointMeeting, meeting_id)
    form = ActionForm()

    def save(form):
        action = JointAction(meeting_id=meeting.id, action=(form.action.data or "").strip(),
                             who=(form.who.data or "").strip(), due_on=form.due_on.data,
                             follow_up_on=form.follow_up_on.data, created_by_id=current_user.id)
        _created(person, action, "joint_action")

    return _step(form, _("Gemensam handlingsplan: ny åtgärd"), person, save,
                 message=_("Åtgärden är tillagd i den gemensamma handlingsplanen."))


@bp.route("/housing/actions/<int:action_id>/done", methods=["POST"])
def action_done(action_id: int):
    action = child_or_404(JointAction, action_id, need="tenancy_manage")
    meeting = action.meeting
    if action.done_on is None:
        action.done_on = local_today()
        _audit("update", meeting.participant_id, "joint_action", action.id, "klar")
        db.session.commit()
    flash(_("Åtgärden är markerad som klar."), "info")
    return redirect(_tenancy_url(meeting.participant_id))
