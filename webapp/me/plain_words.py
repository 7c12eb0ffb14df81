"""Plain words for the participant's pages: dates, who does a step, what an appointment is.

Easy-to-read Swedish first (the msgids); English comes from the catalog via the footer switch.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..timeutil import to_local

ROLE_NAMES = {
    "staff": _l("Stödpersonal"),
    "social_worker": _l("Socialsekreterare"),
    "housing": _l("Bostadsförvaltningen"),
    "admin": _l("Administratör"),
    "participant": _l("Deltagare"),
}
ACTIONS = {
    "read": _l("Tittade på"),
    "create": _l("Lade till"),
    "update": _l("Ändrade"),
    "delete": _l("Tog bort"),
}
# Which part of the participant's information an audit row is about.
PARTS = {
    "identity": _l("dina uppgifter"),
    "participant": _l("dina uppgifter"),
    "plan": _l("din plan"),
    "plan_write": _l("din plan"),
    "goal": _l("din plan"),
    "step": _l("din plan"),
    "goal_comment": _l("din plan"),
    "appointments": _l("dina tider"),
    "appointments_write": _l("dina tider"),
    "appointment": _l("dina tider"),
    "visits": _l("besöken"),
    "visits_write": _l("besöken"),
    "visit_outcome": _l("besöken"),
    "checklist_read": _l("genomgången av lägenheten"),
    "checklist_write": _l("genomgången av lägenheten"),
    "checklist": _l("genomgången av lägenheten"),
    "checklist_submission": _l("genomgången av lägenheten"),
    "disturbances": _l("störningar"),
    "disturbances_write": _l("störningar"),
    "disturbance": _l("störningar"),
    "absence": _l("frånvaro"),
    "absence_reason": _l("frånvaro"),
    "absence_write": _l("frånvaro"),
    "tenancy": _l("tiden i lägenheten"),
    "notes": _l("anteckningar"),
    "note": _l("anteckningar"),
    "events_write": _l("händelser"),
    "activation": _l("inloggningen"),
    "phase": _l("stödfasen"),
    "contract": _l("kontraktet"),
    "consent": _l("samtycket"),
    "reserve_key": _l("reservnyckeln"),
}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def day_words(day: date, today: date) -> str:
    """'Idag', 'Imorgon', or 'Tisdag 3 mars'."""
    if day == today:
        return _("Idag")
    if (day - today).days == 1:
        return _("Imorgon")
    if (day - today).days == -1:
        return _("Igår")
    pattern = "EEEE d MMMM" if day.year == today.year else "EEEE d MMMM y"
    return capitalise(format_date(day, pattern))


def when_words(starts_at: datetime, today: date) -> str:
    """Naive UTC -> 'Tisdag 3 mars kl 10:00' (local time)."""
    local = to_local(starts_at)
    return _("%(day)s kl %(time)s", day=day_words(local.date(), today),
             time=local.strftime("%H:%M"))


def _day_in_sentence(day: date, today: date) -> str:
    """day_words inside a sentence: 'idag', 'tisdag 3 mars'; English keeps 'Tuesday 3 March'."""
    words = day_words(day, today)
    if abs((day - today).days) > 1 and str(get_locale()) == "en":
        return words
    return words[:1].lower() + words[1:]


def due_words(due: date | None, today: date) -> str:
    if due is None:
        return ""
    if due < today:
        return _("Var tänkt till %(day)s", day=_day_in_sentence(due, today))
    return _("Senast %(day)s", day=_day_in_sentence(due, today))


def month_words(month: str) -> str:
    """'2026-03' -> 'Mars 2026'."""
    year, number = (int(part) for part in month.split("-"))
    return capitalise(format_date(date(year, number, 1), "LLLL y"))


def step_who(step, own_user_id: int) -> str:
    if step.who == "participant":
        return _("Du")
    if step.who == "together":
        if step.who_name:
            return _("Du och %(name)s tillsammans", name=step.who_name)
        return _("Ni gör det tillsammans")
    return step.who_name or _("Din stödperson")


def appointment_words(appointment) -> str:
    """'Anna kommer hem till dig' and so on, per kind of appointment."""
    name = appointment.staff.display_name.split(" ")[0] if appointment.staff else _(
        "Din stödperson")
    place = appointment.location.strip()
    kind = appointment.kind
    if kind == "home_visit":
        return _("%(name)s kommer hem till dig", name=name)
    if kind == "phone":
        return _("%(name)s ringer dig", name=name)
    if kind == "healthcare":
        if place:
            return _("%(name)s följer med dig till %(place)s", name=name, place=place)
        return _("%(name)s följer med dig till vården", name=name)
    if kind == "viewing":
        if place:
            return _("Ni tittar på en lägenhet på %(place)s. %(name)s följer med.",
                     place=place, name=name)
        return _("Ni tittar på en lägenhet. %(name)s följer med.", name=name)
    if kind == "contract_signing":
        return _("Du skriver kontrakt för lägenheten. %(name)s följer med.", name=name)
    if kind == "sip":
        if place:
            return _("Möte med alla som hjälper dig, på %(place)s", place=place)
        return _("Möte med alla som hjälper dig")
    if kind == "planning":
        if place:
            return _("Du och %(name)s planerar tillsammans, på %(place)s", name=name, place=place)
        return _("Du och %(name)s planerar tillsammans", name=name)
    if place:
        return _("Du och %(name)s träffas på %(place)s", name=name, place=place)
    return _("Du och %(name)s träffas", name=name)


def audit_words(event) -> tuple[str, str, str]:
    """(name, role, what) for one audit row: names and roles, never IP addresses."""
    user = event.user
    return (*who_words(user.display_name if user else None, event.role,
                       user.role if user else None),
            what_words(event.action, event.object_type))


def who_words(name: str | None, role: str, user_role: str | None) -> tuple[str, str]:
    """(name, role) of an audit row's actor; `name` None: no user (the system)."""
    if name is None:
        return _("Systemet"), ""
    return name, str(ROLE_NAMES.get(role or user_role, ""))


def what_words(action: str, object_type: str) -> str:
    """What an audit row's actor did, in words: "Tittade på din plan"."""
    verb = ACTIONS.get(action) or _("Ändrade")
    part = PARTS.get(object_type) or _("dina uppgifter")
    return f"{verb} {part}"


def tel_href(phone: str) -> str:
    """'031-365 00 00' -> 'tel:031-3650000' (RFC 3966 allows no spaces)."""
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch in "+-")


def group_by_day(entries) -> list[tuple]:
    """(at, name, role, what) newest first -> one (day, name, role, what, count, last_at) per
    person, local day and action: "Anna tittade på din plan 3 gånger i dag"."""
    groups: dict[tuple, list] = {}
    days: dict[datetime, date] = {}  # the local day once per UTC minute (offsets change
    for at, name, role, what in entries:  # on whole minutes; a page logs rows in runs)
        minute = at.replace(second=0, microsecond=0)
        day = days.get(minute)
        if day is None:
            day = days[minute] = to_local(minute).date()
        key = (day, name, role, what)
        if key in groups:
            groups[key][4] += 1
        else:
            groups[key] = [*key, 1, at]
    return [tuple(group) for group in groups.values()]


def times_words(what: str, count: int) -> str:
    """'Tittade på din plan' / 'Tittade på din plan 3 gånger'."""
    if count == 1:
        return what
    return ngettext("%(what)s %(num)s gång", "%(what)s %(num)s gånger", count, what=what)
