"""Languages: Swedish by default, English by the footer switch, the account or Accept-Language;
the committed English catalog is complete and its compiled .mo matches the .po."""
from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from tests.conftest import repo_root

pytestmark = pytest.mark.db_independent

CATALOG = repo_root() / "webapp" / "translations" / "en" / "LC_MESSAGES"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _read_po():
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f)


def test_login_page_is_swedish_by_default(client):
    html = _text(client.get("/login"))
    assert '<html lang="sv">' in html
    assert "<h1>Logga in</h1>" in html
    assert "Användarnamn" in html and "Lösenord" in html
    assert "In English" in html  # the switch offers the other language


def test_language_switch_shows_english_and_back(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = _text(client.get("/login"))
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html
    assert "Username" in html and "Password" in html
    assert "Keep me signed in on this phone for 30 days" in html
    assert "Skip to content" in html
    assert "På svenska" in html and "Logga in" not in html

    client.post("/language", data={"lang": "sv", "next": "/login"})
    assert '<html lang="sv">' in _text(client.get("/login"))


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx", "next": "/login"})
    assert '<html lang="sv">' in _text(client.get("/login"))


def test_accept_language_english_gives_english_to_anonymous_users(client):
    html = _text(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    assert '<html lang="en">' in html and "<h1>Sign in</h1>" in html


def test_accept_language_swedish_first_stays_swedish(client):
    html = _text(client.get("/login", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}))
    assert '<html lang="sv">' in html and "<h1>Logga in</h1>" in html


def test_validation_messages_follow_the_language(client):
    client.post("/language", data={"lang": "en", "next": "/login"})
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    html = _text(response)
    assert "Enter your username." in html and "Enter your password." in html

    response = client.post("/login", data={"username": "nobody", "password": "whatever-123"})
    assert "Wrong username or password." in _text(response)


def test_validation_messages_are_swedish_by_default(client):
    html = _text(client.post("/login", data={"username": "", "password": ""}))
    assert "Skriv ditt användarnamn." in html


def test_error_page_follows_the_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    html = _text(response)
    assert "This page does not exist." in html and "To the start page" in html
    assert "Sidan finns inte." in _text(client.get("/no-such-page"))


def test_account_language_is_used_and_session_choice_wins(client, world, login_as, db):
    user = login_as("staff")
    user.language = "en"
    db.session.commit()
    html = _text(client.get("/today"))
    assert '<html lang="en">' in html
    assert ">Today</a>" in html and ">Participants</a>" in html and "Sign out" in html

    client.post("/language", data={"lang": "sv", "next": "/today"})
    html = _text(client.get("/today"))
    assert '<html lang="sv">' in html and ">Idag</a>" in html and "Logga ut" in html


def test_logout_message_is_in_the_chosen_language(client, world, login_as):
    login_as("staff")
    client.post("/language", data={"lang": "en", "next": "/today"})
    assert client.post("/logout").status_code == 302
    assert "You are signed out." in _text(client.get("/login"))


def test_login_required_message_is_translated(app):
    from flask import get_flashed_messages

    from webapp.extensions import login_manager

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_manager.unauthorized()
        assert get_flashed_messages() == ["Please sign in to continue."]


def test_gettext_outside_a_request_uses_swedish(app):
    """CLI commands (create-admin) call the same translated helpers without a request."""
    from webapp.auth.credentials import password_problem

    assert password_problem("kort") == "Lösenordet behöver minst 10 tecken."


def test_english_catalog_has_no_untranslated_or_fuzzy_entries():
    catalog = _read_po()
    problems = [
        message.id for message in catalog
        if message.id and (message.fuzzy or not message.string)
    ]
    assert not problems, f"translate these in {CATALOG / 'messages.po'}: {problems}"
    assert len(catalog) > 100


def test_english_catalog_placeholders_match():
    """`%(name)s` in a msgid must appear in the translation (babel's python-format checker)."""
    errors = [
        (message.id, [str(error) for error in message_errors])
        for message, message_errors in _read_po().check()
    ]
    assert not errors


def test_compiled_catalog_matches_the_po_file():
    """The committed .mo holds the .po's translations (parsed, not byte for byte: another Babel
    version writes other bytes for the same catalog)."""
    from babel.messages.mofile import read_mo

    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    def entries(catalog, keep):
        # Plural entries come back as lists from one reader and tuples from the other.
        as_key = lambda value: value if isinstance(value, str) else tuple(value)  # noqa: E731
        return {as_key(m.id): as_key(m.string) for m in catalog if m.id and keep(m)}

    want = entries(_read_po(), lambda m: m.string and not m.fuzzy)
    have = entries(compiled, lambda m: True)
    assert have == want, "run `make translations` and commit messages.mo"


def test_dates_follow_the_language(app):
    from datetime import date, datetime

    from webapp.timeutil import format_datetime, format_day

    day, moment = date(2026, 3, 3), datetime(2026, 3, 3, 9, 0)  # 10:00 in Stockholm
    # A fresh app context per request, as in production (flask-babel caches the locale on g).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_day(day) == "Tuesday 3 March"
        assert format_datetime(moment) == "Tuesday 3 March at 10:00"
    with app.app_context(), app.test_request_context("/"):
        assert format_day(day) == "tisdag 3 mars"
        assert format_datetime(moment) == "tisdag 3 mars kl 10:00"
    assert format_day(day) == "tisdag 3 mars"  # no request (CLI, jobs): Swedish


def test_dates_in_a_render_follow_its_language(app):
    """A render reads its language once (i18n.pinned_locale) for every date it formats."""
    from datetime import date

    from flask import render_template_string

    from webapp.i18n import pinned_locale, pinned_translations

    template = "{{ day | local_day }} / {{ day | local_day }}"
    for headers, want in (({"Accept-Language": "en"}, "Tuesday 3 March"), ({}, "tisdag 3 mars")):
        with app.app_context(), app.test_request_context("/", headers=headers):
            with pinned_translations():
                html = render_template_string(template, day=date(2026, 3, 3))
            assert html == f"{want} / {want}"
            assert pinned_locale() is None  # only during the render


def test_every_wrapped_string_has_an_english_translation(tmp_path):
    """A string wrapped in _() but missing from the catalog would show Swedish on English pages."""
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot, cfg = tmp_path / "messages.pot", tmp_path / "babel.cfg"
    # babel.cfg's patterns, relative to webapp/ so that .venv and the rest are not walked.
    cfg.write_text("[python: **.py]\n[jinja2: templates/**.html]\n")
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(cfg), "-k", "_l",
                                "-o", str(pot), str(root / "webapp")])
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    assert len(wanted) > 500  # the extraction really found the app's strings
    po_path = root / "webapp/translations/en/LC_MESSAGES/messages.po"
    with po_path.open("rb") as handle:
        have = {m.id for m in read_po(handle) if m.id and m.string}
    missing = sorted(str(m) for m in wanted - have)
    assert not missing, f"run `make translations` and translate: {missing[:10]}"


def test_a_render_pins_the_catalog_only_while_it_renders(app):
    """Templates look the catalog up once per page (webapp/i18n.py), and the pin never outlives
    the render: the next request in the same thread may be in another language."""
    from webapp.i18n import _pinned
    from webapp.rendering import render

    # A fresh app context per request, as in production (flask-babel caches the locale on it).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        body = render("error.html", status=404, message="x").get_data(as_text=True)
        assert "To the start page" in body
        assert _pinned.get() is None
    with app.app_context(), app.test_request_context("/"):
        body = render("error.html", status=404, message="x").get_data(as_text=True)
        assert "Till startsidan" in body


def test_wtforms_messages_follow_the_language_from_a_catalog_loaded_once(app, monkeypatch):
    """WTForms' own messages ("Not a valid choice.") in the request's language, their catalog
    read once per language and process, not once per request (webapp/i18n.py)."""
    from babel import support
    from flask_wtf.i18n import translations

    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        lambda *a, **kw: loads.append(a) or real_load(*a, **kw))
    monkeypatch.setattr("webapp.i18n._wtforms_catalogs", {})
    for _ in range(2):
        with app.app_context(), app.test_request_context("/"):
            assert translations.gettext("Not a valid choice.") == "Inte ett giltigt val"
        with app.app_context(), app.test_request_context(
                "/", headers={"Accept-Language": "en"}):
            assert translations.gettext("Not a valid choice.") == "Not a valid choice."
    assert len(loads) == 2  # Swedish once, English once
    assert translations.gettext("Not a valid choice.") == "Not a valid choice."  # no request


def test_lazy_texts_use_the_catalog_pinned_for_the_render(app):
    """Form labels and menu items (lazy texts) read the render's pinned catalog, not the
    request's lookup per text, and the lookup again once the render is over."""
    from babel.support import Translations
    from flask_babel import lazy_gettext

    from webapp.i18n import pinned_translations

    label = lazy_gettext("Idag")

    class Marked(Translations):
        def ugettext(self, message):
            return f"[{message}]"

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(label) == "Today"
        with pinned_translations():
            import webapp.i18n as i18n

            domain, _catalog = i18n._pinned.get()
            token = i18n._pinned.set((domain, Marked()))
            try:
                assert str(label) == "[Idag]"
            finally:
                i18n._pinned.reset(token)
            assert str(label) == "Today"
        assert str(label) == "Today"


def test_a_text_without_variables_is_translated_once_per_catalog(app):
    """`_("text")` in a template is kept per catalog once translated (webapp/i18n.py): each
    language still gets its own text, escaped as before, `%%` still written as `%`, and a
    text with variables is formatted per call."""
    from webapp.i18n import pinned_translations

    # As in a page (autoescaped: the catalog's text is markup, a variable is escaped) and not.
    source = ('{% autoescape true %}{{ _("Logga ut") }}|{{ _("Fas %(phase)s", phase=n) }}|'
              '{{ _("100%% <klart>") }}{% endautoescape %}|{% autoescape false %}'
              '{{ _("100%% <klart>") }}|{{ _("Fas %(phase)s", phase=n) }}{% endautoescape %}')
    template = app.jinja_env.from_string(source)
    for language, logout, phase in [("sv", "Logga ut", "Fas"), ("en", "Sign out", "Phase"),
                                    ("sv", "Logga ut", "Fas"), ("en", "Sign out", "Phase")]:
        for n in (1, "<2>"):
            with app.app_context(), app.test_request_context(
                    "/", headers={"Accept-Language": language}):
                with pinned_translations():
                    body = template.render(n=n)
                shown = "&lt;2&gt;" if n == "<2>" else n
                assert body == f"{logout}|{phase} {shown}|100% <klart>|100% <klart>|{phase} {n}"
