"""The participant's plan (genomförandeplan), edited by staff together with the participant.

Every saved change is a new plan version with a JSON snapshot (the history). Edit forms carry
the version they were loaded at; a stale one answers 409 with both texts side by side, so
nothing is silently overwritten and nothing typed is lost (DESIGN §5).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..access import can, child_or_404, get_participant_or_404
from ..audit import record
from ..domain.plans import describe_changes, is_conflict, parse_version, snapshot_json
from ..extensions import db
from ..models import GOAL_STATUSES, LIFE_AREAS, Goal, Plan, PlanRevision, Step, User, utcnow
from ..rendering import is_fragment_request, render
from ..timeutil import local_today
from . import bp
from .kept import columns
from .plan_forms import STEP_WHO, DropForm, FollowUpForm, GoalForm, StepForm

CONFLICT_MESSAGE = _l(
    "Planen har ändrats av någon annan medan du skrev. Jämför det som är sparat nu med det du "
    "skrev. Du kan spara din text ändå, eller använda det som är sparat."
)
HISTORY_LENGTH = 30


# --- loading ---------------------------------------------------------------------------------

@cache
def _plan_statement():
    """`load_plan`'s query with its loader options, built once (the participant a parameter):
    building it per request cost as much as loading a small plan. The comments are joined to
    the goals (a goal has few, often none: a row per comment costs less than a statement of
    its own); the steps, many a goal, come in a statement of their own, so the two lists never
    multiply each other's rows."""
    return select(Plan).where(Plan.participant_id == bindparam("pid")).options(
        joinedload(Plan.goals).selectinload(Goal.steps),
        joinedload(Plan.goals).joinedload(Goal.comments),
    )


def load_plan(participant, create: bool = False) -> Plan | None:
    """The participant's plan with goals, steps and comments (two queries, any plan size: the
    goals and their comments joined to the plan, the steps a query of their own)."""
    plans = db.session.scalars(_plan_statement(), {"pid": participant.id}).unique().all()
    plan = plans[0] if plans else None
    if plan is None and create:
        plan = Plan(participant_id=participant.id, version=1, updated_by_id=current_user.id)
        db.session.add(plan)
        db.session.flush()
    return plan


def _plan_to_change(participant) -> Plan:
    """The plan a form changes. Showing a form writes nothing (without a plan yet, an unsaved
    one); the first save creates it."""
    if request.method in ("GET", "HEAD"):
        return load_plan(participant) or Plan(participant_id=participant.id, version=1)
    return load_plan(participant, create=True)


def _user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return dict(rows.all())


# --- saving ----------------------------------------------------------------------------------

def _bump(plan: Plan, expected: int) -> bool:
    """Claim the next version, only if the stored one is still `expected` (race-safe)."""
    result = db.session.execute(
        update(Plan).where(Plan.id == plan.id, Plan.version == expected)
        .values(version=expected + 1, updated_by_id=current_user.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(plan, ["version", "updated_by_id", "updated_at"])
    return result.rowcount == 1


def save_change(plan: Plan, participant, expected: int | None, change: Callable, *,
                action: str, object_type: str) -> bool:
    """Apply `change()` as a new plan version with its snapshot; False if `expected` is stale."""
    if is_conflict(expected, plan.version):
        return False
    baseline = None
    if db.session.scalar(select(PlanRevision.id).where(PlanRevision.plan_id == plan.id)) is None:
        # The state before the first recorded change, so the history starts where the plan did.
        baseline = PlanRevision(plan_id=plan.id, version=plan.version,
                                snapshot=snapshot_json(plan), changed_by_id=plan.updated_by_id,
                                changed_at=plan.updated_at or utcnow())
    if not _bump(plan, expected):
        return False
    changed = change()
    db.session.flush()
    if baseline is not None:
        db.session.add(baseline)
    db.session.add(PlanRevision(plan_id=plan.id, version=plan.version, snapshot=snapshot_json(plan),
                                changed_by_id=current_user.id, changed_at=plan.updated_at))
    record(action, participant_id=participant.id, object_type=object_type,
           object_id=getattr(changed, "id", None), detail=f"version {plan.version}")
    db.session.commit()
    return True


def _loaded_version() -> int | None:
    """The version the submitted form was loaded at (never a default: missing means unknown)."""
    return parse_version(request.form.get("version"))


def _back_to_plan(participant, anchor: str = ""):
    return redirect(url_for("staff.plan", participant_id=participant.id) + anchor, 303)


# --- pages -----------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/plan")
def plan(participant_id: int):
    participant = get_participant_or_404(participant_id, need="plan")
    the_plan = load_plan(participant) or Plan(participant_id=participant.id, version=1)
    form = FollowUpForm(version=the_plan.version, follow_up_date=the_plan.follow_up_date)
    comment_authors = {c.author_id for g in the_plan.goals for c in g.comments}
    names = _user_names(comment_authors | {the_plan.updated_by_id})
    labels = _labels()
    return render("staff/plan.html", participant=participant, plan=the_plan, form=form,
                  names=names, history=_history(the_plan),
                  goals_key=_goals_key(participant, the_plan, names, labels["today"]),
                  **labels)


def _goals_key(participant, plan: Plan, names: dict, today) -> tuple:
    """The key of the goal cards' kept markup (templating.kept_form, the steps' token filled in
    per view): every goal's, step's and comment's columns, the comment authors' names, whose
    the participant's own ticks are, today (a step overdue) and whether this user may write.
    Writing the cards was ~300 Python calls a step; the key is a few attribute reads a row."""
    return ("plan-goals", participant.id, participant.user_id, today,
            can(current_user, "plan_write"), tuple(sorted(names.items())),
            tuple((columns(goal), tuple(map(columns, goal.steps)),
                   tuple(map(columns, goal.comments))) for goal in plan.goals))


def _labels() -> dict:
    return dict(LIFE_AREAS=LIFE_AREAS, GOAL_STATUSES=GOAL_STATUSES, STEP_WHO=STEP_WHO,
                today=local_today())


def _history(plan: Plan) -> list[dict]:
    """The latest revisions, newest first, each with who, when and what changed."""
    if plan.id is None:
        return []
    rows = db.session.scalars(
        select(PlanRevision).where(PlanRevision.plan_id == plan.id)
        .order_by(PlanRevision.version.desc()).limit(HISTORY_LENGTH + 1)
    ).all()
    names = _user_names(r.changed_by_id for r in rows)
    history = []
    for index, row in enumerate(rows[:HISTORY_LENGTH]):
        older = rows[index + 1] if index + 1 < len(rows) else None
        before = json.loads(older.snapshot) if older is not None else None
        changes = describe_changes(before, json.loads(row.snapshot))
        history.append(dict(version=row.version, at=row.changed_at,
                            by=names.get(row.changed_by_id, "–"), changes=changes))
    return history


@bp.route("/participants/<int:participant_id>/plan/history/<int:version>")
def plan_revision(participant_id: int, version: int):
    participant = get_participant_or_404(participant_id, need="plan")
    revision = db.session.scalar(
        select(PlanRevision).join(Plan, Plan.id == PlanRevision.plan_id)
        .where(Plan.participant_id == participant.id, PlanRevision.version == version)
    )
    if revision is None:
        abort(404)
    return render("staff/plan_revision.html", participant=participant, revision=revision,
                  snapshot=json.loads(revision.snapshot),
                  by=_user_names([revision.changed_by_id]).get(revision.changed_by_id, "–"),
                  **_labels())


def _edit_page(participant, plan, form, *, heading, action, submit, status=200,
               stored=None, drop=None):
    """The one form page for goals, steps and the follow-up date (also the conflict view)."""
    conflict = None
    if stored is not None:
        form.version.data = plan.version  # resubmitting keeps this person's text
        if not isinstance(form, DropForm):
            submit = "Spara min text ändå"
        conflict = dict(message=CONFLICT_MESSAGE, stored=stored, at=plan.updated_at,
                        by=_user_names([plan.updated_by_id]).get(plan.updated_by_id, "–"))
    return render("staff/plan_edit.html", status=status, participant=participant, plan=plan,
                  form=form, heading=heading, action=action, submit=submit, conflict=conflict,
                  drop=drop, drop_form=DropForm(version=plan.version, formdata=None))


def _goal_stored(goal: Goal) -> list[tuple[str, str]]:
    return [(_("Målet med deltagarens egna ord"), goal.own_words),
            (_("Livsområde"), LIFE_AREAS.get(goal.life_area, goal.life_area)),
            (_("Läge"), GOAL_STATUSES.get(goal.status, goal.status))]


def _step_stored(step: Step) -> list[tuple[str, str]]:
    who = STEP_WHO.get(step.who, step.who) + (f" ({step.who_name})" if step.who_name else "")
    return [(_("Vad ska göras?"), step.text), (_("Vem gör det?"), who),
            (_("Klart senast"), step.due_date.isoformat() if step.due_date else "–"),
            (_("Klart"), _("Ja") if step.done else _("Nej")),
            (_("Borttaget"), _("Ja") if step.dropped_at else _("Nej"))]


# --- follow-up date --------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/plan/follow-up", methods=["POST"])
def plan_follow_up(participant_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    form = FollowUpForm()
    action = url_for("staff.plan_follow_up", participant_id=participant.id)
    page = dict(heading=_("Nästa uppföljning av planen"), action=action, submit=_("Spara datum"))
    if not form.validate_on_submit():
        return _edit_page(participant, the_plan, form, status=422, **page)

    def change():
        the_plan.follow_up_date = form.follow_up_date.data
        return the_plan

    if not save_change(the_plan, participant, _loaded_version(), change,
                       action="plan_follow_up", object_type="plan"):
        stored = [(_("Nästa uppföljning"), the_plan.follow_up_date.isoformat()
                   if the_plan.follow_up_date else "–")]
        return _edit_page(participant, the_plan, form, status=409, stored=stored, **page)
    flash(_("Datumet för uppföljning är sparat."))
    return _back_to_plan(participant)


# --- goals -----------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/plan/goals/new", methods=["GET", "POST"])
def plan_goal_new(participant_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    form = GoalForm(version=the_plan.version)
    action = url_for("staff.plan_goal_new", participant_id=participant.id)
    page = dict(heading=_("Nytt mål"), action=action, submit=_("Spara målet"))
    if request.method == "GET":
        return _edit_page(participant, the_plan, form, **page)
    if not form.validate_on_submit():
        return _edit_page(participant, the_plan, form, status=422, **page)

    def change():
        goal = Goal(own_words=form.own_words.data.strip(), life_area=form.life_area.data,
                    status=form.status.data, position=len(the_plan.goals))
        the_plan.goals.append(goal)
        return goal

    # Adding never overwrites anything, so it is saved on top of whatever version is stored.
    if not save_change(the_plan, participant, the_plan.version, change,
                       action="plan_goal_create", object_type="goal"):
        return _edit_page(participant, the_plan, form, status=409, stored=[], **page)
    flash(_("Målet är sparat."))
    return _back_to_plan(participant)


@bp.route("/participants/<int:participant_id>/plan/goals/<int:goal_id>", methods=["GET", "POST"])
def plan_goal_edit(participant_id: int, goal_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    goal = child_or_404(Goal, goal_id, of=participant)
    form = GoalForm(obj=goal, version=the_plan.version)
    page = dict(heading=_("Ändra mål"), submit=_("Spara ändringen"),
                action=url_for("staff.plan_goal_edit", participant_id=participant.id,
                               goal_id=goal.id),
                drop=dict(label=_("Ta bort målet"), action=url_for(
                    "staff.plan_goal_drop", participant_id=participant.id, goal_id=goal.id)))
    if request.method == "GET":
        return _edit_page(participant, the_plan, form, **page)
    if not form.validate_on_submit():
        return _edit_page(participant, the_plan, form, status=422, **page)

    def change():
        goal.own_words = form.own_words.data.strip()
        goal.life_area, goal.status = form.life_area.data, form.status.data
        return goal

    if not save_change(the_plan, participant, _loaded_version(), change,
                       action="plan_goal_update", object_type="goal"):
        return _edit_page(participant, the_plan, form, status=409, stored=_goal_stored(goal),
                          **page)
    flash(_("Målet är sparat."))
    return _back_to_plan(participant, f"#goal-{goal.id}")


@bp.route("/participants/<int:participant_id>/plan/goals/<int:goal_id>/drop", methods=["POST"])
def plan_goal_drop(participant_id: int, goal_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    goal = child_or_404(Goal, goal_id, of=participant)

    def change():
        goal.status = "dropped"
        return goal

    if not save_change(the_plan, participant, _loaded_version(), change,
                       action="plan_goal_drop", object_type="goal"):
        retry = DropForm(version=the_plan.version, formdata=None)
        return _edit_page(participant, the_plan, retry, status=409, stored=_goal_stored(goal),
                          heading=_("Ta bort målet?"), submit=_("Ta bort målet ändå"),
                          action=url_for("staff.plan_goal_drop", participant_id=participant.id,
                                         goal_id=goal.id))
    flash(_("Målet är borttaget ur planen. Det finns kvar i historiken."))
    return _back_to_plan(participant)


# --- steps -----------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/plan/goals/<int:goal_id>/steps/new",
          methods=["GET", "POST"])
def plan_step_new(participant_id: int, goal_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    goal = child_or_404(Goal, goal_id, of=participant)
    form = StepForm(version=the_plan.version)
    page = dict(heading=_("Nytt steg"), submit=_("Spara steget"), action=url_for(
        "staff.plan_step_new", participant_id=participant.id, goal_id=goal.id))
    if request.method == "GET":
        return _edit_page(participant, the_plan, form, **page)
    if not form.validate_on_submit():
        return _edit_page(participant, the_plan, form, status=422, **page)

    def change():
        step = Step(position=len(goal.steps))
        _fill_step(step, form)
        goal.steps.append(step)
        return step

    if not save_change(the_plan, participant, the_plan.version, change,
                       action="plan_step_create", object_type="step"):
        return _edit_page(participant, the_plan, form, status=409, stored=[], **page)
    flash(_("Steget är sparat."))
    return _back_to_plan(participant, f"#goal-{goal.id}")


def _fill_step(step: Step, form: StepForm) -> None:
    step.text = form.text.data.strip()
    step.who, step.who_name = form.who.data, (form.who_name.data or "").strip()
    step.due_date = form.due_date.data


@bp.route("/participants/<int:participant_id>/plan/steps/<int:step_id>", methods=["GET", "POST"])
def plan_step_edit(participant_id: int, step_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    step = child_or_404(Step, step_id, of=participant)
    form = StepForm(obj=step, version=the_plan.version)
    page = dict(heading=_("Ändra steg"), submit=_("Spara ändringen"),
                action=url_for("staff.plan_step_edit", participant_id=participant.id,
                               step_id=step.id),
                drop=dict(label=_("Ta bort steget"), action=url_for(
                    "staff.plan_step_drop", participant_id=participant.id, step_id=step.id)))
    if request.method == "GET":
        return _edit_page(participant, the_plan, form, **page)
    if not form.validate_on_submit():
        return _edit_page(participant, the_plan, form, status=422, **page)

    def change():
        _fill_step(step, form)
        return step

    if not save_change(the_plan, participant, _loaded_version(), change,
                       action="plan_step_update", object_type="step"):
        return _edit_page(participant, the_plan, form, status=409, stored=_step_stored(step),
                          **page)
    flash(_("Steget är sparat."))
    return _back_to_plan(participant, f"#step-{step.id}")


@bp.route("/participants/<int:participant_id>/plan/steps/<int:step_id>/drop", methods=["POST"])
def plan_step_drop(participant_id: int, step_id: int):
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    step = child_or_404(Step, step_id, of=participant)

    def change():
        step.dropped_at = utcnow()
        return step

    if not save_change(the_plan, participant, _loaded_version(), change,
                       action="plan_step_drop", object_type="step"):
        retry = DropForm(version=the_plan.version, formdata=None)
        return _edit_page(participant, the_plan, retry, status=409, stored=_step_stored(step),
                          heading=_("Ta bort steget?"), submit=_("Ta bort steget ändå"),
                          action=url_for("staff.plan_step_drop", participant_id=participant.id,
                                         step_id=step.id))
    flash(_("Steget är borttaget ur planen. Det finns kvar i historiken."))
    return _back_to_plan(participant, f"#goal-{step.goal_id}")


@bp.route("/participants/<int:participant_id>/plan/steps/<int:step_id>/done", methods=["POST"])
def plan_step_done(participant_id: int, step_id: int):
    """Tick a step done (or not). The form says the wanted state, so a repeat changes nothing."""
    participant = get_participant_or_404(participant_id, need="plan_write")
    the_plan = _plan_to_change(participant)
    step = child_or_404(Step, step_id, of=participant)
    wanted = request.form.get("done", "1") == "1"
    if step.done != wanted:

        def change():
            step.done = wanted
            step.done_at, step.done_by_id = (utcnow(), current_user.id) if wanted else (None, None)
            return step

        if not save_change(the_plan, participant, the_plan.version, change,
                           action="plan_step_done" if wanted else "plan_step_undone",
                           object_type="step"):
            return make_response(_("Någon sparade samtidigt. Ladda om sidan och försök igen."), 409)
    if is_fragment_request():
        return render("staff/plan.html", block="step", participant=participant, plan=the_plan,
                      step=step, oob_version=True, **_labels())
    flash(_("Steget är markerat som klart.") if wanted
          else _("Steget är inte längre markerat klart."))
    return _back_to_plan(participant, f"#step-{step.id}")
