"""Admin / coordinator: users and teams, participants, settings, audit log and log review,
programme figures. Every change is written to the audit log; nothing is hard-deleted."""
from __future__ import annotations

import dataclasses
from datetime import date

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..access import display_name
from ..audit import record
from ..auth.credentials import rotate_session
from ..charts import bar_chart
from ..domain import figures as fig
from ..domain.log_review import FLAGS, flag_events, sample_events
from ..domain.rules import describe, effective_rules
from ..domain.tenancy import add_months
from ..domain.visits import VisitRule
from ..extensions import db
from ..inputs import sane_date
from ..models import (
    AuditEvent,
    AuditReview,
    OpenSupportContact,
    Participant,
    PhaseChange,
    Plan,
    StaffAssignment,
    Team,
    TeamMembership,
    User,
    utcnow,
)
from ..rendering import render
from ..social.decisions import record_known_decision
from ..timeutil import format_month, local_today, month_key, month_name, to_local
from . import audit_words, bp, services  # noqa: F401 (audit_words: a template global)
from .forms import (
    ROLE_LABELS,
    AssignmentForm,
    AuditFilterForm,
    ContactForm,
    ParticipantForm,
    PresetForm,
    ReviewForm,
    SettingsForm,
    TeamsForm,
    UserForm,
)

AUDIT_PAGE_SIZE = 100
SAMPLE_SIZE = 20


# --- helpers --------------------------------------------------------------------------------

def _org_id() -> int:
    return current_user.organisation_id


def _org_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != _org_id():
        abort(404)
    return user


def _org_participant(participant_id: int | None) -> Participant:
    participant = db.session.get(Participant, participant_id) if participant_id else None
    if participant is None or participant.organisation_id != _org_id():
        abort(404)
    return participant


def _teams() -> list[Team]:
    return list(db.session.scalars(
        select(Team).where(Team.organisation_id == _org_id(), Team.archived_at.is_(None))
        .order_by(Team.name)))


def _participants() -> list[Participant]:
    return list(db.session.scalars(
        select(Participant).where(Participant.organisation_id == _org_id())
        .options(selectinload(Participant.team), selectinload(Participant.social_worker),
                 selectinload(Participant.user))
        .order_by(Participant.last_name, Participant.first_name)))


def _people_choices(people, empty: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", empty)] if empty else []
    return choices + [SelectChoice(p.id, display_name(p)) for p in people]


def _month_arg(default: date) -> date:
    """`?month=YYYY-MM` as the month's first day; a bad value falls back to `default`."""
    try:
        year, month = (int(part) for part in request.args.get("month", "").split("-"))
        if sane_date(date(year, month, 1)):
            return date(year, month, 1)
    except ValueError:
        pass
    return default.replace(day=1)


def _month_label(month: date) -> str:
    return format_month(month)


# --- users ----------------------------------------------------------------------------------

@bp.route("/admin/users")
def users():
    people = db.session.scalars(
        select(User).where(User.organisation_id == _org_id()).options(selectinload(User.teams))
        .order_by(User.active.desc(), User.role, User.display_name)).all()
    return render("admin/users.html", users=people, role_labels=ROLE_LABELS)


def _user_form(form: UserForm) -> UserForm:
    form.team_ids.choices = [SelectChoice(t.id, t.name) for t in _teams()]
    unlinked = [p for p in _participants() if p.user_id is None]
    form.participant_id.choices = _people_choices(unlinked, _("Välj deltagare"))
    return form


@bp.route("/admin/users/new", methods=["GET", "POST"])
def new_user():
    # ?role=staff: the first-day guide and team pages open the form with the role chosen.
    preset = {"role": request.args.get("role")} if request.method == "GET" else {}
    form = _user_form(UserForm(**preset))
    if not form.validate_on_submit():
        return render("admin/user_new.html", form=form,
                      status=422 if form.is_submitted() else 200)
    user = User(organisation_id=_org_id(), role=form.role.data, username=form.username.data,
                display_name=form.display_name.data.strip(), phone=form.phone.data or "",
                email=form.email.data or "")
    db.session.add(user)
    db.session.flush()
    for team_id in form.team_ids.data or []:
        db.session.add(TeamMembership(team_id=team_id, user_id=user.id))
    shown = {}
    if user.role == "participant":
        participant = _org_participant(form.participant_id.data)
        participant.user_id = user.id
        # A protected identity never reaches the user lists or the audit log by name.
        user.display_name = (participant.masked_name if participant.protected_identity
                             else participant.full_name)
        shown["activation"] = services.activation(user, current_user)
    else:
        shown["password"] = services.set_temporary_password(user)
    record("create", object_type="user", object_id=user.id,
           participant_id=form.participant_id.data, detail=f"roll {user.role}")
    db.session.commit()
    # Secrets are shown once, here, and never again: no redirect that could replay them.
    return render("admin/user_created.html", user=user, role_labels=ROLE_LABELS, **shown)


@bp.route("/admin/users/<int:user_id>")
def user(user_id: int):
    user = _org_user(user_id)
    teams_form = TeamsForm(formdata=None, team_ids=user.team_ids())
    teams_form.team_ids.choices = [SelectChoice(t.id, t.name) for t in _teams()]
    return render("admin/user.html", **_user_page(user, teams_form, AssignmentForm(formdata=None)))


def _user_page(user: User, teams_form: TeamsForm, assign_form: AssignmentForm) -> dict:
    assigned = db.session.scalars(
        select(Participant).join(StaffAssignment, StaffAssignment.participant_id == Participant.id)
        .where(StaffAssignment.user_id == user.id).order_by(Participant.last_name)).all()
    assigned_ids = {p.id for p in assigned}
    assign_form.participant_id.choices = _people_choices(
        [p for p in _participants() if p.id not in assigned_ids], _("Välj deltagare"))
    linked = db.session.scalar(select(Participant).where(Participant.user_id == user.id))
    return dict(user=user, teams_form=teams_form, assign_form=assign_form, assigned=assigned,
                linked=linked, role_labels=ROLE_LABELS)


@bp.route("/admin/users/<int:user_id>/teams", methods=["POST"])
def user_teams(user_id: int):
    user = _org_user(user_id)
    form = TeamsForm()
    form.team_ids.choices = [SelectChoice(t.id, t.name) for t in _teams()]
    if not form.validate_on_submit():
        return render("admin/user.html", status=422,
                      **_user_page(user, form, AssignmentForm(formdata=None)))
    # Archived teams are not in the form, so saving leaves those memberships alone.
    shown = {choice.value for choice in form.team_ids.choices}
    wanted, current = set(form.team_ids.data or []), set(user.team_ids()) & shown
    for team_id in wanted - current:
        db.session.add(TeamMembership(team_id=team_id, user_id=user.id))
    for membership in db.session.scalars(select(TeamMembership).where(
            TeamMembership.user_id == user.id, TeamMembership.team_id.in_(current - wanted))):
        db.session.delete(membership)  # a link, not data; the audit row keeps the history
    record("update", object_type="user_teams", object_id=user.id,
           detail=f"team {sorted(current)} -> {sorted(wanted)}")
    db.session.commit()
    flash(_("Teamen är sparade."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/assignments", methods=["POST"])
def user_assign(user_id: int):
    user = _org_user(user_id)
    form = AssignmentForm()
    page = _user_page(user, TeamsForm(formdata=None, team_ids=user.team_ids()), form)
    page["teams_form"].team_ids.choices = [SelectChoice(t.id, t.name) for t in _teams()]
    if user.role != "staff" or not form.validate_on_submit():
        if user.role != "staff":
            form.participant_id.errors = [_("Bara stödpersonal kan tilldelas deltagare.")]
        return render("admin/user.html", status=422, **page)
    db.session.add(StaffAssignment(participant_id=form.participant_id.data, user_id=user.id))
    record("create", object_type="staff_assignment", object_id=user.id,
           participant_id=form.participant_id.data)
    db.session.commit()
    flash(_("Deltagaren är tilldelad."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/assignments/<int:participant_id>/remove",
          methods=["POST"])
def user_unassign(user_id: int, participant_id: int):
    user = _org_user(user_id)
    assignment = db.session.scalar(select(StaffAssignment).where(
        StaffAssignment.user_id == user.id, StaffAssignment.participant_id == participant_id))
    if assignment is None:
        abort(404)
    db.session.delete(assignment)  # a link, not data; the audit row keeps the history
    record("delete", object_type="staff_assignment", object_id=user.id,
           participant_id=participant_id)
    db.session.commit()
    flash(_("Tilldelningen är borttagen."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):
    user = _org_user(user_id)
    if user.id == current_user.id:
        flash(_("Du kan inte stänga av ditt eget konto."), "error")
    elif user.active:
        # Everything the user wrote stays; old sessions stop working at once.
        user.active = False
        user.deactivated_at = utcnow()
        rotate_session(user)
        record("deactivate", object_type="user", object_id=user.id)
        db.session.commit()
        flash(_("%(name)s är avstängd. Allt hen har skrivit finns kvar.", name=user.display_name),
              "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/reset-second-factor", methods=["POST"])
def user_reset_totp(user_id: int):
    user = _org_user(user_id)
    if not user.needs_second_factor:
        abort(404)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    rotate_session(user)
    record("reset_totp", object_type="user", object_id=user.id)
    db.session.commit()
    flash(_("Tvåstegsverifieringen är nollställd. Personen kopplar en ny app vid nästa "
          "inloggning."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/activation-code", methods=["POST"])
def user_activation_code(user_id: int):
    user = _org_user(user_id)
    if user.role != "participant" or not user.active:
        abort(404)
    shown = services.activation(user, current_user)
    linked = db.session.scalar(select(Participant.id).where(Participant.user_id == user.id))
    record("activation_code", object_type="user", object_id=user.id, participant_id=linked)
    db.session.commit()
    return render("admin/user_created.html", user=user, role_labels=ROLE_LABELS,
                  activation=shown, again=True)


# --- participants ---------------------------------------------------------------------------

@bp.route("/admin/participants")
def participants():
    return render("admin/participants.html", participants=_participants())


def _participant_form(form: ParticipantForm) -> ParticipantForm:
    form.team_id.choices = [SelectChoice(t.id, t.name) for t in _teams() if t.kind == "support"]
    workers = db.session.scalars(select(User).where(
        User.organisation_id == _org_id(), User.role == "social_worker", User.active)
        .order_by(User.display_name)).all()
    form.social_worker_id.choices = [SelectChoice("", _("Ingen ännu"))] + [
        SelectChoice(u.id, u.display_name) for u in workers]
    return form


@bp.route("/admin/participants/new", methods=["GET", "POST"])
def new_participant():
    form = _participant_form(ParticipantForm())
    if not form.validate_on_submit():
        return render("admin/participant_new.html", form=form,
                      status=422 if form.is_submitted() else 200)
    participant = Participant(
        organisation_id=_org_id(), team_id=form.team_id.data,
        social_worker_id=form.social_worker_id.data, first_name=form.first_name.data.strip(),
        last_name=form.last_name.data.strip(), phone=form.phone.data or "",
        protected_identity=form.protected_identity.data,
        pseudonym=(form.pseudonym.data or "").strip(), phase=form.phase.data,
        decision_date=form.decision_date.data)
    db.session.add(participant)
    db.session.flush()
    db.session.add(PhaseChange(participant_id=participant.id, phase=participant.phase,
                               started_on=local_today(), recorded_by_id=current_user.id))
    db.session.add(Plan(participant_id=participant.id, updated_by_id=current_user.id))
    record("create", participant_id=participant.id, object_type="participant",
           object_id=participant.id)
    record_known_decision(participant, form.decision_date.data, current_user)
    db.session.commit()
    flash(_("%(name)s är tillagd.", name=display_name(participant)), "info")
    return redirect(url_for("admin.participants"))


@bp.route("/admin/participants/<int:participant_id>/activation-code", methods=["POST"])
def participant_activation_code(participant_id: int):
    participant = _org_participant(participant_id)
    user = services.participant_login(participant)
    if not user.active:
        abort(404)
    shown = services.activation(user, current_user)
    record("activation_code", object_type="user", object_id=user.id,
           participant_id=participant.id)
    db.session.commit()
    return render("admin/user_created.html", user=user, role_labels=ROLE_LABELS,
                  activation=shown, again=True)


# --- settings -------------------------------------------------------------------------------

def _contacts() -> list[OpenSupportContact]:
    return list(db.session.scalars(
        select(OpenSupportContact).where(OpenSupportContact.organisation_id == _org_id(),
                                         OpenSupportContact.active)
        .order_by(OpenSupportContact.position, OpenSupportContact.id)))


def _settings_page(form=None, preset_form=None, contact_form=None, status=200):
    org = current_user.organisation
    return render(
        "admin/settings.html", status=status, org=org,
        form=form or SettingsForm(formdata=None, obj=org),
        preset_form=preset_form or PresetForm(formdata=None, preset=org.preset),
        contact_form=contact_form or ContactForm(formdata=None), contacts=_contacts(),
        rules_text=describe(effective_rules(org)))


@bp.route("/admin/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _settings_page()
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form=form, status=422)
    org = current_user.organisation
    before = {name: getattr(org, name) for name in form.data if hasattr(org, name)}
    form.populate_obj(org)
    changed = {k: (v, getattr(org, k)) for k, v in before.items() if getattr(org, k) != v}
    record("update", object_type="organisation", object_id=org.id, detail=str(changed))
    db.session.commit()
    flash(_("Inställningarna är sparade."), "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings/preset", methods=["POST"])
def settings_preset():
    form = PresetForm()
    if not form.validate_on_submit():
        return _settings_page(preset_form=form, status=422)
    org = current_user.organisation
    org.apply_preset(form.preset.data)
    record("update", object_type="organisation", object_id=org.id,
           detail=f"förval {form.preset.data}")
    db.session.commit()
    flash(_("Förvalet är använt. Justera fälten nedan om ni har andra regler."), "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings/contacts", methods=["POST"])
def contact_add():
    form = ContactForm()
    if not form.validate_on_submit():
        return _settings_page(contact_form=form, status=422)
    contact = OpenSupportContact(organisation_id=_org_id(), label=form.label.data.strip())
    form.populate_obj(contact)
    contact.position = form.position.data or 0
    db.session.add(contact)
    db.session.flush()
    record("create", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten är tillagd."), "info")
    return redirect(url_for("admin.settings"))


def _org_contact(contact_id: int) -> OpenSupportContact:
    contact = db.session.get(OpenSupportContact, contact_id)
    if contact is None or contact.organisation_id != _org_id() or not contact.active:
        abort(404)
    return contact


@bp.route("/admin/settings/contacts/<int:contact_id>", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    contact = _org_contact(contact_id)
    form = ContactForm(obj=contact)
    if not form.validate_on_submit():
        return render("admin/contact_edit.html", form=form, contact=contact,
                      status=422 if form.is_submitted() else 200)
    form.populate_obj(contact)
    contact.position = form.position.data or 0
    record("update", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten är sparad."), "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings/contacts/<int:contact_id>/remove", methods=["POST"])
def contact_remove(contact_id: int):
    contact = _org_contact(contact_id)
    contact.active = False  # hidden, not deleted
    record("delete", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten visas inte längre."), "info")
    return redirect(url_for("admin.settings"))


# --- audit log ------------------------------------------------------------------------------

def _audit_filters() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    users = db.session.scalars(select(User).where(User.organisation_id == _org_id())
                               .order_by(User.display_name)).all()
    form.user_id.choices = [SelectChoice("", _("Alla"))] + [
        SelectChoice(u.id, f"{u.display_name} ({u.username})") for u in users]
    form.participant_id.choices = _people_choices(_participants(), _("Alla"))
    if not form.validate():
        form.start.data = form.end.data = None
    return form


def _audit_query(form: AuditFilterForm):
    return services.audit_query(_org_id(), form.user_id.data, form.participant_id.data,
                                form.start.data, form.end.data)


def _names(events) -> dict[int, str]:
    ids = {e.participant_id for e in events if e.participant_id}
    people = db.session.scalars(select(Participant).where(Participant.id.in_(ids))) if ids else []
    return {p.id: display_name(p) for p in people}


@bp.route("/admin/audit")
def audit():
    form = _audit_filters()
    query = _audit_query(form)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    # Clamped to the pages there are: a huge ?page= would overflow the database's OFFSET.
    last_page = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), last_page)
    events = db.session.scalars(
        query.limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render("admin/audit.html", block="results", form=form, events=events,
                  names=_names(events), total=total, page=page, args=args,
                  pages=max(1, -(-total // AUDIT_PAGE_SIZE)), month=month_key(local_today()))


@bp.route("/admin/audit.csv")
def audit_csv():
    form = _audit_filters()
    events = db.session.scalars(_audit_query(form).limit(100_000)).all()
    names = _names(events)
    rows = ([f"{to_local(e.at):%Y-%m-%d %H:%M:%S}", e.user.display_name if e.user else "",
             e.user.username if e.user else "", e.role, e.action, e.object_type, e.object_id,
             e.participant_id or "", names.get(e.participant_id, ""), e.path, e.ip]
            for e in events)
    body = services.to_csv(["tid", "namn", "användarnamn", "roll", "händelse", "objekt",
                            "objekt-id", "deltagar-id", "deltagare", "sökväg", "ip"], rows)
    record("export", object_type="audit_csv", detail=request.query_string.decode()[:500])
    return _csv_response(body, "logg.csv")


def _csv_response(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/audit/review")
def audit_review():
    month = _month_arg(local_today())
    # A phone keeping pages for offline use is not someone reading a file: not reviewed.
    events = [e for e in services.month_access_events(_org_id(), month)
              if e.action != "prefetch"]
    workers = {e.user_id for e in events if e.user_id is not None}
    flags = flag_events(events, services.caseloads(workers))
    unflagged = [e for e in events if e.id not in flags and e.user_id is not None]
    sample = sample_events(unflagged, SAMPLE_SIZE, seed=month_key(month))
    flagged = sorted((e for e in events if e.id in flags), key=lambda e: (e.at_local, e.id))
    shown = flagged + sample
    rows = {e.id: e for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.id.in_([e.id for e in shown])))} if shown else {}
    reviews = {}
    for review in db.session.scalars(select(AuditReview).where(
            AuditReview.audit_event_id.in_(list(rows))).order_by(AuditReview.reviewed_at)):
        reviews.setdefault(review.audit_event_id, []).append(review)
    reviewers = {u.id: u.display_name for u in db.session.scalars(select(User).where(
        User.id.in_({r.reviewed_by_id for rs in reviews.values() for r in rs})))}
    return render("admin/audit_review.html", month=month, month_label=_month_label(month),
                  flagged=[rows[e.id] for e in flagged], sample=[rows[e.id] for e in sample],
                  flags=flags, flag_labels=FLAGS, reviews=reviews, reviewers=reviewers,
                  names=_names(rows.values()), total=len(events), form=ReviewForm(formdata=None),
                  unreviewed_sample=[e.id for e in sample if e.id not in reviews],
                  unreviewed_flagged=sum(1 for e in flagged if e.id not in reviews),
                  signoff=_signoff(month),
                  prev_month=month_key(add_months(month, -1)),
                  next_month=month_key(add_months(month, 1)))


@bp.route("/admin/audit/events/<int:event_id>/review", methods=["POST"])
def audit_mark_reviewed(event_id: int):
    event = db.session.get(AuditEvent, event_id)
    in_org = event is not None and (
        (event.user is not None and event.user.organisation_id == _org_id())
        or (event.participant_id and db.session.get(Participant, event.participant_id)
            .organisation_id == _org_id()))
    if not in_org:
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        db.session.add(AuditReview(audit_event_id=event.id, reviewed_by_id=current_user.id,
                                   comment=(form.comment.data or "").strip()))
        record("review", object_type="audit_event", object_id=event.id,
               participant_id=event.participant_id)
        db.session.commit()
        flash(_("Markerad som granskad."), "info")
    else:
        flash(_("Kommentaren är för lång (högst 2000 tecken)."), "error")
    month = request.form.get("month") or month_key(to_local(event.at).date())
    return redirect(url_for("admin.audit_review", month=month, _anchor=f"event-{event.id}"))


def _review_month() -> date:
    try:
        year, mon = (int(part) for part in (request.form.get("month") or "").split("-"))
        return date(year, mon, 1)
    except ValueError:
        abort(400)


def _signoff(month: date) -> AuditEvent | None:
    """The month's sign-off: an audit event itself (the log keeps it, append-only)."""
    return db.session.scalar(
        select(AuditEvent).join(User, AuditEvent.user_id == User.id)
        .where(AuditEvent.action == "signoff", AuditEvent.object_type == "audit_review",
               AuditEvent.detail == month_key(month), User.organisation_id == _org_id())
        .order_by(AuditEvent.at.desc()).limit(1))


@bp.route("/admin/audit/review/sample", methods=["POST"])
def audit_review_sample():
    """Mark the month's whole unflagged sample reviewed at once (the flagged ones one by one)."""
    month = _review_month()
    events = [e for e in services.month_access_events(_org_id(), month)
              if e.action != "prefetch"]
    workers = {e.user_id for e in events if e.user_id is not None}
    flags = flag_events(events, services.caseloads(workers))
    unflagged = [e for e in events if e.id not in flags and e.user_id is not None]
    sample = sample_events(unflagged, SAMPLE_SIZE, seed=month_key(month))
    done = set(db.session.scalars(select(AuditReview.audit_event_id).where(
        AuditReview.audit_event_id.in_([e.id for e in sample])))) if sample else set()
    comment = (request.form.get("comment") or "").strip()[:2000] or _("Urvalet granskat.")
    for event in sample:
        if event.id not in done:
            db.session.add(AuditReview(audit_event_id=event.id, reviewed_by_id=current_user.id,
                                       comment=comment))
    record("review", object_type="audit_review", detail=f"sample {month_key(month)}")
    db.session.commit()
    flash(_("Urvalet är markerat som granskat."), "success")
    return redirect(url_for("admin.audit_review", month=month_key(month)), 303)


@bp.route("/admin/audit/review/signoff", methods=["POST"])
def audit_review_signoff():
    """The admin signs off the month's log review."""
    month = _review_month()
    comment = (request.form.get("comment") or "").strip()[:1000]
    if _signoff(month) is None:
        record("signoff", object_type="audit_review", detail=month_key(month))
        if comment:
            record("review", object_type="audit_review",
                   detail=f"{month_key(month)}: {comment}")
        db.session.commit()
    flash(_("Loggranskningen för %(month)s är avslutad.", month=_month_label(month)), "success")
    return redirect(url_for("admin.audit_review", month=month_key(month)), 303)


# --- programme figures ----------------------------------------------------------------------

def _series(last: date):
    org = current_user.organisation
    rule = VisitRule(org.min_visits, org.visit_period, org.visits_with_social_services)
    return fig.figure_series(services.figure_facts(org.id), rule, last, local_today())


def _figures() -> list[fig.FigureDefinition]:
    """The figure definitions with title and definition in the reader's language."""
    return [dataclasses.replace(d, title=_(d.title), definition=_(d.definition))
            for d in fig.FIGURES]


def _chart(definition, series, running: date | None = None) -> str:
    labels = [month_name(m.month, short=True) for m, _ in series]
    values = [None if m == running else _scaled(definition, figures[definition.key])
              for m, figures in series]
    notes = {i: _("pågår") for i, (m, _v) in enumerate(series) if m == running}
    return bar_chart(f"chart-{definition.key}",
                     _("%(title)s, senaste 12 månaderna", title=definition.title),
                     labels, values, max_value=100 if definition.unit == "percent" else None,
                     unit=" %" if definition.unit == "percent" else "", notes=notes)


def _scaled(definition, value: fig.FigureValue) -> float | None:
    if value.value is None:
        return None
    return value.value * 100 if definition.unit == "percent" else value.value


@bp.route("/admin/figures")
def figures():
    month = _month_arg(local_today())
    series = _series(month)
    definitions = _figures()
    # The month that is not over yet is shown as running, not as a (misleading) 0 %.
    running = local_today().replace(day=1)
    charts = {d.key: _chart(d, series, running) for d in definitions}
    ends = fig.ends_by_reason(services.figure_facts(current_user.organisation_id), month,
                              fig.month_end(month))
    return render("admin/figures.html", month=month, month_label=_month_label(month),
                  running=running,
                  ends=[(_(fig.END_REASON_TITLES[key]), count) for key, count in ends.items()],
                  series=series, current=series[-1][1], definitions=definitions, charts=charts,
                  month_label_of=_month_label, scaled=_scaled,
                  prev_month=month_key(add_months(month, -1)),
                  next_month=month_key(add_months(month, 1)))


@bp.route("/admin/figures.csv")
def figures_csv():
    month = _month_arg(local_today())
    rows = []
    for start, values in _series(month):
        for definition in _figures():
            value = values[definition.key]
            scaled = _scaled(definition, value)
            rows.append([month_key(start), definition.title,
                         "" if scaled is None else f"{scaled:.1f}".replace(".", ","),
                         f"{value.numerator:g}".replace(".", ","),
                         f"{value.denominator:.3f}".rstrip("0").rstrip(".").replace(".", ",")])
    body = services.to_csv(["månad", "mått", "värde", "täljare", "nämnare"], rows)
    record("export", object_type="figures_csv", detail=month_key(month))
    return _csv_response(body, f"uppfoljning-{month_key(month)}.csv")
