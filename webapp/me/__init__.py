from flask import Blueprint

bp = Blueprint("me", __name__)

from . import routes  # noqa: E402,F401
