"""The social-services side (DESIGN §1c, §1d): the social worker's home (Mina ärenden),
decisions and the assignment, monthly follow-up reports, quarterly follow-ups, missed visit
periods, visits recorded after the fact, the crisis plan and the plan per SOSFS 2014:5."""
from flask import Blueprint

bp = Blueprint("social", __name__)

from . import routes  # noqa: E402,F401
