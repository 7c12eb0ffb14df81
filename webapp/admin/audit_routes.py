"""Admin: the audit log (filter, page, CSV) and the monthly log review (flagged events and a
sample, marked reviewed with a comment, then signed off). The rules of what looks unusual are
in webapp/domain/log_review.py."""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import audit_event_or_404
from ..audit import record
from ..csv_export import csv_response, to_csv
from ..domain.log_review import FLAGS
from ..domain.tenancy import add_months
from ..extensions import db
from ..form_fields import id_choices
from ..i18n import pinned_translations
from ..inputs import page_of
from ..models import AuditReview
from ..rendering import render
from ..timeutil import format_month, local_today, month_key, to_local
from . import audit_queries, audit_review_store, audit_words, bp  # noqa: F401 (audit_words: a template global)
from .audit_words import audit_event_words, log_rows, log_time
from .choices import month_arg, org_id
from .forms import AuditFilterForm, ReviewForm, role_labels

AUDIT_PAGE_SIZE = 100
FLAGGED_PER_PAGE = 30  # the log review's flagged events, not yet reviewed first
CSV_LIMIT = 100_000
# The log is counted up to here (~1 ms of the database at most), and paged as far: ten
# pages; filters (person, participant, dates) and the CSV reach the older events.
COUNT_CAP = 1_000


class ParticipantFilter(NamedTuple):
    id: int | None  # the participant filtered by (None: everyone, or not found)
    found: bool  # False: the search named nobody, or several (then `choices`)
    choices: dict[int, str]  # several matched: the admin picks one


def _participant_filter(form: AuditFilterForm) -> ParticipantFilter:
    """The participant the filter names: `participant_id` (a choice made, kept in the links)
    while the search field still shows that participant's name (or is not sent), else the
    search itself (empty: everyone).
    The field's error says what was not found, next to it."""
    text = (form.participant.data or "").strip()
    chosen = request.args.get("participant_id", "")
    if chosen.isdigit() and len(chosen) < 10:
        names = audit_queries.find_participants(org_id(), chosen)
        # A link names only the number; a submitted form whose field was cleared means all.
        if names and ("participant" not in request.args or text == names[int(chosen)]):
            form.participant.data = names[int(chosen)]
            return ParticipantFilter(int(chosen), True, {})
    if not text or form.participant.errors:
        return ParticipantFilter(None, not text, {})
    names = audit_queries.find_participants(org_id(), text)
    if len(names) == 1:
        (pid, name), = names.items()
        form.participant.data = name
        return ParticipantFilter(pid, True, {})
    if not names:
        form.participant.errors = [_("Ingen deltagare heter så eller har det numret. Skriv en "
                                     "del av namnet eller deltagarens nummer.")]
    elif len(names) > audit_queries.PARTICIPANT_MATCHES:
        form.participant.errors = [_("Många deltagare matchar. Skriv mer av namnet.")]
        names = {}
    else:
        form.participant.errors = [_("Flera deltagare matchar. Välj en i listan.")]
    return ParticipantFilter(None, False, names)


def _audit_filters() -> tuple[AuditFilterForm, ParticipantFilter]:
    """The filter form with its choices, and the participant it names."""
    form = AuditFilterForm(request.args)
    id_choices(form.user_id, audit_queries.user_options(org_id(), _("Alla")))
    if not form.validate():
        form.start.data = form.end.data = None
    return form, _participant_filter(form)


def _filters(form: AuditFilterForm, who: ParticipantFilter) -> tuple:
    return (org_id(), form.user_id.data, who.id, form.start.data, form.end.data)


def _args(form: AuditFilterForm, who: ParticipantFilter) -> dict[str, str]:
    """The filter as the page's links carry it (pages, CSV): the participant by number."""
    args = {k: v for k, v in request.args.items()
            if k not in ("page", "participant", "participant_id") and v}
    if who.id is not None:
        args["participant_id"] = str(who.id)
    return args


@bp.route("/admin/audit")
def audit():
    form, who = _audit_filters()
    args = _args(form, who)
    if not who.found:  # the search named nobody or several: nothing to list yet
        return render("admin/audit.html", block="results", form=form, who=who, rows=[],
                      total=None, page=1, pages=1, args=args, month=month_key(local_today()))
    total = audit_queries.audit_count(*_filters(form, who), cap=COUNT_CAP)
    more = total > COUNT_CAP
    page, pages = page_of(min(total, COUNT_CAP), AUDIT_PAGE_SIZE)
    events = audit_queries.audit_events(
        *_filters(form, who), limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE,
        named_for=current_user._get_current_object())  # noqa: SLF001 - the proxy once
    return render("admin/audit.html", block="results", form=form, who=who,
                  rows=log_rows(events, role_labels()), total=min(total, COUNT_CAP),
                  more=more, page=page, args=args, pages=pages,
                  month=month_key(local_today()))


@bp.route("/admin/audit.csv")
def audit_csv():
    form, who = _audit_filters()
    if not who.found:
        abort(400)  # the page offers no CSV link until the search names one participant
    events = audit_queries.audit_events(*_filters(form, who), limit=CSV_LIMIT).all()
    names = audit_queries.participant_names(events)
    rows = ([f"{to_local(e.at):%Y-%m-%d %H:%M:%S}", e.user_name or "", e.username or "",
             e.role, e.action, e.object_type, e.object_id, e.participant_id or "",
             names.get(e.participant_id, ""), e.path, e.ip]
            for e in events)
    body = to_csv(["tid", "namn", "användarnamn", "roll", "händelse", "objekt", "objekt-id",
                   "deltagar-id", "deltagare", "sökväg", "ip"], rows)
    record("export", object_type="audit_csv", detail=request.query_string.decode()[:500])
    return csv_response(body, "logg.csv")


class ShownEvent(NamedTuple):
    """A row of the log review as its template prints it, worked out here: through the
    template's own calls a row took ~200 Python calls, and a page shows up to 50."""
    id: int
    when: str  # date and minute
    who: str
    role: str  # the role's label, "" for none
    words: str  # what was done
    name: str  # the participant's name as the admin may see it, or "–"
    flags: list[str]  # the flags' labels
    marks: list  # the review marks, oldest first


def _shown_events(event_ids: list[int], flags: dict, reviews: dict) -> dict[int, ShownEvent]:
    rows, names = audit_queries.shown_events(event_ids)
    # Most rows share their minute and their kind of event: each worked out once, in the
    # page's catalog read once (as during a render).
    times, words, shown = {}, {}, {}
    with pinned_translations():
        roles = role_labels()
        for row in rows.values():
            minute = row.at.replace(second=0, microsecond=0)
            kind = (row.action, row.object_type)
            if minute not in times:
                times[minute] = log_time(minute)
            if kind not in words:
                words[kind] = audit_event_words(row)
            shown[row.id] = ShownEvent(
                row.id, times[minute], row.user_name if row.user_id is not None else "–",
                roles.get(row.role, row.role) if row.role else "", words[kind],
                names.get(row.participant_id, "–"),
                [FLAGS[flag] for flag in flags.get(row.id, [])], reviews.get(row.id, []))
    return shown


@bp.route("/admin/audit/review")
def audit_review():
    month = month_arg(local_today())
    # Only the page's flagged events are read (counted and paged in the database): a month of
    # night work flags thousands.
    review = audit_review_store.review_page(org_id(), month, FLAGGED_PER_PAGE)
    # The marks of the shown events and the month's sign-off, in one statement.
    reviews, reviewers, signoff = audit_queries.review_marks(
        review.flagged + [e.id for e in review.sample], org_id(), month)
    shown = _shown_events(review.flagged + [e.id for e in review.sample], review.flags,
                          reviews)
    return render("admin/audit_review.html", month=month, month_label=format_month(month),
                  flagged=[shown[i] for i in review.flagged],
                  flagged_total=review.flagged_total, page=review.page, pages=review.pages,
                  month_arg_value=month_key(month),
                  sample=[shown[e.id] for e in review.sample], reviewers=reviewers,
                  total=review.total,
                  unreviewed_sample=[e.id for e in review.sample if e.id not in reviews],
                  unreviewed_flagged=review.unreviewed_flagged,
                  signoff=signoff,
                  prev_month=month_key(add_months(month, -1)),
                  next_month=month_key(add_months(month, 1)))


@bp.route("/admin/audit/events/<int:event_id>/review", methods=["POST"])
def audit_mark_reviewed(event_id: int):
    event = audit_event_or_404(event_id)
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


@bp.route("/admin/audit/review/sample", methods=["POST"])
def audit_review_sample():
    """Mark the month's whole unflagged sample reviewed at once (the flagged ones one by one)."""
    month = _review_month()
    sample = audit_review_store.month_review(org_id(), month).sample
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
    if audit_queries.signoff(org_id(), month) is None:
        record("signoff", object_type="audit_review", detail=month_key(month))
        if comment:
            record("review", object_type="audit_review",
                   detail=f"{month_key(month)}: {comment}")
        db.session.commit()
    flash(_("Loggranskningen för %(month)s är avslutad.", month=format_month(month)), "success")
    return redirect(url_for("admin.audit_review", month=month_key(month)), 303)
