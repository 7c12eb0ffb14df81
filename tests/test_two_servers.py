"""Two app servers behind one proxy (DESIGN §8b), as deployed: gunicorn, PostgreSQL, Redis.

Sessions made on one server work on the other, logout on one ends the session on both, and the
login limit counts a client's attempts on both servers, but not a colleague's behind the same
proxy. The test plays the proxy: it sets X-Forwarded-For/-Proto/-Host itself.
"""
from __future__ import annotations

import os
import re
import uuid

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from tests.conftest import IN_CI, POSTGRES_URL, TEST_CONFIG
from tests.factories import PASSWORD, make_org, make_participant, make_team, make_user
from tests.servers import gunicorn_servers
from webapp import create_app
from webapp.extensions import db

pytestmark = [pytest.mark.postgres, pytest.mark.db_independent]

REDIS_URL = os.environ.get("BOFAST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PUBLIC_HOST = "bofast.example.se"


@pytest.fixture
def redis_required() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(f"CI must run the two-server test: {reason}")
        pytest.skip(reason)


@pytest.fixture
def database():
    """A fresh PostgreSQL database at head, with one participant who can sign in."""
    name = f"bofast_two_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            org = make_org()
            team = make_team(org)
            user = make_user(org, "participant", "deltagare", totp=False)
            make_participant(org, team, "Kalle", "Svensson", user=user)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


class Browser:
    """One person's browser behind the proxy; the proxy adds their address and https.

    Cookies are kept by hand: they are `Secure`, and the test speaks http to the app servers
    as the proxy does."""

    def __init__(self, address: str):
        self.headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https",
                        "X-Forwarded-Host": PUBLIC_HOST}
        self.cookies: dict[str, str] = {}

    def request(self, method: str, base: str, path: str, **kwargs) -> requests.Response:
        headers = {**self.headers, "Referer": f"https://{PUBLIC_HOST}{path}"}
        response = requests.request(method, base + path, headers=headers, cookies=self.cookies,
                                    allow_redirects=False, timeout=10, **kwargs)
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value
        return response

    def csrf_token(self, base: str, path: str) -> str:
        page = self.request("GET", base, path)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)

    def login(self, base: str, username: str, password: str) -> requests.Response:
        token = self.csrf_token(base, "/login")
        return self.request("POST", base, "/login", data={
            "csrf_token": token, "username": username, "password": password})


def test_two_servers_share_sessions_and_limits(redis_required, database, tmp_path):
    env = {
        "DATABASE_URL": database,
        "SECRET_KEY": uuid.uuid4().hex,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"bofast-test-{uuid.uuid4().hex[:8]}",  # nothing left to flush
        "BOFAST_TRUSTED_PROXIES": "1",
        "BOFAST_BASE_URL": f"https://{PUBLIC_HOST}",
    }
    with gunicorn_servers(env, tmp_path, count=2) as (one, two):
        kalle = Browser("198.51.100.10")
        signed_in = kalle.login(one, "deltagare", PASSWORD)
        assert signed_in.status_code == 302, signed_in.text[:500]
        assert "Strict-Transport-Security" in signed_in.headers  # https seen through the proxy
        assert kalle.request("GET", two, "/me/plan").status_code == 200
        assert kalle.request("GET", one, "/me/plan").status_code == 200

        # Logout on the second server ends the session everywhere, even for a kept cookie.
        kept = dict(kalle.cookies)
        token = kalle.csrf_token(two, "/me/plan")
        assert kalle.request("POST", two, "/logout", data={"csrf_token": token}).status_code \
            == 302
        replay = Browser("198.51.100.10")
        replay.cookies = kept
        after = replay.request("GET", one, "/me/plan")
        assert after.status_code == 302 and "/login" in after.headers["Location"]

        # One client's bad logins, spread over both servers, share one limit (20 per minute).
        mallory = Browser("203.0.113.20")
        token = mallory.csrf_token(one, "/login")
        statuses = [
            mallory.request("POST", (one, two)[i % 2], "/login", data={
                "csrf_token": token, "username": "nobody", "password": "wrong"}).status_code
            for i in range(21)
        ]
        assert statuses[:20] == [422] * 20 and statuses[20] == 429, statuses

        # A colleague behind the same proxy still signs in.
        colleague = Browser("203.0.113.21")
        assert colleague.login(two, "deltagare", PASSWORD).status_code == 302
