"""Admin / coordinator area: one blueprint, one module of routes per sub-area (see README,
"Where things are"). Every change is written to the audit log; nothing is hard-deleted."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import (  # noqa: E402,F401
    audit_routes,
    checklist_routes,
    figures_routes,
    first_day,
    participant_routes,
    rules_routes,
    settings_routes,
    team_routes,
    tenancy_routes,
    user_routes,
)
