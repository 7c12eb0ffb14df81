from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import checklist_routes, first_day, routes, team_routes  # noqa: E402,F401
