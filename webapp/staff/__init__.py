from flask import Blueprint

bp = Blueprint("staff", __name__)


@bp.record_once
def _install_worklist_hooks(_state):
    # Writes mark the stored worklist of Idag stale, whichever view or job made them.
    from .worklist_store import install_hooks

    install_hooks()


from . import events_routes, plan_routes, routes, tabs, tenancy_routes  # noqa: E402,F401
