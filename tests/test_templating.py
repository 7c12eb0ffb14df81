"""Template helpers: URLs built once are the URLs url_for builds, per script root."""
from __future__ import annotations

from flask import url_for

from webapp.templating import cached_url_for


def test_cached_url_for_matches_url_for_per_script_root(app):
    for root in ("", "/bofast", "/annan"):
        for _ in range(2):  # built, then from the cache
            with app.test_request_context("/today", base_url=f"http://localhost{root}"):
                assert cached_url_for("static", filename="css/app.css") == url_for(
                    "static", filename="css/app.css") == f"{root}/static/css/app.css"
                assert cached_url_for("staff.appointments", participant_id=7, page=2) == (
                    f"{root}/participants/7/appointments?page=2")
                assert cached_url_for("staff.participant", participant_id=7,
                                      _anchor="x") == f"{root}/participants/7#x"


def test_templates_use_the_cached_url_for(app):
    assert app.jinja_env.globals["url_for"] is cached_url_for


def test_cached_url_for_unhashable_values_and_second_request_are_built_as_url_for(app):
    with app.test_request_context("/today"):
        # A list cannot be a cache key: built as url_for does, every time.
        assert cached_url_for("staff.today", tag=["a", "b"]) == url_for(
            "staff.today", tag=["a", "b"]) == "/today?tag=a&tag=b"
    with app.test_request_context("/today"):
        # Another request reads the cache the first one filled, keyed by the same values.
        assert cached_url_for("staff.appointments", page=2, participant_id=7) == (
            "/participants/7/appointments?page=2")


def test_load_scripts_names_the_loader_and_its_list_under_each_script_root(app):
    from webapp.templating import HTMX_SCRIPTS, SHELL_SCRIPTS, load_scripts

    for root in ("", "/bofast", ""):  # built, then from the cache, per root
        with app.test_request_context("/today", base_url=f"http://localhost{root}"):
            tag = str(load_scripts(HTMX_SCRIPTS + SHELL_SCRIPTS))
            assert tag.startswith(f'<script src="{root}/static/js/loader.js" defer ')
            listed = tag.split('data-scripts="')[1].split('"')[0].split(" ")
            assert listed == [f"{root}/static/{name}" for name in HTMX_SCRIPTS + SHELL_SCRIPTS]
