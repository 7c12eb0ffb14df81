"""The section tabs of a participant's pages, rendered once per language and current page.

Every participant page (overview, plan, times, checklists, events, decisions, reports, tenancy)
shows the same eight tabs; only the participant's id in their links differs. Rendering them per
request (eight translations, eight URLs, the loop) was ~800 Python calls of every such page."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from . import bp

# Stands in for the participant's id while the tabs are rendered: a number no id reaches, so
# it occurs in the markup only where an id goes.
_SLOT = 987_654_321_987_654_321
_rendered: dict[tuple, tuple[str, ...]] = {}


@bp.app_template_global()
def participant_tabs(participant_id: int) -> Markup:
    """`staff/_tabs.html` for this participant, the current page's tab marked."""
    key = (str(get_locale()), request.script_root, request.endpoint)
    parts = _rendered.get(key)
    if parts is None:
        html = render_template("staff/_tabs.html", participant_id=_SLOT, current=request.endpoint)
        parts = _rendered[key] = tuple(html.split(str(_SLOT)))
    return Markup(str(int(participant_id)).join(parts))  # noqa: S704 - escaped output, an int
