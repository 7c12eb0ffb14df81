from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import plan_routes, routes  # noqa: E402,F401
