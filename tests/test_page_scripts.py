"""How pages load their scripts (issue 17). The checklist form's come after its first paint
through loader.js: the same shell scripts as every other page, in the same order, then its own,
and never htmx (nothing on the form uses it; it starts only at DOMContentLoaded)."""
from __future__ import annotations

import re

SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
DEFERRED = re.compile(r'<script src="([^"]+)" defer></script>')


def _form_scripts(html: str) -> list[str]:
    [tag] = SCRIPT_TAG.findall(html)  # the loader is the page's only script
    assert 'src="/static/js/loader.js"' in tag and " defer" in tag
    return re.search(r'data-scripts="([^"]*)"', tag).group(1).split()


def test_the_checklist_form_loads_the_shell_scripts_and_its_own_after_the_first_paint(
        client, world, login_as):
    login_as("staff")
    shell = DEFERRED.findall(client.get("/today").get_data(as_text=True))
    assert shell[0].startswith("/static/vendor/htmx-")
    form = client.get(f"/participants/{world.participant.id}/checklists/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert _form_scripts(html) == shell[1:] + ["/static/js/checklist.js"]
    assert "/static/vendor/htmx" not in html and "hx-boost=\"true\"" not in html


def test_the_loaded_scripts_exist_and_are_in_the_offline_shell(client, world, login_as):
    login_as("staff")
    html = client.get(f"/participants/{world.participant.id}/checklists/new").get_data(
        as_text=True)
    worker = client.get("/sw.js").get_data(as_text=True)
    for src in ["/static/js/loader.js", *_form_scripts(html)]:
        assert client.get(src).status_code == 200
        assert f'"{src}"' in worker  # precached: the form works offline
