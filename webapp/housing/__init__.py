from flask import Blueprint

bp = Blueprint("housing", __name__)

from . import checklist_routes, routes, tenancy_routes  # noqa: E402,F401
