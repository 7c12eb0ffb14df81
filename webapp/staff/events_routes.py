"""The participant's events: one time-ordered list plus small forms to record what happened.

Disturbances (with the one-day rule for rättelseanmaningar), absences, phase changes, consent,
the reserve key and the decision/review dates. Each form works as a plain post (redirect, or
the page again with 422 and everything typed kept); htmx swaps just that form's panel.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import cache

from flask import current_app, flash, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from ..access import can, child_or_404, get_participant_or_404
from ..audit import record
from ..domain.disturbances import follow_up_deadline, is_overdue, needs_follow_up
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import (
    SEVERITIES,
    SOURCES,
    Absence,
    Consent,
    Contract,
    Disturbance,
    Organisation,
    Participant,
    PhaseChange,
    ReserveKey,
    User,
    utcnow,
)
from ..rendering import is_fragment_request, render
from ..templating import kept_form
from ..timeutil import local_today, to_local, to_utc
from . import bp
from .events_forms import (
    OPEN_SUPPORT_REMINDER,
    PHASE_LABELS,
    AbsenceEndForm,
    AbsenceForm,
    ConsentForm,
    ConsentWithdrawForm,
    DisturbanceForm,
    FollowUpForm,
    PhaseForm,
    ReserveKeyForm,
)
from .kept import columns

REVIEW_SOON_DAYS = 60




def _saved(participant, message: str, category: str = "message"):
    """Back to the events page: a redirect, or for htmx a client-side navigation to it."""
    flash(str(message), category)  # str: a lazy reminder text must not reach the session
    url = url_for("staff.events", participant_id=participant.id)
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Location"] = url
        return response
    return redirect(url, 303)


# --- the page --------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events")
def events(participant_id: int):
    participant = get_participant_or_404(participant_id, need="disturbances")
    return _page(participant)


def _page(participant, status: int = 200, block: str | None = None, **overrides):
    rows, now, today = _load(participant), utcnow(), local_today()
    timeline, submitted = _timeline(participant, rows), overrides.pop("item_forms", {})
    context = dict(participant=participant, timeline=timeline,
                   timeline_key=None if submitted else _timeline_key(participant, timeline,
                                                                      now, today),
                   open_rattelser=[d for d in rows["disturbances"] if needs_follow_up(d)],
                   key=rows["key"], now=now, today=today,
                   SEVERITIES=SEVERITIES, SOURCES=SOURCES, PHASE_LABELS=PHASE_LABELS,
                   is_overdue=is_overdue, follow_up_deadline=follow_up_deadline,
                   item_form=_item_forms(submitted))
    if can(current_user, "events_write"):
        context["panels"] = _record_panels(participant, rows, overrides)
    return render("staff/events.html", block=block if is_fragment_request() else None,
                  status=status, **context)


# The record forms by panel: (the name a form sent with errors comes back under, its class).
RECORD_FORMS = {"disturbance": ("disturbance_form", DisturbanceForm),
                "absence": ("absence_form", AbsenceForm), "phase": ("phase_form", PhaseForm),
                "consent": ("consent_form", ConsentForm), "key": ("key_form", ReserveKeyForm)}


# Between the panels in their one kept markup (never in a page: the holes' character).
PANEL_BREAK = "\x00panel\x00"


def _record_panels(participant, rows, submitted: dict) -> dict:
    """The five record panels' markup. Blank panels show only their forms' defaults (today,
    the next phase, the key's stored values), the participant's id and phase and the language,
    so they are written once per those and kept, the five as one (templating.kept_form: the
    CSRF token filled in per view): building and writing the five forms was half the page's
    Python calls. A page with a form sent with errors is written anew: that form shows what
    was typed, never kept."""
    key = rows["key"]
    if submitted:
        return {kind: _write_panel(kind, participant, submitted.get(name)
                                   or _blank_form(kind, participant, key))
                for kind, (name, _form_class) in RECORD_FORMS.items()}
    stored = None if key is None else (key.spare_key_at_office, key.entrance_access,
                                       key.conditions)
    panels = kept_form(("events-panels", participant.id, participant.phase, local_today(),
                        stored), _write_blank_panels, participant, key)
    return dict(zip(RECORD_FORMS, panels.split(PANEL_BREAK), strict=True))


def _write_panel(kind: str, participant, form, csrf: str | None = None):
    macros = current_app.jinja_env.get_template("staff/_event_macros.html").module
    return macros.record_panel(kind, participant, form, OPEN_SUPPORT_REMINDER, csrf)


def _write_blank_panels(participant, key, csrf: str, _idempotency_key: str) -> str:
    return PANEL_BREAK.join(str(_write_panel(kind, participant,
                                             _blank_form(kind, participant, key), csrf))
                            for kind in RECORD_FORMS)


def _blank_form(kind: str, participant, key):
    today = local_today()
    defaults = dict(disturbance=dict(occurred_on=today), absence=dict(start_date=today),
                    phase=dict(phase=str(min(participant.phase + 1, 4)), started_on=today),
                    consent=dict(given_on=today), key=dict(obj=key))[kind]
    return RECORD_FORMS[kind][1](formdata=None, **defaults)


ITEM_FORMS = {"followup": FollowUpForm, "absence": AbsenceEndForm, "consent": ConsentWithdrawForm}


def _item_forms(submitted: dict):
    """For the template: the form of one timeline item (the submitted one keeps its errors)."""

    def item_form(kind: str, obj):
        key = f"{kind}-{obj.id}"
        if key in submitted:
            return submitted[key]
        defaults = {"absence": {"end_date": local_today()},
                    "consent": {"withdrawn_on": local_today()}}.get(kind, {})
        return ITEM_FORMS[kind](formdata=None, prefix=key, **defaults)

    return item_form


@cache
def _load_statements() -> dict:
    """`_load`'s queries, built once with the participant as a parameter: building them per
    request cost more than running them (the aliased users re-adapt every column)."""
    pid = bindparam("pid")
    reporter, follower = aliased(User), aliased(User)

    def recorded(model, order=()):
        return (select(model, User.display_name).outerjoin(User, User.id == model.recorded_by_id)
                .where(model.participant_id == pid).order_by(*order))

    return dict(
        disturbances=select(Disturbance, reporter.display_name, follower.display_name)
        .outerjoin(reporter, reporter.id == Disturbance.reported_by_id)
        .outerjoin(follower, follower.id == Disturbance.followed_up_by_id)
        .where(Disturbance.participant_id == pid),
        absences=recorded(Absence),
        phases=recorded(PhaseChange, (PhaseChange.started_on, PhaseChange.id)),
        consents=recorded(Consent),
        # With the key: which of the lists have rows at all (many participants have no
        # disturbance, absence or consent), so only those are asked for.
        key=select(ReserveKey, User.display_name, Organisation,
                   *(select(model.id).where(model.participant_id == pid).exists()
                     for model in (Disturbance, Absence, PhaseChange, Consent)))
        .select_from(Participant)
        .join(Organisation, Organisation.id == Participant.organisation_id)
        .outerjoin(ReserveKey, ReserveKey.participant_id == Participant.id)
        .outerjoin(User, User.id == ReserveKey.updated_by_id)
        .where(Participant.id == pid),
    )


def _load(participant) -> dict:
    """The participant's events, each with the display name of who recorded it (joined in:
    no query of its own for the names); the reserve key, the organisation and which lists have
    rows in one query, and only the lists with rows asked for."""
    params = {"pid": participant.id}
    statements = _load_statements()
    names: dict[int, str] = {}

    key, updater, organisation, *present = db.session.execute(statements["key"], params).one()
    if updater is not None:
        names[key.updated_by_id] = updater

    def with_names(kind, exists: bool, *people) -> list:
        found = []
        for obj, *who in db.session.execute(statements[kind], params) if exists else ():
            for column, name in zip(people, who, strict=True):
                if name is not None:
                    names[getattr(obj, column)] = name
            found.append(obj)
        return found

    disturbances = with_names("disturbances", present[0], "reported_by_id", "followed_up_by_id")
    absences = with_names("absences", present[1], "recorded_by_id")
    phases = with_names("phases", present[2], "recorded_by_id")
    consents = with_names("consents", present[3], "recorded_by_id")
    return dict(disturbances=disturbances, absences=absences, phases=phases,
                consents=consents, key=key, organisation=organisation, names=names)


def _timeline(participant, rows) -> list[dict]:
    """Every event as {day, kind, title, ...}, newest first (future review dates on top)."""
    names = rows["names"]
    entries: list[dict] = []
    for d in rows["disturbances"]:
        entries.append(dict(day=d.occurred_on, at=d.received_at, kind="disturbance", obj=d,
                            by=names.get(d.reported_by_id),
                            followed_by=names.get(d.followed_up_by_id)))
    for a in rows["absences"]:
        entries.append(dict(day=a.start_date, at=a.created_at, kind="absence", obj=a,
                            by=names.get(a.recorded_by_id)))
    for p in rows["phases"]:
        entries.append(dict(day=p.started_on, at=p.created_at, kind="phase", obj=p,
                            by=names.get(p.recorded_by_id)))
    for c in rows["consents"]:
        entries.append(dict(day=c.given_on, at=c.created_at, kind="consent", obj=c,
                            by=names.get(c.recorded_by_id)))
        if c.withdrawn_on:
            entries.append(dict(day=c.withdrawn_on, at=None, kind="consent_withdrawn", obj=c))
    if rows["key"] is not None:
        key = rows["key"]
        entries.append(dict(day=to_local(key.updated_at).date(), at=key.updated_at, kind="key",
                            obj=key, by=names.get(key.updated_by_id)))
    if participant.decision_date:
        entries.append(dict(day=participant.decision_date, at=None, kind="decision"))
    if participant.review_date:
        days_left = (participant.review_date - local_today()).days
        entries.append(dict(day=participant.review_date, at=None, kind="review",
                            days_left=days_left))
    entries.sort(key=lambda e: (e["day"], e["at"] or datetime.min), reverse=True)
    return entries


# What the timeline shows besides its entries: the capabilities its forms and texts ask for.
TIMELINE_CAPABILITIES = ("disturbances_write", "absence_write", "absence_reason", "events_write")


def _timeline_key(participant, timeline: list[dict], now: datetime, today: date) -> tuple:
    """The key of the timeline's kept markup (templating.kept_form, the item forms' token filled
    in per view): everything it shows. Each entry's own columns (what was recorded, by whom,
    followed up or not), whether a rättelse is overdue now, the dates, what this user may do
    and see, and today (the item forms' default date). Writing the timeline was ~170 Python
    calls an entry; the key is a few attribute reads an entry."""
    entries = []
    for e in timeline:
        obj = e.get("obj")
        overdue = (is_overdue(obj, now) if e["kind"] == "disturbance" and needs_follow_up(obj)
                   else None)
        entries.append((e["kind"], e["day"], e.get("by"), e.get("followed_by"),
                        e.get("days_left"), columns(obj), overdue))
    return ("events-timeline", participant.id, today,
            tuple(can(current_user, capability) for capability in TIMELINE_CAPABILITIES),
            tuple(entries))


def _invalid(participant, name: str, form):
    """422: the page (or, for htmx, just this form's panel) with the errors and what was typed."""
    return _page(participant, status=422, block=name, **{name: form})


# --- disturbances ----------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events/disturbances", methods=["POST"])
def events_disturbance(participant_id: int):
    participant = get_participant_or_404(participant_id, need="disturbances_write")
    form = DisturbanceForm()
    if not form.validate_on_submit():
        return _invalid(participant, "disturbance_form", form)
    contract = db.session.scalar(
        select(Contract).where(Contract.participant_id == participant.id,
                               Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date.desc()))
    disturbance = Disturbance(
        participant_id=participant.id, apartment_id=contract.apartment_id if contract else None,
        occurred_on=form.occurred_on.data, received_at=utcnow(), source=form.source.data,
        severity=form.severity.data, description=form.description.data.strip(),
        reported_by_id=current_user.id)
    db.session.add(disturbance)
    db.session.flush()
    record("disturbance_create", participant_id=participant.id, object_type="disturbance",
           object_id=disturbance.id, detail=disturbance.severity)
    db.session.commit()
    if disturbance.severity == "rattelse":
        return _saved(participant, _("Rättelseanmaningen är sparad. Kontakta hyresgästen senast "
                      "nästa arbetsdag."), "warning")
    return _saved(participant, _("Störningen är sparad."))


@bp.route("/participants/<int:participant_id>/events/disturbances/<int:disturbance_id>/follow-up",
          methods=["POST"])
def events_follow_up(participant_id: int, disturbance_id: int):
    participant = get_participant_or_404(participant_id, need="disturbances_write")
    disturbance = child_or_404(Disturbance, disturbance_id, of=participant)
    if disturbance.followed_up_at is not None:
        return _saved(participant, _("Störningen var redan uppföljd."))
    form = FollowUpForm(prefix=f"followup-{disturbance.id}")
    if not form.validate_on_submit():
        return _page(participant, status=422, item_forms={f"followup-{disturbance.id}": form})
    disturbance.followed_up_at, disturbance.followed_up_by_id = utcnow(), current_user.id
    disturbance.contacted_at = disturbance.followed_up_at
    if form.contacted_on.data:  # the real contact time, when it was earlier than the typing
        disturbance.contacted_at = min(disturbance.followed_up_at, to_utc(datetime.combine(
            form.contacted_on.data, form.contacted_time.data)))
    disturbance.follow_up_note = form.note.data.strip()
    record("disturbance_followup", participant_id=participant.id, object_type="disturbance",
           object_id=disturbance.id)
    db.session.commit()
    return _saved(participant, _("Uppföljningen är sparad."))


# --- absences --------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events/absences", methods=["POST"])
def events_absence(participant_id: int):
    participant = get_participant_or_404(participant_id, need="absence_write")
    form = AbsenceForm()
    if not form.validate_on_submit():
        return _invalid(participant, "absence_form", form)
    absence = Absence(participant_id=participant.id, start_date=form.start_date.data,
                      kind=form.kind.data,
                      end_date=form.end_date.data, reason=(form.reason.data or "").strip(),
                      recorded_by_id=current_user.id)
    db.session.add(absence)
    db.session.flush()
    record("absence_create", participant_id=participant.id, object_type="absence",
           object_id=absence.id)
    db.session.commit()
    return _saved(participant, _("Frånvaron är sparad."))


@bp.route("/participants/<int:participant_id>/events/absences/<int:absence_id>/end",
          methods=["POST"])
def events_absence_end(participant_id: int, absence_id: int):
    participant = get_participant_or_404(participant_id, need="absence_write")
    absence = child_or_404(Absence, absence_id, of=participant)
    form = AbsenceEndForm(prefix=f"absence-{absence.id}", start=absence.start_date)
    if not form.validate_on_submit():
        return _page(participant, status=422, item_forms={f"absence-{absence.id}": form})
    absence.end_date = form.end_date.data
    record("absence_end", participant_id=participant.id, object_type="absence",
           object_id=absence.id)
    db.session.commit()
    return _saved(participant, _("Frånvaron är avslutad."))


# --- phase -----------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events/phase", methods=["POST"])
def events_phase(participant_id: int):
    participant = get_participant_or_404(participant_id, need="events_write")
    current_start = db.session.scalar(
        select(PhaseChange.started_on).where(PhaseChange.participant_id == participant.id)
        .order_by(PhaseChange.started_on.desc()).limit(1))
    form = PhaseForm(current_phase=participant.phase, current_start=current_start)
    if not form.validate_on_submit():
        return _invalid(participant, "phase_form", form)
    change = PhaseChange(participant_id=participant.id, phase=int(form.phase.data),
                         started_on=form.started_on.data, note=(form.note.data or "").strip(),
                         recorded_by_id=current_user.id)
    db.session.add(change)
    participant.phase = change.phase  # the new change is the latest (validated above)
    db.session.flush()
    record("phase_change", participant_id=participant.id, object_type="phase_change",
           object_id=change.id, detail=f"fas {change.phase}")
    db.session.commit()
    if change.phase == 4:
        return _saved(participant, OPEN_SUPPORT_REMINDER, "warning")
    return _saved(participant, _("Deltagaren är nu i fas %(phase)s.", phase=change.phase))


# --- consent ---------------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events/consents", methods=["POST"])
def events_consent(participant_id: int):
    participant = get_participant_or_404(participant_id, need="events_write")
    form = ConsentForm()
    if not form.validate_on_submit():
        return _invalid(participant, "consent_form", form)
    consent = Consent(participant_id=participant.id, scope=form.scope.data.strip(),
                      given_on=form.given_on.data, recorded_by_id=current_user.id)
    db.session.add(consent)
    db.session.flush()
    record("consent_create", participant_id=participant.id, object_type="consent",
           object_id=consent.id)
    db.session.commit()
    return _saved(participant, _("Samtycket är sparat."))


@bp.route("/participants/<int:participant_id>/events/consents/<int:consent_id>/withdraw",
          methods=["POST"])
def events_consent_withdraw(participant_id: int, consent_id: int):
    participant = get_participant_or_404(participant_id, need="events_write")
    consent = child_or_404(Consent, consent_id, of=participant)
    if consent.withdrawn_on is not None:
        return _saved(participant, _("Samtycket var redan återkallat."))
    form = ConsentWithdrawForm(prefix=f"consent-{consent.id}", given_on=consent.given_on)
    if not form.validate_on_submit():
        return _page(participant, status=422, item_forms={f"consent-{consent.id}": form})
    consent.withdrawn_on = form.withdrawn_on.data
    record("consent_withdraw", participant_id=participant.id, object_type="consent",
           object_id=consent.id)
    db.session.commit()
    return _saved(participant, _("Samtycket är återkallat."))


# --- reserve key and decision ------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/events/reserve-key", methods=["POST"])
def events_reserve_key(participant_id: int):
    participant = get_participant_or_404(participant_id, need="events_write")
    form = ReserveKeyForm()
    if not form.validate_on_submit():
        return _invalid(participant, "key_form", form)
    key = db.session.scalar(select(ReserveKey).where(ReserveKey.participant_id == participant.id))
    if key is None:
        key = ReserveKey(participant_id=participant.id)
        db.session.add(key)
    key.spare_key_at_office = form.spare_key_at_office.data
    key.entrance_access = form.entrance_access.data
    key.conditions = (form.conditions.data or "").strip()
    key.updated_by_id, key.updated_at = current_user.id, utcnow()
    db.session.flush()
    record("reserve_key_update", participant_id=participant.id, object_type="reserve_key",
           object_id=key.id)
    db.session.commit()
    return _saved(participant, _("Uppgifterna om nycklar är sparade."))


def default_review_date(decision_date: date, decision_months: int) -> date:
    """The review deadline when none is given: the organisation's decision period later."""
    return add_months(decision_date, decision_months)
