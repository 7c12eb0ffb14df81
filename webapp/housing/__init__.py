from flask import Blueprint

bp = Blueprint("housing", __name__)


@bp.record_once
def _install_summary_hooks(_state):
    # Writes of the scope's participants, apartments and offers make housing's stored
    # summaries stale, whichever view or job made them.
    from .summaries import install_hooks

    install_hooks()


from . import checklist_routes, routes, tenancy_routes  # noqa: E402,F401
