"""The participant's own pages: plan, appointments, contacts, home, access log, calendar feed.

Every query starts from `own_participant()`; an id that is not the participant's answers 404.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from operator import itemgetter

from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import DateTime, Integer, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from .. import calendar as ical
from ..access import child_or_404, own_participant, visible_participants
from ..audit import record
from ..extensions import db, limiter
from ..i18n import pinned_translations
from ..inputs import page_arg
from ..models import (
    GOAL_STATUSES,
    LIFE_AREAS,
    AuditEvent,
    ChecklistSubmission,
    Goal,
    GoalComment,
    OpenSupportContact,
    Organisation,
    Plan,
    StaffAssignment,
    Step,
    User,
    utcnow,
)
from ..queries import current_contracts, dialect_name, run, tenancy_for
from ..rendering import is_fragment_request, render
from ..timeutil import local_day_bounds_utc, local_today, to_local, tz
from . import bp, plain_words
from .forms import GoalCommentForm, NewCalendarLinkForm, StepDoneForm
from .offline_routes import primary_worker

OWN_STEP_KINDS = ("participant", "together")
LOG_WINDOW = 5000  # the newest events grouped on the page (a year of ordinary use)
LOG_PAGE_SIZE = 50
LOG_FIRST_READ = 100  # events read first: most participants' first page of groups
LOG_UNTIL_NOW = datetime(9999, 1, 1)  # the first read's bound: every event is older
_HOUR, _COUNT = itemgetter(0), itemgetter(7)  # of `_access_log_statement`'s rows
LAST_OF_HOUR = timedelta(minutes=59, seconds=59, microseconds=999999)




# --- Din plan ------------------------------------------------------------------------------

def _names(goals) -> dict[int, str]:
    """Display names of everyone who commented or ticked a step, in one query."""
    ids = {c.author_id for g in goals for c in g.comments}
    ids |= {s.done_by_id for g in goals for s in g.steps if s.done_by_id}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


@cache
def _plan_statement():
    """The plan with its goals, steps and comments and the crisis plan, built once with the
    participant as a parameter: building it (and its loader options) per request cost as much
    as running it."""
    from ..models import CrisisPlan

    return (select(Plan, CrisisPlan)
            .outerjoin(CrisisPlan, CrisisPlan.participant_id == Plan.participant_id)
            .where(Plan.participant_id == bindparam("pid")).options(
                selectinload(Plan.goals).selectinload(Goal.steps),
                selectinload(Plan.goals).selectinload(Goal.comments)))


def _plan_context(participant, forms: dict | None = None, **extra) -> dict:
    from ..models import CrisisPlan

    # The crisis plan comes with the plan (one each per participant): a statement fewer.
    plan, crisis = db.session.execute(_plan_statement(), {"pid": participant.id}).first() or (
        None, None)
    if plan is None:  # no plan (yet): a crisis plan may still be there
        crisis = db.session.scalar(select(CrisisPlan).where(
            CrisisPlan.participant_id == participant.id))
    goals = list(plan.goals) if plan else []
    # Goals still being worked on come first; reached and ended ones stay readable below.
    order = {"active": 0, "paused": 1, "reached": 2, "dropped": 3}
    goals.sort(key=lambda g: (order.get(g.status, 0), g.position))
    forms = dict(forms or {})
    for goal in goals:
        forms.setdefault(goal.id, GoalCommentForm(formdata=None, prefix=f"g{goal.id}"))
    return dict(participant=participant, plan=plan, goals=goals, forms=forms, crisis=crisis,
                names=_names(goals), me_id=current_user.id, today=local_today(),
                words=plain_words, life_areas=LIFE_AREAS, goal_statuses=GOAL_STATUSES,
                own_kinds=OWN_STEP_KINDS, **extra)


@bp.route("/me/plan")
def plan():
    return render("me/plan.html", **_plan_context(own_participant()))


@bp.route("/me/steps/<int:step_id>/done", methods=["POST"])
def step_done(step_id: int):
    participant = own_participant()
    step = child_or_404(Step, step_id, of=participant)
    if step.who not in OWN_STEP_KINDS:
        abort(403)  # the participant sees staff steps but only ticks their own
    form = StepDoneForm()
    if not form.validate_on_submit():
        abort(400)
    done = form.done.data != "0"
    if step.done != done:
        step.done = done
        step.done_at = utcnow() if done else None
        step.done_by_id = current_user.id if done else None
        record("update", participant_id=participant.id, object_type="step", object_id=step.id,
               detail="done" if done else "not done")
        db.session.commit()
    if is_fragment_request():
        context = _plan_context(participant)
        return render("me/plan.html", block="step", step=step, **context)
    flash(_("Bra! Steget är klart.") if done else _("Steget är inte klart längre."), "info")
    return redirect(url_for("me.plan", _anchor=f"step-{step.id}"))


@bp.route("/me/goals/<int:goal_id>/comments", methods=["POST"])
def goal_comment(goal_id: int):
    participant = own_participant()
    goal = child_or_404(Goal, goal_id, of=participant)
    form = GoalCommentForm(prefix=f"g{goal.id}")
    if not form.validate_on_submit():
        context = _plan_context(participant, forms={goal.id: form})
        return render("me/plan.html", block="goal_comments", status=422,
                      goal=_goal_in(context, goal.id), **context)
    comment = GoalComment(goal_id=goal.id, author_id=current_user.id,
                          kind=form.kind.data, text=form.text.data.strip())
    db.session.add(comment)
    db.session.flush()
    record("create", participant_id=participant.id, object_type="goal_comment",
           object_id=comment.id, detail=comment.kind)
    db.session.commit()
    message = _("Tack! Din önskan är sparad.") if comment.kind == "wish" else _(
        "Tack! Din kommentar är sparad.")
    if is_fragment_request():
        context = _plan_context(participant, saved={goal.id: message})
        return render("me/plan.html", block="goal_comments", goal=_goal_in(context, goal.id),
                      **context)
    flash(message, "info")
    return redirect(url_for("me.plan", _anchor=f"goal-{goal.id}"))


def _goal_in(context: dict, goal_id: int) -> Goal:
    return next(g for g in context["goals"] if g.id == goal_id)


# --- Dina tider ----------------------------------------------------------------------------

def _feed_urls(user: User) -> tuple[str, str]:
    """(https URL, webcal URL) of the personal feed, on the public base URL."""
    base = current_app.config["BOFAST_BASE_URL"].rstrip("/")
    https = base + url_for("me.calendar_feed", token=user.calendar_token)
    return https, "webcal://" + https.split("://", 1)[-1]


@bp.route("/me/appointments")
def appointments():
    participant = own_participant()
    today = local_today()
    start, _end = local_day_bounds_utc(today)
    upcoming = ical.participant_appointments(participant.id, since=start, limit=100)
    _load_staff(upcoming)
    https, webcal = _feed_urls(current_user)
    return render("me/appointments.html", participant=participant, appointments=upcoming,
                  today=today, words=plain_words, feed_url=https, webcal_url=webcal,
                  form=NewCalendarLinkForm(), worker=primary_worker(participant))


def _load_staff(appointments) -> None:
    """Load every staff member in one query (no N+1 on `appointment.staff`)."""
    ids = {a.staff_id for a in appointments if a.staff_id}
    if ids:
        db.session.scalars(select(User).where(User.id.in_(ids))).all()


@bp.route("/me/calendar/new-link", methods=["POST"])
def calendar_rotate():
    own_participant()
    if not NewCalendarLinkForm().validate_on_submit():
        abort(400)
    ical.rotate_token(current_user)
    record("update", object_type="calendar_token", object_id=current_user.id)
    db.session.commit()
    flash(_("Du har fått en ny kalenderlänk. Den gamla fungerar inte längre. "
            "Lägg till den nya i din kalender."), "info")
    return redirect(url_for("me.appointments", _anchor="calendar"))


@bp.route("/calendar/<token>.ics")
@limiter.limit("60 per minute")
def calendar_feed(token: str):
    """Public, authorised by the secret token; answers 404 for anything unknown."""
    user = ical.user_for_token(token)
    participant = db.session.scalar(visible_participants(user)) if user else None
    if participant is None or user.role != "participant":
        abort(404)
    now = utcnow()
    items = ical.participant_appointments(participant.id, since=now - ical.HISTORY)
    base = current_app.config["BOFAST_BASE_URL"].rstrip("/")
    body = ical.build_feed(items, link=base + url_for("me.appointments"), now=now)
    record("read", participant_id=participant.id, object_type="calendar_feed", user=user)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="bofast.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Kontakter -----------------------------------------------------------------------------

@bp.route("/me/contacts")
def contacts():
    participant = own_participant()
    workers = db.session.scalars(
        select(User).join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.participant_id == participant.id, User.active.is_(True))
        .order_by(StaffAssignment.is_primary.desc(), User.display_name)
    ).all()
    org = db.session.get(Organisation, participant.organisation_id)
    open_support = db.session.scalars(
        select(OpenSupportContact).where(OpenSupportContact.organisation_id == org.id,
                                         OpenSupportContact.active.is_(True))  # removed: gone
        .order_by(OpenSupportContact.position, OpenSupportContact.id)
    ).all()
    social_worker = participant.social_worker
    if social_worker is not None and not social_worker.active:
        social_worker = None
    return render("me/contacts.html", participant=participant, workers=workers, org=org,
                  open_support=open_support, social_worker=social_worker, words=plain_words,
                  open_first=participant.phase == 4)


# --- Min lägenhet --------------------------------------------------------------------------

def _latest_per_month(submissions) -> list[ChecklistSubmission]:
    latest: dict[str, ChecklistSubmission] = {}
    for row in submissions:  # ordered newest version first within a month
        latest.setdefault(row.month, row)
    return list(latest.values())




@bp.route("/me/home")
def home():
    participant = own_participant()
    today = local_today()
    org = db.session.get(Organisation, participant.organisation_id)
    contract = current_contracts([participant.id]).get(participant.id)
    tenancy = tenancy_for([participant.id], org, today)[participant.id]
    submissions = _latest_per_month(db.session.scalars(
        select(ChecklistSubmission).where(ChecklistSubmission.participant_id == participant.id)
        .order_by(ChecklistSubmission.month.desc(), ChecklistSubmission.version_no.desc(),
                  ChecklistSubmission.id.desc())
    ))
    return render("me/home.html", participant=participant, org=org, contract=contract,
                  tenancy=tenancy, submissions=submissions[:36], today=today, words=plain_words)


# --- Vem har tittat ------------------------------------------------------------------------

@cache
def _access_log_statement(dialect: str):
    """A participant's newest `window` events older than `until`, counted per UTC hour, person
    and action, built once per dialect with the participant, the reader and the bounds as
    parameters (building it cost more Python than reading its rows). Grouped by the user's id,
    their name and role joined to the few groups afterwards. The events are read newest first
    from the index on (participant, at, id) (migration 0018)."""
    newest = (select(AuditEvent.id, AuditEvent.at, AuditEvent.role, AuditEvent.action,
                     AuditEvent.object_type, AuditEvent.user_id)
              .where(AuditEvent.participant_id == bindparam("participant"),
                     AuditEvent.at < bindparam("until", type_=DateTime),
                     AuditEvent.action != "prefetch",
                     or_(AuditEvent.user_id.is_(None),
                         AuditEvent.user_id != bindparam("reader")))
              .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
              .limit(bindparam("window", type_=Integer)).subquery())
    hour = (func.date_trunc("hour", newest.c.at) if dialect == "postgresql"
            else func.strftime("%Y-%m-%d %H:00:00", newest.c.at))
    counted = (select(hour.label("hour"), newest.c.role, newest.c.action, newest.c.object_type,
                      newest.c.user_id, func.count().label("count"),
                      func.max(newest.c.at).label("last"), func.max(newest.c.id).label("last_id"))
               .group_by(hour, newest.c.role, newest.c.action, newest.c.object_type,
                         newest.c.user_id).subquery())
    return (select(counted.c.hour, counted.c.role, counted.c.action, counted.c.object_type,
                   User.id, User.display_name, User.role, counted.c.count, counted.c.last,
                   counted.c.last_id)
            .outerjoin(User, User.id == counted.c.user_id))


@bp.route("/me/access-log")
def access_log():
    """Grouped by person, day and what they did ("Anna tittade på din plan 3 gånger i dag");
    fetches the phone made for offline use are not someone reading the file."""
    participant = own_participant()
    page = min(page_arg(), 10_000)
    today = local_today()
    # Each UTC hour lies within one local day unless the time zone's offset is not whole
    # hours; then the events are grouped one by one.
    with pinned_translations():  # the page's catalog for every group's and line's words
        ordered = _access_log_groups(participant.id, current_user.id, page)
        if ordered is None:
            ordered = _access_log_by_event(participant)
        start = (page - 1) * LOG_PAGE_SIZE
        entries = ordered[start:start + LOG_PAGE_SIZE]
        lines = _log_lines(entries, today)
    return render("me/access_log.html", participant=participant, today=today, words=plain_words,
                  entries=entries, lines=lines, page=page,
                  has_more=len(ordered) > start + LOG_PAGE_SIZE)


def _access_log_groups(participant_id: int, reader_id: int, page: int) -> list[tuple] | None:
    """The groups of the participant's newest LOG_WINDOW events (`_groups_by_hour`), exact at
    least through `page` and one group beyond it (the page and its "Äldre" link); None if an
    hour spans two local days.

    The events are counted per UTC hour in the database, newest first, in reads of growing
    size, and the reading stops once the page's groups are complete: a group lies within one
    local day, so the groups of the days after the oldest hour read are complete, and they come
    first (a group's place is its newest event). The oldest hour of a read that hit its limit
    may go on in older events: the next read reads it again, whole. A participant with a long
    log of sparse events shows its first page from a hundred events or so, not 5,000."""
    statement = _access_log_statement(dialect_name())
    params = {"participant": participant_id, "reader": reader_id, "until": LOG_UNTIL_NOW}
    wanted = page * LOG_PAGE_SIZE + 1
    rows: list = []
    read, size = 0, LOG_FIRST_READ
    while True:
        params["window"] = size = min(size, LOG_WINDOW - read)
        chunk = run(statement, params).all()
        counted = sum(map(_COUNT, chunk))
        if counted < size or read + counted == LOG_WINDOW:  # no older events, or the window
            return _groups_by_hour(rows + chunk)
        oldest = min(map(_HOUR, chunk))
        kept = [row for row in chunk if row[0] != oldest]
        if not kept:  # one hour holds the whole read: read the rest of the window
            size = LOG_WINDOW
            continue
        rows += kept
        read += sum(map(_COUNT, kept))
        # The next read starts after the oldest hour: that hour is read again, whole.
        until = (oldest if isinstance(oldest, datetime) else datetime.fromisoformat(oldest)
                 ) + timedelta(hours=1)
        params["until"] = until
        groups = _groups_by_hour(rows)
        if groups is None:
            return None
        if len(groups) >= wanted and groups[wanted - 1][0] > to_local(until).date():
            return groups
        size *= 4


def _groups_by_hour(rows) -> list[tuple] | None:
    """`access_log`'s groups (day, name, role, what, count, last at), newest first, from its
    statement's rows; None if an hour spans two local days."""
    # Each who and each what is put into words once, not once per row: the words are
    # translations, and a log has hundreds of rows by a few people doing a few things.
    who: dict[tuple, tuple[str, str]] = {}
    what: dict[tuple, str] = {}
    days: dict[datetime, date] = {}
    groups: dict[tuple, list] = {}
    zone = tz()  # as `to_local`, the zone looked up once: a log can span thousands of hours
    for start, role, action, object_type, user_id, name, user_role, count, last, last_id in rows:
        start = start if isinstance(start, datetime) else datetime.fromisoformat(start)
        day = days.get(start)
        if day is None:
            day = start.replace(tzinfo=UTC).astimezone(zone).date()
            if (start + LAST_OF_HOUR).replace(tzinfo=UTC).astimezone(zone).date() != day:
                return None
            days[start] = day
        actor = who.get((user_id, role))
        if actor is None:
            actor = who[user_id, role] = plain_words.who_words(
                name if user_id else None, role, user_role)
        done = what.get((action, object_type))
        if done is None:
            done = what[action, object_type] = plain_words.what_words(action, object_type)
        key = (day, *actor, done)
        group = groups.get(key)
        if group is None:
            groups[key] = [*key, count, last, last_id]
        else:
            group[4] += count
            if (last, last_id) > (group[5], group[6]):
                group[5], group[6] = last, last_id
    # Newest first, as the events come (a group's place: its newest event).
    return [tuple(group[:6]) for group in
            sorted(groups.values(), key=itemgetter(5, 6), reverse=True)]


def _log_lines(entries, today: date) -> list[tuple]:
    """The page's lines of `entries` as the texts it shows: (the day's heading where a new day
    starts, else None; name; role; what and how often; when last). Worked out here so the
    template writes a line without calling anything (each call from a template costs ~10
    Python calls more)."""
    lines, previous = [], None
    last_words = _("Senast kl %(time)s")
    for day, name, role, what, count, last_at in entries:
        heading = plain_words.day_words(day, today) if day != previous else None
        previous = day
        lines.append((heading, name, role, plain_words.times_words(what, count),
                      last_words % {"time": f"{to_local(last_at):%H:%M}"}))
    return lines


def _access_log_by_event(participant) -> list[tuple]:
    """`access_log`'s groups from the events one by one (a time zone whose offset is not whole
    hours, where an hour can span two local days)."""
    rows = db.session.execute(
        select(AuditEvent.at, AuditEvent.role, AuditEvent.action, AuditEvent.object_type,
               User.id, User.display_name, User.role)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.participant_id == participant.id, AuditEvent.action != "prefetch",
               or_(AuditEvent.user_id.is_(None), AuditEvent.user_id != current_user.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(LOG_WINDOW)
    ).all()
    entries = [(at, *plain_words.who_words(name if user_id else None, role, user_role),
                plain_words.what_words(action, object_type))
               for at, role, action, object_type, user_id, name, user_role in rows]
    return plain_words.group_by_day(entries)

