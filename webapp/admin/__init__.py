from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import checklist_routes, routes  # noqa: E402,F401
