from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import (  # noqa: E402,F401
    checklist_routes,
    first_day,
    routes,
    rules_routes,
    team_routes,
    tenancy_routes,
)
