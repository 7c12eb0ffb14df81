"""Template filters and globals shared by every area."""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import get_locale
from flask_login import current_user

from . import access, timeutil

# The bottom navigation per role: (endpoint, Swedish label).
NAVIGATION = {
    "staff": [("staff.today", "Idag"), ("staff.participants", "Deltagare")],
    "social_worker": [("staff.participants", "Mina ärenden")],
    "participant": [
        ("me.plan", "Min plan"), ("me.appointments", "Mina tider"),
        ("me.contacts", "Kontakter"), ("me.home", "Min lägenhet"),
    ],
    "housing": [("housing.home", "Översikt"), ("housing.checklists", "Genomgångar"),
                ("housing.tenancies", "Hyresgäster")],
    "admin": [("admin.users", "Användare"), ("admin.settings", "Inställningar"),
              ("admin.audit", "Logg"), ("admin.figures", "Uppföljning")],
}

HOME_ENDPOINT = {
    "staff": "staff.today",
    "social_worker": "staff.participants",
    "participant": "me.plan",
    "housing": "housing.home",
    "admin": "admin.users",
}


def navigation() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label in NAVIGATION.get(current_user.role, []):
        if endpoint in current_app.view_functions:
            items.append((endpoint, url_for(endpoint), label))
    return items


def register_template_helpers(app) -> None:
    app.jinja_env.filters.update(
        local_datetime=timeutil.format_datetime,
        local_time=timeutil.format_time,
        local_day=timeutil.format_day,
        to_local=timeutil.to_local,
    )
    app.jinja_env.globals.update(
        navigation=navigation,
        get_locale=get_locale,
        current_app=current_app,
        display_name=access.display_name,
        display_address=access.display_address,
        may_see_identity=access.may_see_identity,
        can=lambda capability: current_user.is_authenticated and access.can(
            current_user, capability
        ),
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
