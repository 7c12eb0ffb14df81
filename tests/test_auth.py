"""Sign-in: Argon2id, TOTP (enrolment, replay), lockout, activation codes, CSRF, sessions."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from tests.factories import PASSWORD, TOTP_SECRET, make_user
from webapp.auth import credentials
from webapp.models import ActivationCode, AuditEvent, User, utcnow


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def _code(secret=TOTP_SECRET):
    return pyotp.TOTP(secret).now()


def test_passwords_are_argon2id(world):
    assert world.users["staff"].password_hash.startswith("$argon2id$")


def test_staff_needs_totp_after_password(client, world):
    response = _login(client, "staff")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/totp")
    assert client.get("/today").status_code == 302  # not signed in yet
    response = client.post("/login/totp", data={"code": _code()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/today")
    assert client.get("/today").status_code == 200


def test_wrong_totp_is_refused_in_swedish(client, world):
    _login(client, "staff")
    response = client.post("/login/totp", data={"code": "000000"})
    assert response.status_code == 422
    assert "Koden stämmer inte" in response.get_data(as_text=True)


def test_totp_code_cannot_be_replayed(client, world, app):
    code = _code()
    _login(client, "staff")
    assert client.post("/login/totp", data={"code": code}).status_code == 302
    client.post("/logout")
    _login(client, "staff")
    assert client.post("/login/totp", data={"code": code}).status_code == 422


def test_totp_enrolment_shows_qr_and_confirms(client, world, db):
    user = make_user(world.org, "housing", "newhousing", totp=False)
    db.session.commit()
    response = _login(client, "newhousing")
    assert response.headers["Location"].endswith("/login/totp/enrol")
    page = client.get("/login/totp/enrol").get_data(as_text=True)
    assert "<svg" in page
    db.session.refresh(user)
    secret = user.totp_secret
    assert secret and secret in page
    response = client.post("/login/totp/enrol", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_confirmed_at is not None


def test_totp_pages_need_a_pending_password_login(client, world):
    assert client.get("/login/totp").status_code == 302
    assert client.post("/login/totp/enrol", data={"code": "123456"}).status_code == 302


def test_wrong_password_message(client, world):
    response = _login(client, "staff", "wrong password")
    assert response.status_code == 422
    assert "Fel användarnamn eller lösenord." in response.get_data(as_text=True)
    assert 'value="staff"' in response.get_data(as_text=True)  # what was typed is kept


def test_unknown_user_gets_same_message(client, world):
    response = _login(client, "nobody", "whatever")
    assert "Fel användarnamn eller lösenord." in response.get_data(as_text=True)


def test_account_locks_after_five_failures(client, world, db):
    for _ in range(5):
        _login(client, "staff", "wrong password")
    response = _login(client, "staff")  # even the right password is refused while locked
    assert response.status_code == 422
    assert "Kontot är låst" in response.get_data(as_text=True)
    # The lock is per username and client (issue 13.5); it ends when its time is up.
    from webapp.models import LoginThrottle
    db.session.execute(db.update(LoginThrottle).values(
        locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _login(client, "staff").status_code == 302


def test_deactivated_user_cannot_sign_in_and_loses_session(client, world, db, login_as):
    login_as("participant")
    assert client.get("/me/plan").status_code == 200
    user = db.session.get(User, world.users["participant"].id)
    user.active = False
    db.session.commit()
    assert client.get("/me/plan").status_code == 302
    assert _login(client, "deltagare").status_code == 422


def test_participant_signs_in_without_totp(client, world):
    response = _login(client, "deltagare")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/plan")


def test_login_is_audited(client, world, db):
    _login(client, "deltagare")
    assert db.session.query(AuditEvent).filter_by(action="login").count() == 1


def test_logout_clears_session_and_old_cookie_stops_working(client, world, app):
    _login(client, "deltagare")
    cookie = client.get_cookie("bofast_session").value
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/me/plan").status_code == 302
    replay = app.test_client()
    replay.set_cookie("bofast_session", cookie)
    assert replay.get("/me/plan").status_code == 302  # the stolen cookie is dead too


def test_session_is_fresh_after_login(client, world):
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    _login(client, "deltagare")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_staff_idle_timeout(client, world, login_as, app):
    login_as("staff")
    assert client.get("/today").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = utcnow().timestamp() - (app.config["BOFAST_IDLE_MINUTES"] * 60 + 5)
    response = client.get("/today")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/today").status_code == 302


def test_participant_has_no_idle_timeout(client, world, login_as, app):
    login_as("participant")
    with client.session_transaction() as sess:
        sess["last_seen"] = utcnow().timestamp() - 86400
    assert client.get("/me/plan").status_code == 200


def test_open_redirect_is_refused(client, world):
    client.get("/login?next=https://evil.example/")
    response = _login(client, "deltagare")
    assert response.headers["Location"].endswith("/me/plan")


# --- activation codes ---------------------------------------------------------------------

def _issue(world, db, user=None):
    code = credentials.issue_activation_code(user or world.users["participant"],
                                             world.users["staff"])
    db.session.commit()
    return code


def test_activation_code_sets_password_and_signs_in(client, world, db):
    code = _issue(world, db)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    page = client.get(f"/activate?code={code}").get_data(as_text=True)
    assert "Välj ett lösenord" in page
    response = client.post("/activate", data={
        "code": code, "password": "blå cykel på taket", "confirm": "blå cykel på taket"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/plan")
    assert client.get("/me/plan").status_code == 200
    client.post("/logout")
    assert _login(client, "deltagare", "blå cykel på taket").status_code == 302


def test_activation_code_works_once(client, world, db):
    code = _issue(world, db)
    data = {"code": code, "password": "blå cykel på taket", "confirm": "blå cykel på taket"}
    assert client.post("/activate", data=data).status_code == 302
    client.post("/logout")
    response = client.post("/activate", data=data)
    assert response.status_code == 422
    assert "redan använts" in response.get_data(as_text=True)


def test_activation_code_expires(client, world, db):
    code = _issue(world, db)
    stored = db.session.query(ActivationCode).one()
    stored.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post("/activate", data={"code": code})
    assert response.status_code == 422
    assert "gått ut" in response.get_data(as_text=True)


def test_new_code_invalidates_the_old_one(client, world, db):
    first = _issue(world, db)
    _issue(world, db)
    response = client.post("/activate", data={"code": first})
    assert "redan använts" in response.get_data(as_text=True)


def test_weak_password_is_explained_and_code_kept(client, world, db):
    code = _issue(world, db)
    response = client.post("/activate", data={"code": code, "password": "kort", "confirm": "kort"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "minst 10 tecken" in page
    assert code in page  # the code typed is kept


def test_wrong_code_message(client, world):
    response = client.post("/activate", data={"code": "AAAA-BBBB"})
    assert response.status_code == 422
    assert "Koden stämmer inte" in response.get_data(as_text=True)


# --- CSRF, rate limit, cookies ----------------------------------------------------------------

@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_post_without_csrf_token_is_rejected(csrf_app, world):
    client = csrf_app.test_client()
    response = _login(client, "deltagare")
    assert response.status_code == 400
    assert "Formuläret har gått ut" in response.get_data(as_text=True)


def test_htmx_request_with_csrf_header_is_accepted(csrf_app, world):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "deltagare", "password": PASSWORD},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_login_is_rate_limited(app, world):
    app.config["RATELIMIT_ENABLED"] = True
    from webapp.extensions import limiter

    limiter.init_app(app)
    client = app.test_client()
    statuses = [_login(client, f"nobody{i}", "x").status_code for i in range(25)]
    assert 429 in statuses
    limiter.reset()


def test_cookie_flags(client, world):
    response = _login(client, "deltagare")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_in_pages(client, world, login_as):
    for url in ("/login", "/activate"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
