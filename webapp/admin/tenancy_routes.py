"""Coordinator: breakdown analyses to read (Gävle) and importing an existing caseload from CSV
with a dry run (issue 14). Everything is scoped to the admin's organisation and audited."""
from __future__ import annotations

import json

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import child_or_404, display_name
from ..audit import record
from ..domain import caseload_import
from ..extensions import db
from ..models import (
    BREAKDOWN_CATEGORIES,
    END_REASONS,
    Apartment,
    BreakdownAnalysis,
    Contract,
    InspectionTemplate,
    Participant,
    PhaseChange,
    Plan,
    Team,
    utcnow,
)
from ..rendering import render
from ..social.decisions import record_known_decision
from ..tenancy_services import INSPECTION_V1, template_items
from ..timeutil import local_today
from . import bp

MAX_UPLOAD = 1_000_000  # characters: a caseload of a few thousand rows


@bp.route("/admin/breakdowns")
def breakdowns():
    rows = db.session.execute(
        select(BreakdownAnalysis, Participant, Contract)
        .join(Participant, Participant.id == BreakdownAnalysis.participant_id)
        .join(Contract, Contract.id == BreakdownAnalysis.contract_id)
        .where(Participant.organisation_id == current_user.organisation_id)
        .order_by(BreakdownAnalysis.read_at.is_not(None), BreakdownAnalysis.created_at.desc())
    ).all()
    return render("admin/breakdowns.html", rows=rows, END_REASONS=END_REASONS,
                  BREAKDOWN_CATEGORIES=BREAKDOWN_CATEGORIES, name=display_name)


@bp.route("/admin/breakdowns/<int:analysis_id>/read", methods=["POST"])
def breakdown_read(analysis_id: int):
    analysis = child_or_404(BreakdownAnalysis, analysis_id, need="identity", audit_action=None)
    if analysis.read_at is None:
        analysis.read_at, analysis.read_by_id = utcnow(), current_user.id
        record("update", participant_id=analysis.participant_id,
               object_type="breakdown_analysis", object_id=analysis.id, detail="läst")
        db.session.commit()
    flash(_("Markerad som läst."), "info")
    return redirect(url_for("admin.breakdowns"))


def _teams() -> dict[str, int]:
    return {team.name: team.id for team in db.session.scalars(
        select(Team).where(Team.organisation_id == current_user.organisation_id,
                           Team.kind == "support"))}


def _problem_text(problem) -> str:
    return _(problem.text, **problem.values)


@bp.route("/admin/import", methods=["GET", "POST"])
def caseload_import_page():
    text, result = "", None
    if request.method == "POST":
        upload = request.files.get("csv_file")
        if upload and upload.filename:
            text = upload.read(MAX_UPLOAD + 1).decode("utf-8", errors="replace")
        else:
            text = request.form.get("csv_text", "")
        text = text.replace("\x00", "")[:MAX_UPLOAD]
        result = caseload_import.check(text, _teams(), local_today())
        if request.form.get("action") == "import" and result.ok:
            count = _save(result)
            record("import", object_type="caseload_csv", detail=f"{count} deltagare")
            db.session.commit()
            flash(_("%(count)s deltagare är importerade.", count=count), "info")
            return redirect(url_for("admin.participants"))
    status = 422 if result is not None and not result.ok else 200
    return render("admin/import.html", text=text, result=result, example=caseload_import.EXAMPLE,
                  problem_text=_problem_text, status=status)


def _housing_team_id() -> int | None:
    return db.session.scalar(select(Team.id).where(
        Team.organisation_id == current_user.organisation_id, Team.kind == "housing")
        .order_by(Team.id))


def _save(result) -> int:
    """Create every row's participant, phase history, apartment and contract in one
    transaction; each record says the coordinator entered it now."""
    org_id, housing_team, now = current_user.organisation_id, _housing_team_id(), utcnow()
    for row in result.rows:
        v, d = row.values, row.dates
        person = Participant(organisation_id=org_id, team_id=row.team_id,
                             first_name=v["first_name"], last_name=v["last_name"],
                             phone=v.get("phone", ""), phase=row.phase,
                             decision_date=d.get("decision_date"))
        db.session.add(person)
        db.session.flush()
        db.session.add(Plan(participant_id=person.id))
        record_known_decision(person, d.get("decision_date"), current_user)
        history = {row.phase: d["phase_from"]}
        if row.phase >= 2 and d.get("move_in"):
            history.setdefault(2, d["move_in"])
        if row.phase >= 3 and d.get("first_hand_on"):
            history.setdefault(3, d["first_hand_on"])
        for phase, started in sorted(history.items()):
            db.session.add(PhaseChange(participant_id=person.id, phase=phase, started_on=started,
                                       note=_("Importerad från CSV."),
                                       recorded_by_id=current_user.id, created_at=now))
        if v.get("address"):
            apartment = Apartment(organisation_id=org_id, housing_team_id=housing_team,
                                  address=v["address"],
                                  apartment_number=v.get("apartment_number", ""),
                                  landlord=v.get("landlord", ""))
            db.session.add(apartment)
            db.session.flush()
            db.session.add(Contract(
                participant_id=person.id, apartment_id=apartment.id,
                kind="first_hand" if d.get("first_hand_on") else "second_hand",
                landlord=v.get("landlord", ""), signed_on=d.get("signed_on"),
                start_date=d.get("signed_on"), move_in_date=d.get("move_in"),
                first_hand_on=d.get("first_hand_on"), entered_by_id=current_user.id,
                entered_at=now))
    return len(result.rows)


@bp.route("/admin/inspection-template", methods=["GET", "POST"])
def inspection_template():
    """The transfer inspection checklist (Helsingborg): saving makes a new version; transfers
    already inspected keep the version they were filled on."""
    current = db.session.scalar(
        select(InspectionTemplate).where(
            InspectionTemplate.organisation_id == current_user.organisation_id)
        .order_by(InspectionTemplate.version.desc()))
    version = current.version if current else 0  # 0: the built-in version 1 is in use
    items = template_items(current) if current else INSPECTION_V1["items"]
    text, error = "\n".join(item["text"] for item in items), None
    if request.method == "POST":
        text = request.form.get("items", "").replace("\x00", "")[:10_000]
        lines = [line.strip()[:300] for line in text.splitlines() if line.strip()]
        if not lines:
            error = _("Skriv minst en punkt, en per rad.")
        else:
            known = {item["text"]: item["key"] for item in items}
            new_items = [{"key": known.get(line, f"item_{version + 1}_{n}"),
                          "text": line} for n, line in enumerate(lines, start=1)]
            template = InspectionTemplate(
                organisation_id=current_user.organisation_id, version=version + 1,
                title=INSPECTION_V1["title"],
                items_json=json.dumps(new_items, ensure_ascii=False))
            db.session.add(template)
            db.session.flush()
            record("create", object_type="inspection_template", object_id=template.id,
                   detail=f"version {template.version}")
            db.session.commit()
            flash(_("Version %(version)s av besiktningsmallen är sparad.",
                    version=template.version), "info")
            return redirect(url_for("admin.inspection_template"))
    return render("admin/inspection_template.html", version=max(version, 1), text=text,
                  error=error, status=422 if error else 200)
