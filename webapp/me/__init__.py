from flask import Blueprint

bp = Blueprint("me", __name__)

from . import checklist_routes, offline_routes, routes, tenancy_routes  # noqa: E402,F401
