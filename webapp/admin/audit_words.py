"""The audit log in words (issue 16.10): "läste planen", not "read checklist_write"."""
from __future__ import annotations

from typing import NamedTuple

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..timeutil import format_datetime
from . import bp

VERBS = {
    "read": _l("läste"), "prefetch": _l("hämtade till telefonen för offline"),
    "create": _l("lade till"), "update": _l("ändrade"), "delete": _l("tog bort"),
    "correct": _l("rättade"), "cancel": _l("ställde in"), "export": _l("laddade ner"),
    "review": _l("granskade"), "signoff": _l("skrev under"), "login": _l("loggade in"),
    "logout": _l("loggade ut"), "refused": _l("nekades åtkomst till"),
}
# Whole phrases where "verb + object" would read oddly.
PHRASES = {
    "activation_code": _l("gav en aktiveringskod"), "activated": _l("aktiverade kontot"),
    "phase_change": _l("bytte fas"), "deactivate": _l("stängde av kontot"),
    "reset_totp": _l("nollställde tvåstegsinloggningen"),
    "totp_enrolled": _l("ställde in tvåstegsinloggningen"),
    "disturbance_create": _l("lade till en störning"),
    "disturbance_followup": _l("följde upp en störning"),
    "absence_create": _l("lade till en frånvaro"), "absence_end": _l("avslutade en frånvaro"),
    "consent_create": _l("lade till ett samtycke"),
    "consent_withdraw": _l("tog tillbaka ett samtycke"),
    "decision_update": _l("ändrade beslutet"),
    "reserve_key_update": _l("ändrade reservnyckeln"),
}
OBJECTS = {
    "identity": _l("uppgifterna"), "participant": _l("uppgifterna"),
    "plan": _l("planen"), "plan_write": _l("planen"), "goal": _l("ett mål i planen"),
    "step": _l("ett steg i planen"), "goal_comment": _l("en kommentar i planen"),
    "appointments": _l("tiderna"), "appointments_write": _l("tiderna"),
    "appointment": _l("en tid"), "visits": _l("besöken"), "visits_write": _l("besöken"),
    "visit_outcome": _l("ett besök"), "checklist_read": _l("genomgångarna"),
    "checklist_write": _l("genomgången"), "checklist": _l("genomgången"),
    "checklist_followup": _l("en åtgärd i genomgången"),
    "checklist_template": _l("mallen för genomgången"),
    "disturbances": _l("händelserna"), "disturbance": _l("en störning"),
    "absence": _l("en frånvaro"), "consent": _l("ett samtycke"), "user": _l("ett konto"),
    "staff_assignment": _l("en tilldelning"), "organisation": _l("inställningarna"),
    "audit_event": _l("en logghändelse"), "audit_csv": _l("loggen"),
    "audit_review": _l("månadens loggranskning"), "checklists_csv": _l("genomgångarna"),
    "figures_csv": _l("uppföljningen"), "calendar_feed": _l("kalendern"),
    "calendar_token": _l("kalenderlänken"), "housing_notice": _l("ett meddelande"),
    "reserve_key": _l("reservnyckeln"), "phase_change": _l("fasen"),
    "open_support_contact": _l("en kontakt för öppet stöd"), "user_teams": _l("teamen"),
    "team": _l("ett team"), "team_membership": _l("ett teammedlemskap"),
}


def event_words(action: str, object_type: str = "") -> str:
    """One audit row as a short phrase in the page's language."""
    if action in PHRASES:
        return str(PHRASES[action])
    verb = str(VERBS.get(action, action))
    thing = OBJECTS.get(object_type)
    if thing is None:
        return f"{verb} {object_type}".strip()
    return f"{verb} {thing}"


@bp.app_template_global()
def audit_event_words(event) -> str:
    """`event_words`, worked out once per (action, object) in a request: a log page shows a
    hundred rows of a dozen kinds."""
    key = (event.action, event.object_type or "")
    words = g.setdefault("_audit_words", {})
    if key not in words:
        words[key] = event_words(*key)
    return words[key]


@bp.app_template_global()
def log_time(at) -> str:
    """`format_datetime` (date and minute), worked out once per minute in a request: a list
    page logs its rows in the same instant, so a log page shows runs of the same minute.
    UTC offsets are whole minutes, so the local minute follows from the UTC minute."""
    minute = at.replace(second=0, microsecond=0)
    times = g.setdefault("_log_times", {})
    if minute not in times:
        times[minute] = format_datetime(minute)
    return times[minute]


class LogRow(NamedTuple):
    """One event card of the log page, already in words (the template writes five texts)."""
    time: str
    who: str
    role: str  # "" when the event has no role (the system)
    words: str
    about: str  # the participant's name, "–" when not found, "" when about nobody


def log_rows(events, role_labels: dict[str, str]) -> list[LogRow]:
    """`audit_events(..., named_for=...)` rows as the log page's cards: what the template
    worked out per row (~90 Python calls a card) done here in a loop."""
    system, times, words, rows = _("Systemet"), {}, {}, []
    for event in events:
        minute = event.at.replace(second=0, microsecond=0)
        time = times.get(minute)
        if time is None:
            time = times[minute] = format_datetime(minute)
        kind = (event.action, event.object_type or "")
        said = words.get(kind)
        if said is None:
            said = words[kind] = event_words(*kind)
        role = event.role
        rows.append(LogRow(
            time, event.user_name if event.user_id is not None else system,
            role_labels.get(role, role) if role else "", said,
            (event.participant_name or "–") if event.participant_id else ""))
    return rows


@bp.context_processor
def _role_labels() -> dict:
    from .forms import role_labels

    return {"role_labels": role_labels()}
