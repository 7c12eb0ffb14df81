"""RATELIMIT_STORAGE_URI=redis://… works out of the box (DESIGN §8b): the Redis client is a
dependency, so the app and every command start with it (no Redis server needed to start)."""
from __future__ import annotations

import pytest
from limits.storage import RedisStorage

from tests.conftest import TEST_CONFIG
from webapp import create_app
from webapp.extensions import limiter

pytestmark = pytest.mark.db_independent


def test_app_starts_with_redis_rate_limit_storage(tmp_path):
    try:
        create_app({**TEST_CONFIG, "RATELIMIT_ENABLED": True,
                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite'}"})
        assert isinstance(limiter.storage, RedisStorage)
    finally:
        limiter.enabled = False


def test_flask_commands_start_with_redis_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite'}")
    app = create_app({**TEST_CONFIG, "RATELIMIT_ENABLED": True})
    try:
        result = app.test_cli_runner().invoke(args=["reminders", "--help"])
        assert result.exit_code == 0, result.output
    finally:
        limiter.enabled = False
