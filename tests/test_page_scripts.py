"""How pages load their scripts (issue 17): after the first paint and the load event, through
loader.js, so none of them is on the way to the first paint (Lighthouse's LCP). Every page gets
the same shell scripts in the same order, htmx first; the checklist form leaves htmx out (nothing
on it uses it) and adds its own; the checklist pages that show a saved round add theirs after
the shell, whose helpers it uses."""
from __future__ import annotations

import re

from tests.test_checklists import filled, new_url

SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
SHELL = ["/static/js/app.js", "/static/js/push.js", "/static/js/common.js",
         "/static/js/outbox.js", "/static/js/pwa.js"]


def page_scripts(html: str) -> list[str]:
    [tag] = SCRIPT_TAG.findall(html)  # the loader is the page's only script
    assert 'src="/static/js/loader.js"' in tag and " defer" in tag
    return re.search(r'data-scripts="([^"]*)"', tag).group(1).split()


def test_every_page_loads_htmx_and_the_shell_after_the_first_paint(client, world, login_as):
    assert page_scripts(client.get("/login").get_data(as_text=True))[1:] == SHELL
    login_as("staff")
    for url in ("/today", "/participants", f"/participants/{world.participant.id}"):
        scripts = page_scripts(client.get(url).get_data(as_text=True))
        assert scripts[0].startswith("/static/vendor/htmx-") and scripts[1:] == SHELL


def test_the_checklist_form_loads_the_shell_scripts_and_its_own_but_not_htmx(
        client, world, login_as):
    login_as("staff")
    form = client.get(f"/participants/{world.participant.id}/checklists/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert page_scripts(html) == SHELL + ["/static/js/checklist.js"]
    assert "/static/vendor/htmx" not in html and "hx-boost=\"true\"" not in html


def test_a_saved_checklist_loads_its_script_after_the_shell(client, db, world, login_as):
    login_as("staff")
    sent = client.post(new_url(world), data=filled(db, world, idempotency_key="scripts-1"))
    assert sent.status_code == 303
    scripts = page_scripts(client.get(sent.headers["Location"]).get_data(as_text=True))
    assert scripts[0].startswith("/static/vendor/htmx-")
    assert scripts[1:] == SHELL + ["/static/js/checklist.js"]


def test_the_loaded_scripts_exist_and_are_in_the_offline_shell(client, world, login_as):
    login_as("staff")
    html = client.get(f"/participants/{world.participant.id}/checklists/new").get_data(
        as_text=True)
    worker = client.get("/sw.js").get_data(as_text=True)
    scripts = page_scripts(client.get("/today").get_data(as_text=True))
    for src in {"/static/js/loader.js", *page_scripts(html), *scripts}:
        assert client.get(src).status_code == 200
        assert f'"{src}"' in worker  # precached: the pages work offline
