"""The admin's home shows what a new organisation still has to set up, one tap per step."""
from __future__ import annotations

from functools import cache

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Integer, Select, and_, bindparam, exists, func, select

from ..domain.first_day import SetupFacts, next_step, setup_steps
from ..extensions import db
from ..models import (
    Apartment,
    AuditEvent,
    Organisation,
    Participant,
    Team,
    TeamMembership,
    User,
)
from . import bp

LABELS = {
    "settings": (_l("Organisationens inställningar och förval"),
                 _l("Välj kommunens förval och kontrollera programmets regler.")),
    "contacts": (_l("Telefonnummer dygnet runt och kontakter"),
                 _l("Numret deltagarna kan ringa dygnet runt, och kontakterna för öppet stöd.")),
    "teams": (_l("Team"), _l("Minst ett stödteam. Deltagare hör alltid till ett team.")),
    "staff": (_l("Stödpersonal"), _l("Skapa stödpersonal och lägg dem i ett stödteam.")),
    "social_workers": (_l("Socialsekreterare"), _l("De som har ärendena hos socialtjänsten.")),
    "housing_users": (_l("Bostadsförvaltning"),
                      _l("Ett team för bostadsförvaltningen och dess användare.")),
    "participants": (_l("Deltagare"), _l("Lägg till deltagarna, en i taget eller från en fil.")),
    "apartments": (_l("Lägenheter"), _l("Lägenheterna som deltagarna bor i.")),
}


def _count(model, *where):
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


@cache
def _facts_statement() -> Select:
    """The guide's one statement, built once with the organisation as a parameter: building
    it per view (nine subqueries) cost more than running it."""
    org_id = bindparam("org", type_=Integer)
    active_team = and_(Team.organisation_id == org_id, Team.archived_at.is_(None))
    staff_in_team = exists().where(
        TeamMembership.user_id == User.id, TeamMembership.team_id == Team.id,
        active_team, Team.kind == "support")
    saved = exists().where(AuditEvent.object_type == "organisation",
                           AuditEvent.object_id == org_id, AuditEvent.action == "update")
    return select(
        saved,
        _count(Team, active_team, Team.kind == "support"),
        _count(Team, active_team, Team.kind == "housing"),
        _count(User, User.organisation_id == org_id, User.active, User.role == "staff",
               staff_in_team),
        _count(User, User.organisation_id == org_id, User.active,
               User.role == "social_worker"),
        _count(User, User.organisation_id == org_id, User.active, User.role == "housing"),
        _count(Participant, Participant.organisation_id == org_id),
        _count(Apartment, Apartment.organisation_id == org_id),
        select(Organisation.oncall_phone).where(Organisation.id == org_id).scalar_subquery(),
    )


def setup_facts(organisation_id: int) -> SetupFacts:
    """Everything the guide needs, in one query (the home page stays cheap): the
    organisation's on-call number comes along, not the organisation as an object."""
    row = db.session.execute(_facts_statement(), {"org": organisation_id}).one()
    return SetupFacts(settings_saved=bool(row[0]), oncall_phone=bool((row[8] or "").strip()),
                      support_teams=row[1], housing_teams=row[2], staff_in_teams=row[3],
                      social_workers=row[4], housing_users=row[5], participants=row[6],
                      apartments=row[7])


def step_url(key: str, facts: SetupFacts) -> str:
    if key == "settings":
        return url_for("admin.settings")
    if key == "contacts":
        return url_for("admin.settings", _anchor="oncall_phone")
    if key == "teams" or (key == "housing_users" and not facts.housing_teams):
        return url_for("admin.teams")
    if key in ("staff", "social_workers", "housing_users"):
        role = {"staff": "staff", "social_workers": "social_worker",
                "housing_users": "housing"}[key]
        return url_for("admin.new_user", role=role)
    if key == "apartments":  # the admin brings apartments in with the caseload import
        return url_for("admin.caseload_import_page")
    return url_for("admin.new_participant")


def first_day(facts: SetupFacts | None = None) -> dict | None:
    """The guide for the template, or None when the organisation is fully set up."""
    facts = facts or setup_facts(current_user.organisation_id)
    steps = setup_steps(facts)
    upcoming = next_step(steps)
    if upcoming is None:
        return None
    return {"next": upcoming.key, "done": sum(s.done for s in steps), "total": len(steps),
            "steps": [{"key": s.key, "done": s.done, "title": LABELS[s.key][0],
                       "hint": LABELS[s.key][1], "url": step_url(s.key, facts)}
                      for s in steps]}


# The guide's markup by what it shows (the facts, language and the app's path): the same for
# every view until a step is done, so written once per process. Emptied when full.
_guides: dict[tuple, Markup] = {}
_GUIDES_SIZE = 256


def first_day_guide() -> Markup:
    """The guide as the admin's home writes it ("" when the organisation is set up)."""
    facts = setup_facts(current_user.organisation_id)
    key = (facts, str(get_locale()), request.script_root)
    html = _guides.get(key)
    if html is None:
        guide = first_day(facts)
        # The page writes it on a line of its own: the line's end comes with it.
        html = Markup(current_app.jinja_env.get_template(  # noqa: S704 - autoescaped output
            "admin/_first_day.html").render(guide=guide) + "\n") if guide else Markup("")
        if len(_guides) >= _GUIDES_SIZE:
            _guides.clear()  # one step, safe with other threads; refills as used
        _guides[key] = html
    return html


@bp.context_processor
def _first_day_guide():
    # A callable: only the page that shows the guide pays for its query.
    return {"first_day_guide": first_day_guide}
