"""The monthly checklist for staff: fill on site (offline-safe), correct, history (DESIGN §4)."""
from __future__ import annotations

from functools import cache

from flask import (
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..access import child_or_404, get_participant_or_404
from ..audit import record
from ..domain.checklists import (
    counting_submissions,
    month_of,
    month_statuses,
    months_between,
    shift_month,
    validate_answers,
    version_chain,
)
from ..domain.followups import validate_followups
from ..extensions import db
from ..idempotency import commit_or_replay, idempotency_key, remember, replay_response
from ..models import (
    FOLLOWUP_OWNERS,
    ChecklistAnswer,
    ChecklistFollowupDone,
    ChecklistSubmission,
    Organisation,
)
from ..rendering import render, wants_json
from ..timeutil import local_today
from ..urlsafety import safe_next
from . import bp
from .forms import ChecklistForm
from .submissions import (
    WITH_ANSWERS,
    correction_of,
    current_apartment_id,
    followups_done,
    followups_open,
    item_texts,
    listed_submissions,
    lock_participant_checklists,
    month_label,
    month_submission,
    newest_template,
    participant_submissions,
    store_submission,
    template_version,
)

HISTORY_MONTHS = 12
SENT = aliased(ChecklistSubmission)


@bp.app_template_filter("month_label")
def _month_label_filter(month: str) -> str:
    return month_label(month)




@bp.route("/participants/<int:participant_id>/checklists/new", methods=["GET", "POST"])
def new(participant_id: int):
    participant = get_participant_or_404(participant_id, need="checklist_write")
    if request.method == "GET" and not request.headers.get("HX-Boosted"):
        # One checklist per month: once this month's is sent, the form is its correction.
        sent = _counting_id(participant.id, month_of(local_today()))
        if sent is not None:
            flash(_("Månadens genomgång är redan skickad. Det du skickar nu blir en rättelse."),
                  "info")
            return redirect(url_for(".correct", participant_id=participant.id,
                                    submission_id=sent), 303)
    return _form_or_store(participant, None)


@bp.route("/participants/<int:participant_id>/checklists/<int:submission_id>/correct",
          methods=["GET", "POST"])
def correct(participant_id: int, submission_id: int):
    participant = get_participant_or_404(participant_id, need="checklist_write")
    old = child_or_404(ChecklistSubmission, submission_id, of=participant, options=WITH_ANSWERS)
    newer = correction_of(old)
    if newer is not None and request.method == "GET":
        flash(_("Det finns redan en nyare version. Du rättar den nyaste."), "warning")
        return redirect(url_for(".correct", participant_id=participant.id,
                                submission_id=newer.id))
    return _form_or_store(participant, old, already_corrected=newer is not None)


def _counting_id(participant_id: int, month: str) -> int | None:
    """The id of `month_submission(participant_id, month)`, from that month's versions not
    replaced by a correction, as columns (not every version with its answers: the form is
    opened far more often than it is sent)."""
    rows = db.session.execute(_counting_statement(),
                              {"pid": participant_id, "month": month}).all()
    counting = counting_submissions(rows).get((participant_id, month))
    return counting.id if counting is not None else None


@cache
def _counting_statement():
    """`_counting_id`'s query, built once with the participant and month as parameters."""
    replaced = (select(ChecklistSubmission.id).where(
        ChecklistSubmission.supersedes_id == SENT.id).exists())
    return (select(SENT.id, SENT.participant_id, SENT.month, SENT.submitted_at, SENT.version_no,
                   SENT.supersedes_id)
            .where(SENT.participant_id == bindparam("pid"), SENT.month == bindparam("month"),
                   ~replaced))


ALREADY_CORRECTED = "Den här versionen är redan rättad. Öppna den nyaste versionen och rätta den."


def _form_or_store(participant, old, already_corrected=False):
    """GET: the form (prefilled for a correction). POST: validate, store once, answer."""
    if request.method == "GET" and request.headers.get("HX-Boosted"):
        # A full load, so checklist.js (drafts, progress) runs; a boosted swap would skip it.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = request.full_path.rstrip("?")
        return response
    key = idempotency_key()
    if request.method == "POST" and (replay := replay_response(key)) is not None:
        return replay
    if request.method == "GET" and old is None:
        # A blank form: its markup is kept (form.html), the form built only when written.
        return _form_page(participant, newest_template(participant.organisation_id), None,
                          ({}, {}, {}), {}, None)
    template = old.template if old else template_version(
        participant.organisation_id, request.form.get("template_version"))
    form = ChecklistForm(obj=old if old and request.method == "GET" else None)
    keys = [item.key for item in template.items]
    posted = _posted_answers() if request.method == "POST" else _old_answers(old)
    if request.method == "GET":
        return _form_page(participant, template, _opened(form, template), posted, {}, old)
    form_ok = form.validate()
    answers, errors = validate_answers(keys, posted[0], posted[1])
    remark_keys = [key for key in keys if posted[0].get(key) == "remark"]
    followups, followup_errors = validate_followups(remark_keys, posted[2])
    errors = {name: field_errors[0] for name, field_errors in form.errors.items()} | errors
    errors |= followup_errors
    if already_corrected:
        errors["form"] = ALREADY_CORRECTED
    if errors or not form_ok:
        if wants_json():
            return jsonify(ok=False, errors=errors), 422
        return _form_page(participant, template, form, posted, errors, old, status=422)
    lock_participant_checklists(participant.id)  # what follows reads what others committed
    if old is not None and correction_of(old) is not None:
        # Corrected by someone else while this form was being sent.
        errors = {"form": ALREADY_CORRECTED}
        if wants_json():
            return jsonify(ok=False, errors=errors), 422
        return _form_page(participant, template, form, posted, errors, old, status=422)
    if old is None:
        # A second checklist for a month that has one (sent from another phone, or a form
        # opened before the first was sent) is a correction of it: a new version, never a
        # second version 1.
        old = month_submission(participant.id, month_of(form.held_on.data))
    submission = store_submission(participant, template, form.fields_data(), answers,
                                  current_user.id, key, supersedes=old, followups=followups)
    record("correct" if old else "create", participant_id=participant.id,
           object_type="checklist", object_id=submission.id)
    url = url_for(".show", participant_id=participant.id, submission_id=submission.id)
    if wants_json():
        response = make_response(jsonify(ok=True, id=submission.id, url=url), 201)
    else:
        response = redirect(url, 303)
    remember(key, response)
    if (replay := commit_or_replay(key)) is not None:
        return replay
    if not wants_json():
        flash(_("Genomgången för %(month)s är skickad.", month=month_label(submission.month)),
              "success")
    return response


def _opened(form: ChecklistForm, template) -> ChecklistForm:
    """A form as it is opened: on `template`'s version, held today unless a correction's date."""
    form.template_version.data = str(template.version)
    form.idempotency_key.data = ""  # a correction is a new write, never the old one's key
    form.held_on.data = form.held_on.data or local_today()
    return form


def _blank_form(template, csrf: str) -> ChecklistForm:
    """A new checklist's form for its kept markup, `csrf` (the token's hole) as its token."""
    form = _opened(ChecklistForm(), template)
    token = getattr(form, "csrf_token", None)  # no field where CSRF protection is off
    if token is not None:
        token.current_token = csrf
    return form


_blank_items: dict[tuple, Markup] = {}
_BLANK_ITEMS_CACHE_SIZE = 64


def checklist_items(template, answers, remarks, followups, errors) -> Markup:
    """The form's items. A blank form's (nothing answered, no errors: every new checklist) are
    the same for every participant, so they are rendered once per template content and language
    and process: 22 items with their follow-up fields were a third of the page's time. Keyed by
    the items themselves, not the template's id: a version's items never change, and another
    database (tests) may reuse an id."""
    blank = not (answers or remarks or followups or errors)
    key = None
    if blank:
        key = (str(get_locale()),
               tuple((item.section, item.key, item.text) for item in template.items))
        if key in _blank_items:
            return _blank_items[key]
    html = Markup(render_template(  # noqa: S704 - an autoescaped template's output
        "checklists/_items.html", items=template.items, answers=answers, remarks=remarks,
        followups=followups, errors=errors, owners=FOLLOWUP_OWNERS))
    if key is not None and len(_blank_items) < _BLANK_ITEMS_CACHE_SIZE:
        _blank_items[key] = html
    return html


FOLLOWUP_FIELDS = ("followup_action", "followup_owner", "followup_due")


def _posted_answers() -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, str, str]]]:
    answers, remarks, parts = {}, {}, {}
    for name, value in request.form.items():
        if name.startswith("answer-"):
            answers[name[len("answer-"):]] = value
        elif name.startswith("remark-"):
            remarks[name[len("remark-"):]] = value
        else:
            field, _sep, key = name.partition("-")
            if field in FOLLOWUP_FIELDS and key:
                parts.setdefault(key, {})[field] = value
    followups = {key: tuple(values.get(f, "") for f in FOLLOWUP_FIELDS)
                 for key, values in parts.items()}
    return answers, remarks, followups


def _old_answers(old) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, str, str]]]:
    if old is None:
        return {}, {}, {}
    return ({a.item_key: a.answer for a in old.answers},
            {a.item_key: a.remark for a in old.answers},
            {a.item_key: (a.followup_action, a.followup_owner,
                          a.followup_due.isoformat() if a.followup_due else "")
             for a in old.answers if a.followup_action})


def _form_page(participant, template, form, posted, errors, old, status=200):
    answers, remarks, followups = posted
    # Open follow-ups of earlier checklists (not the one being corrected: its own are on the form).
    earlier = [f for f in followups_open([participant.id])
               if old is None or f.submission_id != old.id]
    answered = sum(1 for item in template.items if answers.get(item.key) in ("ok", "remark", "na"))
    # Per user: a draft never opens for someone else who signs in on the same phone.
    draft_key = (f"bofast-checklist-draft:{current_user.id}:{participant.id}"
                 + (f":{old.id}" if old else ""))
    action = (url_for(".correct", participant_id=participant.id, submission_id=old.id) if old
              else url_for(".new", participant_id=participant.id))
    return render("checklists/form.html", status=status, participant=participant,
                  checklist_template=template, form=form, answers=answers, remarks=remarks,
                  blank_form=lambda csrf: _blank_form(template, csrf),
                  errors=errors, old=old, answered=answered, action=action, draft_key=draft_key,
                  followups=followups, open_followups=earlier, owners=FOLLOWUP_OWNERS,
                  checklist_items=checklist_items,
                  today=local_today(),
                  item_texts=item_texts(participant.id) if earlier else {},
                  has_apartment=current_apartment_id(participant.id) is not None)


@bp.route("/participants/<int:participant_id>/checklists")
def history(participant_id: int):
    participant = get_participant_or_404(participant_id, need="checklist_read")
    submissions = listed_submissions(participant.id)
    counting = counting_submissions(submissions)
    this_month = month_of(local_today())
    first = min((s.month for s in submissions), default=this_month)
    first = max(first, shift_month(this_month, -(HISTORY_MONTHS - 1)))
    months = list(reversed(months_between(first, this_month)))
    statuses = month_statuses(participant.id, months, counting, this_month)
    others = {}
    for submission in submissions:
        if counting.get((participant.id, submission.month)) is not submission:
            others.setdefault(submission.month, []).append(submission)
    return render("checklists/history.html", participant=participant, statuses=statuses,
                  others=others, this_month=this_month)


@bp.route("/participants/<int:participant_id>/checklists/<int:submission_id>")
def show(participant_id: int, submission_id: int):
    participant = get_participant_or_404(participant_id, need="checklist_read")
    submission = child_or_404(ChecklistSubmission, submission_id, of=participant,
                              options=WITH_ANSWERS)
    chain = version_chain(participant_submissions(participant.id), submission.id)
    return render("checklists/show.html", participant=participant, submission=submission,
                  items=submission.template.items, chain=chain,
                  org=db.session.get(Organisation, participant.organisation_id))


@bp.route("/participants/<int:participant_id>/checklists/followups/<int:id>/done",
          methods=["POST"])
def followup_done(participant_id: int, id: int):
    """Mark a remark's follow-up done (the checklist itself stays as it was submitted)."""
    participant = get_participant_or_404(participant_id, need="checklist_write")
    answer = child_or_404(ChecklistAnswer, id, of=participant)
    if not answer.followup_action:
        abort(404)  # an answer without a follow-up has nothing to mark done
    if not followups_done([answer.id]):
        db.session.add(ChecklistFollowupDone(answer_id=answer.id, done_by_id=current_user.id))
        record("update", participant_id=participant.id, object_type="checklist_followup",
               object_id=answer.id)
        try:
            db.session.commit()
        except IntegrityError:  # marked done by someone else at the same moment
            db.session.rollback()
    flash(_("Åtgärden är markerad som klar."), "success")
    target = safe_next(request.form.get("next")) or url_for(
        ".show", participant_id=participant.id, submission_id=answer.submission_id)
    return redirect(target, 303)
