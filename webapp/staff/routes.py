"""Staff on a phone: today's work, the caseload, a participant's overview and appointments."""
from __future__ import annotations

from uuid import uuid4

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import idempotency
from ..access import child_or_404, get_participant_or_404
from ..audit import record
from ..auth.credentials import ACTIVATION_VALID, activation_qr_svg, issue_activation_code
from ..domain.due import Rules, visit_missing
from ..extensions import db
from ..inputs import page_arg, page_of
from ..models import APPOINTMENT_KINDS, FOLLOWUP_OWNERS, OUTCOMES, Appointment, utcnow
from ..rendering import is_fragment_request, render, wants_json
from ..timeutil import local_day_bounds_utc, local_now, local_today
from ..urls import public_url
from ..urlsafety import safe_next
from . import booking, bp, caseload, outcomes, overview
from . import today as today_page
from .forms import OutcomeForm
from .participant_login import ensure_participant_user

_translated: dict[tuple[str, int], dict[str, str]] = {}


def translated(labels: dict) -> dict[str, str]:
    """A module's dict of lazy labels in the request's language, worked out once per language
    and process: a lazy label looks its catalog up (~20 µs) every time it is shown, and the
    lists show one or two per row."""
    key = (str(get_locale()), id(labels))
    if key not in _translated:
        _translated[key] = {name: str(label) for name, label in labels.items()}
    return _translated[key]


@bp.context_processor
def _staff_template_values() -> dict:
    return dict(kinds=translated(APPOINTMENT_KINDS), outcomes=translated(OUTCOMES),
                new_key=lambda: uuid4().hex)


@bp.route("/today")
def today():
    """Today's visits, then "Att göra" a page at a time (staff/today.py sizes both)."""
    day, now, org = local_today(), utcnow(), current_user.organisation
    scope, people = today_page.scope_of(current_user), {}
    work = today_page.worklist(scope, org, day, now, people)
    shown = [group.participant_id for group in work.groups]
    if is_fragment_request() and request.args.get("page"):
        return render("staff/today.html", block="due_page", work=work, rules=Rules.of(org),
                      people=today_page.people_for(current_user, people, shown),
                      due_link=overview.due_link, followup_owners=FOLLOWUP_OWNERS)
    visits = today_page.day_visits(scope, current_user, day, now, people)
    return render("staff/today.html", day=day, synced_at=local_now(), rules=Rules.of(org),
                  people=today_page.people_for(current_user, people, shown), visits=visits,
                  colleagues_shown=today_page.COLLEAGUE_VISITS_SHOWN, tel_href=overview.tel_href,
                  work=work, due_link=overview.due_link, followup_owners=FOLLOWUP_OWNERS)


@bp.route("/today/visits")
def colleague_visits():
    """Colleagues' visits today, a page at a time (collapsed on Idag)."""
    day = local_today()
    visits, total, page, last, people = today_page.colleagues_page(
        today_page.scope_of(current_user), current_user, day)
    return render("staff/colleague_visits.html", visits=visits, total=total, page=page,
                  pages=last, people=people, day=day)


@bp.route("/participants")
def participants():
    """The caseload by name, a page at a time; flags are worked out for the page shown."""
    query = (request.args.get("q") or "").strip()[:100]
    people = today_page.people_of(current_user)  # (name shown, row), by that name
    if query:  # on the name as shown, so a masked identity is never found by its real name
        wanted = query.casefold()
        people = [entry for entry in people if wanted in entry[0].casefold()]
    size = today_page.PEOPLE_PER_PAGE
    page, last = page_of(len(people), size)
    shown = [today_page.as_person(entry) for entry in people[(page - 1) * size:page * size]]
    ids, org, now = [p.id for p in shown], current_user.organisation, utcnow()
    rules, day = Rules.of(org), local_today()
    done, flags = caseload.list_facts(ids, rules, day, now)
    rows = [overview.CaseloadRow(
        participant=p, open_rattelse=flags[p.id][0], next=flags[p.id][1],
        visit_missing=visit_missing(overview.visit_facts(p, done), rules, day),
    ) for p in shown]
    # htmx asks for the whole page when it restores a pushed search URL from history.
    restore = request.headers.get("HX-History-Restore-Request") == "true"
    return render("staff/participants.html", block=None if restore else "results", rows=rows,
                  q=query, total=len(people), page=page, pages=last)


@bp.route("/participants/<int:participant_id>")
def participant(participant_id: int):
    person = get_participant_or_404(participant_id)
    return render("staff/participant.html", **overview.participant_overview(person))


@bp.route("/participants/<int:participant_id>/activation-code", methods=["POST"])
def activation_code(participant_id: int):
    person = get_participant_or_404(participant_id, need="activation", audit_action=None)
    user = ensure_participant_user(person)
    code = issue_activation_code(user, current_user)
    record("activation_code", participant_id=person.id, object_type="user", object_id=user.id)
    db.session.commit()
    url = public_url("auth.activate", code=code)
    activation = dict(code=code, url=url, qr=activation_qr_svg(url), username=user.username,
                      expires_at=utcnow() + ACTIVATION_VALID)
    response = render("staff/participant.html", block="activation", activation=activation,
                      **overview.participant_overview(person))
    response.headers["Cache-Control"] = "no-store"  # the code is shown once
    return response


# --- Appointments ---------------------------------------------------------------------------



APPOINTMENTS_PER_PAGE = 10
MAX_HINT_PAGE = 100  # a ?page= beyond it is read once the number of pages is known


def _appointments_page(person, form, status=200, message=None, message_error=False):
    """Coming appointments (the next ten years) and past ones (the last year, newest first),
    ten of each a page: `?upcoming=` and `?page=` page them separately."""
    start_today = local_day_bounds_utc(local_today())[0]
    size = APPOINTMENTS_PER_PAGE
    asked = (min(page_arg("upcoming"), MAX_HINT_PAGE), min(page_arg(), MAX_HINT_PAGE))
    shown = booking.appointment_pages(person.id, start_today, asked, size)
    upcoming_page, upcoming_pages = page_of(shown.upcoming_total, size, "upcoming")
    past_page, past_pages = page_of(shown.past_total, size)
    if (upcoming_page, past_page) != asked:
        # A page past the last of a list (no row there to carry its total): count, then read
        # the pages there are.
        totals = booking.appointment_pages(person.id, start_today, (1, 1), size)
        upcoming_page, upcoming_pages = page_of(totals.upcoming_total, size, "upcoming")
        past_page, past_pages = page_of(totals.past_total, size)
        shown = booking.appointment_pages(person.id, start_today, (upcoming_page, past_page),
                                           size)
    return render("staff/appointments.html", block="appointments", status=status,
                  participant=person, form=form, upcoming=shown.upcoming, past=shown.past,
                  upcoming_page=upcoming_page, upcoming_pages=upcoming_pages,
                  past_page=past_page, past_pages=past_pages,
                  today=local_today(), message=message, message_error=message_error)


def _book(person, form, template_on_error):
    """Book from either form; an invalid one re-renders where it came from with 422."""
    if not form.validate_on_submit():
        if template_on_error == "page":
            return _appointments_page(person, form, status=422)
        return render("staff/appointment_form.html", block="form", status=422,
                      participant=person, form=form, appointment=None)
    appointment = Appointment(participant_id=person.id, created_by_id=current_user.id)
    booking.apply_appointment_form(appointment, form)
    db.session.add(appointment)
    db.session.flush()
    record("create", participant_id=person.id, object_type="appointment",
           object_id=appointment.id)
    db.session.commit()
    message = _("Tiden är bokad.")
    if is_fragment_request():
        return _appointments_page(person, booking.appointment_form(person), message=message)
    flash(message, "success")
    return redirect(url_for("staff.appointments", participant_id=person.id))


@bp.route("/participants/<int:participant_id>/appointments", methods=["GET", "POST"])
@bp.route("/participants/<int:participant_id>/appointments/new", methods=["GET", "POST"],
          endpoint="new_appointment")
def appointments(participant_id: int):
    """The list with its booking form, or (at /new) the booking form on its own page."""
    write = request.method == "POST"
    person = get_participant_or_404(participant_id,
                                    need="appointments_write" if write else "appointments")
    form = booking.appointment_form(person)
    on_list = request.endpoint == "staff.appointments"
    if write:
        return _book(person, form, "page" if on_list else "form")
    if on_list:
        return _appointments_page(person, form)
    return render("staff/appointment_form.html", block="form", participant=person, form=form,
                  appointment=None)


@bp.route("/participants/<int:participant_id>/appointments/<int:appointment_id>/edit",
          methods=["GET", "POST"])
def edit_appointment(participant_id: int, appointment_id: int):
    write = request.method == "POST"
    person = get_participant_or_404(participant_id,
                                    need="appointments_write" if write else "appointments")
    appointment = child_or_404(Appointment, appointment_id, of=person)
    form = booking.appointment_form(person, appointment)
    problem = booking.why_not_editable(appointment)
    if write and problem:
        form.validate()
        form.day.errors = [*form.day.errors, problem]
    elif write and form.validate_on_submit():
        booking.apply_appointment_form(appointment, form)
        record("update", participant_id=person.id, object_type="appointment",
               object_id=appointment.id)
        db.session.commit()
        flash(_("Tiden är ändrad."), "success")
        return redirect(url_for("staff.appointments", participant_id=person.id))
    return render("staff/appointment_form.html", block="form", status=422 if write else 200,
                  participant=person, form=form, appointment=appointment, problem=problem)


@bp.route("/participants/<int:participant_id>/appointments/<int:appointment_id>/cancel",
          methods=["POST"])
def cancel_appointment(participant_id: int, appointment_id: int):
    person = get_participant_or_404(participant_id, need="appointments_write")
    appointment = child_or_404(Appointment, appointment_id, of=person)
    status, message = 200, _("Tiden är inställd.")
    if appointment.outcome is not None:
        status, message = 422, _("Besöket är redan registrerat och kan inte ställas in.")
    elif appointment.status != "cancelled":
        appointment.status, appointment.cancelled_at = "cancelled", utcnow()
        record("cancel", participant_id=person.id, object_type="appointment",
               object_id=appointment.id)
        db.session.commit()
    if is_fragment_request():
        return _appointments_page(person, booking.appointment_form(person), status=status,
                                  message=message, message_error=status != 200)
    flash(message, "success" if status == 200 else "error")
    return redirect(url_for("staff.appointments", participant_id=person.id))


# --- Visit outcome (offline outbox contract, DESIGN §5) -------------------------------------



def _outcome_page(person, appointment, form, status=200, recorded=None):
    return render("staff/outcome.html", block="outcome", status=status, participant=person,
                  appointment=appointment, form=form, recorded=recorded,
                  # Without a `next` (the link from Idag has none, so the page works offline
                  # from the store): back to Idag once recorded.
                  next_url=safe_next(form.next.data or request.args.get("next"))
                  or url_for("staff.today"))


def _outcome_invalid(person, appointment, form):
    if wants_json():
        errors = {name: str(messages[0]) for name, messages in form.errors.items() if messages}
        return jsonify(ok=False, errors=errors), 422
    return _outcome_page(person, appointment, form, status=422)


@bp.route("/participants/<int:participant_id>/appointments/<int:appointment_id>/outcome",
          methods=["GET", "POST"])
def record_outcome(participant_id: int, appointment_id: int):
    person = get_participant_or_404(participant_id, need="visits_write")
    appointment = child_or_404(Appointment, appointment_id, of=person)
    form = OutcomeForm()
    if request.method == "GET":
        return _outcome_page(person, appointment, form, recorded=appointment.outcome)
    key = idempotency.idempotency_key()
    if (replay := idempotency.replay_response(key)) is not None:
        return replay
    problem = outcomes.why_no_outcome(appointment)
    if not form.validate() or problem:
        if problem:
            form.outcome.errors = [*form.outcome.errors, problem]
        return _outcome_invalid(person, appointment, form)
    outcome = outcomes.store_outcome(person, appointment, form, key)
    response = _outcome_saved(person, appointment, form, outcome)
    idempotency.remember(key, response)
    try:
        replay = idempotency.commit_or_replay(key)
    except IntegrityError:  # a different submission for the same visit won the race
        form.outcome.errors = [outcomes.already_recorded_message(appointment)]
        return _outcome_invalid(person, appointment, form)
    return replay or response


def _outcome_saved(person, appointment, form, outcome):
    # Recorded from Idag: back to Idag (the outbox follows this url too).
    url = safe_next(form.next.data) or url_for("staff.appointments",
                                                        participant_id=person.id)
    if wants_json():
        response = jsonify(ok=True, id=outcome.id, url=url)
        response.status_code = 201
        return response
    if is_fragment_request():
        return _outcome_page(person, appointment, form, recorded=outcome)
    flash(_("Besöket är registrerat."), "success")
    return redirect(url)

