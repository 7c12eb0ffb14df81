from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import checklist_routes, routes, rules_routes  # noqa: E402,F401
