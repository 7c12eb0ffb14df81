"""Behind a reverse proxy (DESIGN §8b): BOFAST_TRUSTED_PROXIES makes the app trust that many
proxies' X-Forwarded-For/-Proto/-Host, so rate limits are per client and HSTS is sent on https;
absolute URLs come from BOFAST_BASE_URL, never from the request."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.conftest import TEST_CONFIG, utcnow_ts
from tests.factories import PASSWORD
from webapp import create_app
from webapp.extensions import limiter
from webapp.models import AuditEvent

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bofast.example.se"}


def _client_app(app, **config):
    """A second app on the test database, configured as in production behind a proxy."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI":
                       app.config["SQLALCHEMY_DATABASE_URI"], **config})


@pytest.fixture
def proxied(app):
    behind = _client_app(app, BOFAST_TRUSTED_PROXIES=1)
    yield behind
    with behind.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def _login_ip(db, client, headers) -> str:
    response = client.post("/login", data={"username": "deltagare", "password": PASSWORD},
                           headers=headers)
    assert response.status_code == 302
    event = db.session.query(AuditEvent).filter_by(action="login").order_by(
        AuditEvent.id.desc()).first()
    return event.ip


def test_by_default_no_forwarded_header_is_trusted(app, client, world, db):
    assert not isinstance(app.wsgi_app, ProxyFix)
    response = client.get("/login", headers=HTTPS)
    assert "Strict-Transport-Security" not in response.headers
    assert _login_ip(db, client, {"X-Forwarded-For": "198.51.100.7", **HTTPS}) == "127.0.0.1"


def test_trusted_proxy_gives_the_client_address(proxied, world, db):
    client = proxied.test_client()
    assert _login_ip(db, client, {"X-Forwarded-For": "198.51.100.7", **HTTPS}) == "198.51.100.7"


def test_only_the_trusted_hops_count(proxied, world, db):
    """A client cannot pose as another by sending its own X-Forwarded-For: with one proxy, only
    the address that proxy appended is used."""
    client = proxied.test_client()
    headers = {"X-Forwarded-For": "203.0.113.66, 198.51.100.8", **HTTPS}
    assert _login_ip(db, client, headers) == "198.51.100.8"


def test_hsts_on_https_through_the_proxy(proxied, world):
    client = proxied.test_client()
    secure = client.get("/login", headers=HTTPS)
    assert secure.status_code == 200
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


def test_login_limit_is_per_client_behind_the_proxy(app, world):
    limited = _client_app(app, BOFAST_TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True)
    limiter.reset()
    try:
        client = limited.test_client()

        def bad_login(address):
            return client.post("/login", data={"username": "nobody", "password": "x"},
                               headers={"X-Forwarded-For": address, **HTTPS}).status_code

        statuses = [bad_login("198.51.100.1") for _ in range(21)]
        assert statuses[-1] == 429 and 429 not in statuses[:20], statuses
        # A colleague behind the same proxy (same REMOTE_ADDR) still gets in.
        assert bad_login("198.51.100.2") == 422
    finally:
        limiter.reset()
        limiter.enabled = False


def test_activation_qr_uses_the_base_url_not_the_host_header(proxied, world, db, monkeypatch):
    encoded = []
    monkeypatch.setattr("webapp.staff.routes.activation_qr_svg",
                        lambda url: encoded.append(url) or "<svg></svg>")
    proxied.config["BOFAST_BASE_URL"] = "https://bofast.example.se/"
    client = proxied.test_client()
    staff = world.users["staff"]
    db.session.refresh(staff)
    with client.session_transaction() as sess:
        sess["_user_id"] = staff.get_id()
        sess["_fresh"] = True
        sess["last_seen"] = utcnow_ts()  # as a real sign-in does (idle timeout)
    response = client.post(f"/participants/{world.participant.id}/activation-code",
                           headers={"X-Forwarded-Host": "evil.example.org",
                                    "X-Forwarded-Proto": "http"})
    assert response.status_code == 200
    assert len(encoded) == 1
    assert re.fullmatch(r"https://bofast\.example\.se/activate\?code=[A-Z2-9]{4}-[A-Z2-9]{4}",
                        encoded[0]), encoded


def test_no_absolute_url_is_built_from_the_request():
    root = Path(__file__).resolve().parent.parent / "webapp"
    offenders = [
        f"{path.relative_to(root)}: {needle}"
        for path in root.rglob("*.py")
        for needle in ("_external=True", "host_url", "url_root", "request.host")
        if needle in path.read_text()
    ]
    assert not offenders, "use webapp.urls.public_url (BOFAST_BASE_URL): " + ", ".join(offenders)


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_trusted_proxies_must_be_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("BOFAST_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="BOFAST_TRUSTED_PROXIES"):
        create_app(TEST_CONFIG)


def test_trusted_proxies_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BOFAST_TRUSTED_PROXIES", "2")
    configured = create_app({**TEST_CONFIG,
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert configured.config["BOFAST_TRUSTED_PROXIES"] == 2
    assert isinstance(configured.wsgi_app, ProxyFix)
    assert configured.wsgi_app.x_for == configured.wsgi_app.x_proto == 2
    assert configured.wsgi_app.x_host == 2
