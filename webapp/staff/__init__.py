from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import events_routes, plan_routes, routes, tenancy_routes  # noqa: E402,F401
