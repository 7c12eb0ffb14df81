"""Routes of the social-services side. Access per DESIGN §2 is decided in webapp/access.py."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..access import child_or_404, get_participant_or_404
from ..audit import record
from ..domain.rules import effective_rules
from ..domain.social import default_period, quarterly_status
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import (
    Appointment,
    Contract,
    CrisisPlan,
    Decision,
    FollowUpComment,
    FollowUpReport,
    Goal,
    MissedVisit,
    Organisation,
    Participant,
    Plan,
    QuarterlyFollowUp,
    SupportAssignment,
    Team,
    VisitOutcome,
    utcnow,
)
from ..queries import current_contract_id
from ..rendering import render
from ..timeutil import local_today, month_key, to_utc
from . import bp
from .decisions import save_decision
from .forms import (
    REPORT_FIELDS,
    AssignmentForm,
    CommentForm,
    CrisisPlanForm,
    DecisionForm,
    ExplainMissedForm,
    GoalDetailsForm,
    LateVisitForm,
    PlanDetailsForm,
    QuarterlyForm,
    ReportForm,
)
from .home import home_sections
from .missed_visits import period_end


@bp.app_template_filter("local_deadline")
def local_deadline(value) -> str:
    """A deadline at local midnight reads as the end of the day before ("måndag 23 november
    kl 24:00"), as the one-day rule is worded."""
    from ..timeutil import format_datetime, format_day, to_local

    local = to_local(value)
    if local.hour == 0 and local.minute == 0:
        day = local.date() - timedelta(days=1)
        return _("%(day)s kl 24:00", day=format_day(day))
    return format_datetime(value)


@bp.context_processor
def _labels() -> dict:
    from ..models import AGREEMENT, DECISION_KINDS, MISSED_REASONS

    return dict(DECISION_KINDS=DECISION_KINDS, MISSED_REASONS=MISSED_REASONS,
                AGREEMENT=AGREEMENT)


@bp.route("/social")
def home():
    """Mina ärenden: the social worker's home (DESIGN §1c)."""
    return render("social/home.html", **home_sections(current_user, local_today(), utcnow()))


# --- Decisions and the assignment ------------------------------------------------------------

def _decisions(person) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(
        Decision.participant_id == person.id).order_by(Decision.starts_on.desc(),
                                                        Decision.id.desc())))


def _decision_choices(person, decisions: list[Decision] | None = None) -> list[SelectChoice]:
    from ..models import DECISION_KINDS

    return [SelectChoice("", _("Inget valt"))] + [
        SelectChoice(str(d.id), f"{DECISION_KINDS[d.kind]} {d.starts_on.isoformat()}")
        for d in (_decisions(person) if decisions is None else decisions)
        if d.superseded_by_id is None]


def _chosen_decision(form) -> int | None:
    """The decision chosen, or None. A blank answer (spaces too) is "none chosen": Optional()
    accepts it and drops the select's own "not a choice" error, so it reaches us unchecked."""
    chosen = (form.decision_id.data or "").strip()
    return int(chosen) if chosen else None


def _decisions_page(person, form=None, assignment_form=None, status=200, editing=None):
    form = form or DecisionForm(formdata=None, data=dict(decided_on=local_today(),
                                                         starts_on=local_today()))
    assignment_form = assignment_form or AssignmentForm(formdata=None,
                                                        data=dict(sent_on=local_today()))
    decisions = _decisions(person)
    assignment_form.decision_id.choices = _decision_choices(person, decisions)
    assignments = db.session.scalars(select(SupportAssignment).where(
        SupportAssignment.participant_id == person.id)
        .order_by(SupportAssignment.sent_on.desc())).all()
    return render("social/decisions.html", status=status, participant=person, form=form,
                  assignment_form=assignment_form, decisions=decisions,
                  assignments=assignments, editing=editing, rules=_rules_of(person)[0])


def _rules_of(person, *facts) -> tuple:
    """(the participant's rules: their team's over the organisation's, *the values of `facts`,
    scalar subqueries), in one query: team and organisation need none of their own."""
    team, org, *values = db.session.execute(
        select(Team, Organisation, *facts).select_from(Participant)
        .join(Organisation, Organisation.id == Participant.organisation_id)
        .outerjoin(Team, Team.id == Participant.team_id)
        .where(Participant.id == person.id)).one()
    return effective_rules(org, team), *values


@bp.route("/participants/<int:participant_id>/decisions")
def decisions(participant_id: int):
    person = get_participant_or_404(participant_id, need="decisions")
    return _decisions_page(person)


def _fill_decision(decision: Decision, form: DecisionForm, person) -> None:
    rules = effective_rules(person.team.organisation, person.team)
    decision.kind, decision.decided_on = form.kind.data, form.decided_on.data
    decision.starts_on, decision.text = form.starts_on.data, (form.text.data or "").strip()
    ends_on, review = default_period(form.starts_on.data, rules.decision_months)
    decision.ends_on = form.ends_on.data or (ends_on if form.kind.data == "support" else None)
    decision.review_date = form.review_date.data or (
        review if form.kind.data == "support" and not form.ends_on.data else None)
    if decision.review_date and decision.ends_on and decision.review_date > decision.ends_on:
        decision.review_date = decision.ends_on


@bp.route("/participants/<int:participant_id>/decisions/new", methods=["POST"])
def new_decision(participant_id: int):
    person = get_participant_or_404(participant_id, need="decisions_write")
    form = DecisionForm()
    if not form.validate_on_submit():
        return _decisions_page(person, form=form, status=422)
    decision = Decision(participant_id=person.id, recorded_by_id=current_user.id)
    _fill_decision(decision, form, person)
    save_decision(person, decision, current_user, supersede=True)
    db.session.commit()
    flash(_("Beslutet är sparat."), "success")
    return redirect(url_for("social.decisions", participant_id=person.id))


@bp.route("/participants/<int:participant_id>/decisions/<int:decision_id>/edit",
          methods=["GET", "POST"])
def edit_decision(participant_id: int, decision_id: int):
    person = get_participant_or_404(participant_id, need="decisions_write")
    decision = child_or_404(Decision, decision_id, of=person)
    if request.method == "GET":
        return _decisions_page(person, form=DecisionForm(obj=decision), editing=decision)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _decisions_page(person, form=form, status=422, editing=decision)
    _fill_decision(decision, form, person)
    save_decision(person, decision, current_user, supersede=False)
    db.session.commit()
    flash(_("Beslutet är ändrat."), "success")
    return redirect(url_for("social.decisions", participant_id=person.id))


@bp.route("/participants/<int:participant_id>/assignments", methods=["POST"])
def new_assignment(participant_id: int):
    person = get_participant_or_404(participant_id, need="decisions_write")
    form = AssignmentForm()
    form.decision_id.choices = _decision_choices(person)
    if not form.validate_on_submit():
        return _decisions_page(person, assignment_form=form, status=422)
    row = SupportAssignment(participant_id=person.id, purpose=form.purpose.data.strip(),
                            sent_on=form.sent_on.data, created_by_id=current_user.id,
                            decision_id=_chosen_decision(form))
    db.session.add(row)
    db.session.flush()
    record("create", participant_id=person.id, object_type="assignment", object_id=row.id)
    db.session.commit()
    flash(_("Uppdraget är skickat till teamet."), "success")
    return redirect(url_for("social.decisions", participant_id=person.id))


# --- Monthly follow-up reports and quarterly follow-ups --------------------------------------

def _writable_months(today) -> tuple[str, str]:
    return month_key(today), month_key(add_months(today.replace(day=1), -1))


def _reports_page(person, form=None, status=200, quarterly_form=None, month=None):
    today = local_today()
    month = month if month in _writable_months(today) else month_key(today)
    reports = db.session.scalars(select(FollowUpReport).where(
        FollowUpReport.participant_id == person.id)
        .order_by(FollowUpReport.month.desc())).all()
    existing = next((r for r in reports if r.month == month), None)
    if form is None:
        form = ReportForm(formdata=None, obj=existing)
    held = db.session.scalars(select(QuarterlyFollowUp).where(
        QuarterlyFollowUp.participant_id == person.id)
        .order_by(QuarterlyFollowUp.held_on)).all()
    moved_in = (select(Contract.move_in_date)
                .where(Contract.id == current_contract_id(person.id)).scalar_subquery())
    rules, move_in = _rules_of(person, moved_in)
    quarterly = None
    if rules.quarterly_follow_ups and move_in:
        quarterly = quarterly_status(move_in, [q.held_on for q in held],
                                     rules.transfer_at_follow_up)
    return render("social/reports.html", status=status, participant=person, form=form,
                  reports=reports, month=month, existing=existing, rules=rules, held=held,
                  quarterly=quarterly, quarterly_form=quarterly_form or QuarterlyForm(
                      formdata=None, data=dict(held_on=today)),
                  previous=month_key(add_months(today.replace(day=1), -1)))


@bp.route("/participants/<int:participant_id>/reports")
def reports(participant_id: int):
    person = get_participant_or_404(participant_id, need="reports")
    return _reports_page(person, month=request.args.get("month"))


@bp.route("/participants/<int:participant_id>/reports/<month>", methods=["POST"])
def save_report(participant_id: int, month: str):
    person = get_participant_or_404(participant_id, need="reports_write")
    today = local_today()
    if month not in _writable_months(today):
        abort(404)  # only this month's and last month's report can be written
    form = ReportForm()
    if not form.validate_on_submit():
        return _reports_page(person, form=form, status=422, month=month)
    report = db.session.scalar(select(FollowUpReport).where(
        FollowUpReport.participant_id == person.id, FollowUpReport.month == month))
    if report is None:
        report = FollowUpReport(participant_id=person.id, month=month)
        db.session.add(report)
    for name in REPORT_FIELDS:
        setattr(report, name, (getattr(form, name).data or "").strip())
    report.author_id, report.submitted_at, report.read_at = current_user.id, utcnow(), None
    db.session.flush()
    record("update", participant_id=person.id, object_type="follow_up_report",
           object_id=report.id)
    db.session.commit()
    flash(_("Rapporten är skickad till socialsekreteraren."), "success")
    return redirect(url_for("social.reports", participant_id=person.id))


@bp.route("/participants/<int:participant_id>/reports/<int:report_id>/read")
def report(participant_id: int, report_id: int):
    person = get_participant_or_404(participant_id, need="reports")
    row = child_or_404(FollowUpReport, report_id, of=person)
    if current_user.role == "social_worker" and row.read_at is None:
        row.read_at, row.read_by_id = utcnow(), current_user.id
        db.session.commit()
    return render("social/report.html", participant=person, report=row,
                  comment_form=CommentForm(formdata=None))


@bp.route("/participants/<int:participant_id>/reports/<int:report_id>/comments",
          methods=["POST"])
def comment_report(participant_id: int, report_id: int):
    person = get_participant_or_404(participant_id, need="reports_comment")
    row = child_or_404(FollowUpReport, report_id, of=person)
    form = CommentForm()
    if not form.validate_on_submit():
        return render("social/report.html", status=422, participant=person, report=row,
                      comment_form=form)
    db.session.add(FollowUpComment(report_id=row.id, author_id=current_user.id,
                                   text=form.text.data.strip()))
    record("create", participant_id=person.id, object_type="follow_up_comment",
           object_id=row.id)
    db.session.commit()
    flash(_("Kommentaren är sparad."), "success")
    return redirect(url_for("social.report", participant_id=person.id, report_id=row.id))


@bp.route("/participants/<int:participant_id>/quarterly", methods=["POST"])
def new_quarterly(participant_id: int):
    person = get_participant_or_404(participant_id, need="quarterly_write")
    form = QuarterlyForm()
    if not form.validate_on_submit():
        return _reports_page(person, quarterly_form=form, status=422)
    count = len(db.session.scalars(select(QuarterlyFollowUp.id).where(
        QuarterlyFollowUp.participant_id == person.id)).all())
    row = QuarterlyFollowUp(participant_id=person.id, held_on=form.held_on.data,
                            number=count + 1, note=(form.note.data or "").strip(),
                            transfer_ready={"yes": True, "no": False}.get(form.transfer_ready.data),
                            recorded_by_id=current_user.id)
    db.session.add(row)
    db.session.flush()
    record("create", participant_id=person.id, object_type="quarterly_follow_up",
           object_id=row.id)
    db.session.commit()
    flash(_("Uppföljningsmötet är sparat."), "success")
    return redirect(url_for("social.reports", participant_id=person.id))


# --- Missed visit periods and visits recorded after the fact (DESIGN §1d) --------------------

def _store_late_visit(person, kind: str, day, moment, with_soc: bool, note: str) -> Appointment:
    starts_at = to_utc(datetime.combine(day, moment))
    appointment = Appointment(participant_id=person.id, staff_id=current_user.id, kind=kind,
                              starts_at=starts_at, with_social_services=with_soc,
                              created_by_id=current_user.id, visible_to_participant=False)
    db.session.add(appointment)
    db.session.flush()
    db.session.add(VisitOutcome(appointment_id=appointment.id, participant_id=person.id,
                                outcome="done", note=note, recorded_by_id=current_user.id))
    record("create", participant_id=person.id, object_type="visit_after_the_fact",
           object_id=appointment.id)
    return appointment


@bp.route("/participants/<int:participant_id>/visits/after-the-fact", methods=["GET", "POST"])
def late_visit(participant_id: int):
    write = request.method == "POST"
    person = get_participant_or_404(participant_id, need="visits_write")
    form = LateVisitForm() if write else LateVisitForm(formdata=None, data=dict(
        day=local_today()))
    if write and form.validate_on_submit():
        _store_late_visit(person, form.kind.data, form.day.data, form.time.data,
                          form.with_social_services.data == "yes",
                          (form.note.data or "").strip())
        db.session.commit()
        flash(_("Besöket är registrerat i efterhand."), "success")
        return redirect(url_for("staff.appointments", participant_id=person.id))
    return render("social/late_visit.html", status=422 if write else 200, participant=person,
                  form=form)


@bp.route("/participants/<int:participant_id>/missed-visits/<int:missed_id>",
          methods=["GET", "POST"])
def explain_missed(participant_id: int, missed_id: int):
    write = request.method == "POST"
    person = get_participant_or_404(participant_id, need="visits_write")
    missed = child_or_404(MissedVisit, missed_id, of=person)
    form = ExplainMissedForm() if write else ExplainMissedForm(formdata=None)
    if write and missed.reason is None and form.validate_on_submit():
        if form.reason.data == "logged_late":
            appointment = _store_late_visit(person, "home_visit", form.visited_on.data,
                                            form.visited_time.data, False, "")
            missed.appointment_id = appointment.id
        missed.reason, missed.explained_at = form.reason.data, utcnow()
        missed.explained_by_id = current_user.id
        record("update", participant_id=person.id, object_type="missed_visit",
               object_id=missed.id)
        db.session.commit()
        flash(_("Orsaken är sparad."), "success")
        return redirect(url_for("staff.today"))
    return render("social/missed.html", status=422 if write else 200, participant=person,
                  missed=missed, form=form, period_end=period_end(missed))


# --- Crisis plan and the plan per SOSFS 2014:5 -----------------------------------------------

def _crisis_plan(person) -> CrisisPlan:
    row = db.session.scalar(select(CrisisPlan).where(CrisisPlan.participant_id == person.id))
    return row or CrisisPlan(participant_id=person.id)


@bp.route("/participants/<int:participant_id>/crisis-plan", methods=["GET", "POST"])
def crisis_plan(participant_id: int):
    write = request.method == "POST"
    person = get_participant_or_404(participant_id,
                                    need="crisis_plan_write" if write else "crisis_plan")
    row = _crisis_plan(person)
    form = CrisisPlanForm() if write else CrisisPlanForm(formdata=None, obj=row)
    if write and form.validate_on_submit():
        for name in ("signals", "what_helps", "whom_to_call"):
            setattr(row, name, (getattr(form, name).data or "").strip())
        row.updated_by_id, row.updated_at = current_user.id, utcnow()
        db.session.add(row)
        db.session.flush()
        record("update", participant_id=person.id, object_type="crisis_plan", object_id=row.id)
        db.session.commit()
        flash(_("Krisplanen är sparad."), "success")
        return redirect(url_for("social.crisis_plan", participant_id=person.id))
    return render("social/crisis_plan.html", status=422 if write else 200, participant=person,
                  form=form, plan=row)


@bp.route("/participants/<int:participant_id>/plan/details", methods=["GET", "POST"])
def plan_details(participant_id: int):
    write = request.method == "POST"
    person = get_participant_or_404(participant_id, need="plan_write" if write else "plan")
    plans = db.session.scalars(select(Plan).where(Plan.participant_id == person.id)
                               .options(joinedload(Plan.goals))).unique().all()
    plan = plans[0] if plans else None
    if plan is None:
        plan = Plan(participant_id=person.id)
        db.session.add(plan)
        db.session.flush()
    goals = [g for g in plan.goals if g.status == "active"]
    form = PlanDetailsForm() if write else PlanDetailsForm(formdata=None, obj=plan, data=dict(
        decision_id=str(plan.decision_id or "")))
    form.decision_id.choices = _decision_choices(person)
    goal_forms = {g.id: GoalDetailsForm(prefix=f"goal-{g.id}", formdata=request.form
                                        if write else None, obj=None if write else g)
                  for g in goals}
    if write and form.validate_on_submit() and all(f.validate() for f in goal_forms.values()):
        plan.decision_id = _chosen_decision(form)
        plan.participation = (form.participation.data or "").strip()
        plan.agreement = form.agreement.data or ""
        plan.sip_on, plan.sip_note = form.sip_on.data, (form.sip_note.data or "").strip()
        for goal in goals:
            goal_form: GoalDetailsForm = goal_forms[goal.id]
            goal.how_when = (goal_form.how_when.data or "").strip()
            goal.follow_up_on = goal_form.follow_up_on.data
        plan.updated_by_id, plan.updated_at = current_user.id, utcnow()
        record("update", participant_id=person.id, object_type="plan_details",
               object_id=plan.id)
        db.session.commit()
        flash(_("Planen är sparad."), "success")
        return redirect(url_for("social.plan_details", participant_id=person.id))
    return render("social/plan_details.html", status=422 if write else 200, participant=person,
                  form=form, plan=plan, goals=goals, goal_forms=goal_forms,
                  goal_type=Goal)
