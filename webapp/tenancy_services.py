"""Loading and changing a participant's tenancy (DESIGN §1b), shared by the housing, staff,
participant and admin pages. Rules live in domain/tenancy_life.py; this module reads and writes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from .domain.tenancy import TenancyStatus, tenancy_status
from .domain.tenancy_life import Eligibility, same_company, stage, transfer_eligibility
from .extensions import db
from .models import (
    BREAKDOWN_CATEGORIES,
    END_REASONS,
    LANDLORD_DECISIONS,
    MEETING_PARTIES,
    TERMINATION_CATEGORIES,
    Absence,
    BreakdownAnalysis,
    Contract,
    Disturbance,
    InspectionTemplate,
    JointMeeting,
    Offer,
    Organisation,
    Participant,
    PhaseChange,
    Showing,
    TransferCase,
    User,
    utcnow,
)

# Helsingborg: a transfer inspection checklist made together with the support team. Version 1.
INSPECTION_V1 = {
    "title": "Besiktning inför förstahandskontrakt",
    "items": [
        {"key": "walls_floors", "text": "Väggar, golv och tak är utan skador"},
        {"key": "doors_windows", "text": "Dörrar, fönster och lås är hela"},
        {"key": "kitchen", "text": "Köket är rent, spis, ugn, kyl och frys fungerar"},
        {"key": "bathroom", "text": "Badrummet är rent, inga läckor eller fuktskador"},
        {"key": "ventilation", "text": "Ventilationen är öppen, inget mögel"},
        {"key": "smoke_alarm", "text": "Brandvarnaren finns och fungerar"},
        {"key": "storage_balcony", "text": "Förråd och balkong är i ordning"},
        {"key": "keys_tags", "text": "Alla nycklar och passerbrickor finns"},
    ],
}


STAGE_LABELS = {
    "none": _l("Inget erbjudande eller kontrakt än"),
    "offer": _l("Erbjudande: deltagaren väljer lägenhet"),
    "signed": _l("Kontrakt skrivet, väntar på inflyttning"),
    "living": _l("Bor med andrahandskontrakt (fas 2)"),
    "transfer": _l("Överlåtelse pågår"),
    "first_hand": _l("Förstahandskontrakt"),
    "ending": _l("Uppsagt eller på väg att flytta, nycklarna inte återlämnade"),
    "ended": _l("Boendet är avslutat"),
}


def labels() -> dict:
    """The label dicts the tenancy templates use."""
    return dict(END_REASONS=END_REASONS, TERMINATION_CATEGORIES=TERMINATION_CATEGORIES,
                LANDLORD_DECISIONS=LANDLORD_DECISIONS, MEETING_PARTIES=MEETING_PARTIES,
                BREAKDOWN_CATEGORIES=BREAKDOWN_CATEGORIES, stage_labels=STAGE_LABELS)


def ensure_inspection_template(org_id: int) -> InspectionTemplate:
    template = db.session.scalar(
        select(InspectionTemplate).where(InspectionTemplate.organisation_id == org_id)
        .order_by(InspectionTemplate.version.desc()))
    if template is None:
        template = InspectionTemplate(organisation_id=org_id, version=1,
                                      title=INSPECTION_V1["title"],
                                      items_json=json.dumps(INSPECTION_V1["items"],
                                                            ensure_ascii=False))
        db.session.add(template)
        db.session.flush()
    return template


def template_items(template: InspectionTemplate | None) -> list[dict]:
    return json.loads(template.items_json) if template else []


@dataclass
class Tenancy:
    participant: Participant
    contracts: list[Contract]
    current: Contract | None
    offers: list[Offer]
    transfer: TransferCase | None
    meetings: list[JointMeeting]
    notices: list[tuple[date, str]]
    status: TenancyStatus | None
    eligibility: Eligibility
    stage: str
    breakdowns: dict[int, BreakdownAnalysis] = field(default_factory=dict)
    terminated_landlords: list[str] = field(default_factory=list)
    transfers: list[TransferCase] = field(default_factory=list)

    @property
    def open_offer(self) -> Offer | None:
        """The latest offer that has not yet become a contract."""
        used = {c.offer_id for c in self.contracts if c.offer_id}
        for offer in self.offers:
            if offer.id not in used and not any(
                    c.signed_on and c.signed_on >= offer.offered_on for c in self.contracts):
                return offer
        return None

    @property
    def needs_breakdown(self) -> list[Contract]:
        """Ended without a transfer and no breakdown analysis yet (Gävle)."""
        return [c for c in self.contracts if c.end_reason and c.id not in self.breakdowns]


def landlord_of(contract: Contract) -> str:
    return contract.landlord or (contract.apartment.landlord if contract.apartment else "")


@cache
def _load_statements() -> dict:
    """`load`'s queries, built once with the participant as a parameter: building them per
    request (with their loader options) cost as much as running them."""
    pid = bindparam("pid")
    return dict(
        contracts=select(Contract)
        .options(joinedload(Contract.apartment), joinedload(Contract.entered_by))
        .where(Contract.participant_id == pid)
        .order_by(Contract.signed_on.is_(None), Contract.signed_on, Contract.id),
        offers=select(Offer)
        .options(selectinload(Offer.showings).joinedload(Showing.staff),
                 joinedload(Offer.first_apartment), joinedload(Offer.second_apartment))
        .where(Offer.participant_id == pid).order_by(Offer.offered_on.desc(), Offer.id.desc()),
        transfers=select(TransferCase).where(TransferCase.participant_id == pid)
        .order_by(TransferCase.id),
        meetings=select(JointMeeting).options(selectinload(JointMeeting.actions))
        .where(JointMeeting.participant_id == pid).order_by(JointMeeting.meets_at.desc()),
        notices=select(Disturbance.occurred_on, Disturbance.severity)
        .where(Disturbance.participant_id == pid),
        absences=select(Absence.start_date, Absence.end_date)
        .where(Absence.participant_id == pid),
        breakdowns=select(BreakdownAnalysis).where(BreakdownAnalysis.participant_id == pid),
        # Which of the rarer rows exist at all: most participants have no offer, transfer,
        # meeting or breakdown analysis, and one question then replaces four queries.
        present=select(*(select(model.id).where(model.participant_id == pid).exists()
                         for model in (Offer, TransferCase, JointMeeting, BreakdownAnalysis))),
    )


def load(participant: Participant, org: Organisation, today: date) -> Tenancy:
    statements, params = _load_statements(), {"pid": participant.id}
    contracts = list(db.session.scalars(statements["contracts"], params))
    open_ones = [c for c in contracts if c.ended_on is None]
    current = open_ones[-1] if open_ones else None
    present = db.session.execute(statements["present"], params).one()

    def rows(kind, exists: bool) -> list:
        return list(db.session.scalars(statements[kind], params)) if exists else []

    offers = rows("offers", present[0])
    transfers = rows("transfers", present[1])
    transfer = next((t for t in reversed(transfers)
                     if current is not None and t.contract_id == current.id), None)
    meetings = rows("meetings", present[2])
    notices = [tuple(row) for row in db.session.execute(statements["notices"], params)]
    status = None
    if current is not None and current.move_in_date and current.move_in_date <= today:
        absences = [tuple(row) for row in db.session.execute(statements["absences"], params)]
        status = tenancy_status(current.move_in_date, absences, org.transfer_months, today)
    eligibility = transfer_eligibility(
        status, current.kind if current else None,
        bool(current and current.end_reason), notices)
    breakdowns = {b.contract_id: b for b in rows("breakdowns", present[3])}
    tenancy = Tenancy(
        participant=participant, contracts=contracts, current=current, offers=offers,
        transfer=transfer, meetings=meetings, notices=notices, status=status,
        eligibility=eligibility, stage="none", breakdowns=breakdowns,
        terminated_landlords=[landlord_of(c) for c in contracts if c.end_reason == "terminated"],
        transfers=transfers,
    )
    latest = current or (contracts[-1] if contracts else None)
    tenancy.stage = stage(
        latest.kind if latest else None, latest.move_in_date if latest else None,
        latest.end_reason if latest else "", latest.ended_on if latest else None,
        transfer is not None and not transfer.decision, tenancy.open_offer is not None, today)
    if tenancy.open_offer is not None and (latest is None or latest.ended_on is not None
                                           or latest.end_reason):
        tenancy.stage = "offer"
    return tenancy


def offer_warns(tenancy: Tenancy, landlords: list[str]) -> bool:
    """True when any offered apartment belongs to a company that terminated the participant."""
    return any(same_company(name, tenancy.terminated_landlords) for name in landlords)


def set_phase(participant: Participant, phase: int, started_on: date, by: User,
              note: str = "") -> None:
    """Move to a later phase from a tenancy step (move-in → 2, first-hand → 3)."""
    if participant.phase >= phase:
        return
    db.session.add(PhaseChange(participant_id=participant.id, phase=phase, started_on=started_on,
                               note=note, recorded_by_id=by.id, created_at=utcnow()))
    participant.phase = phase
