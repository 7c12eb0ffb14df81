"""Configuration from the environment (DESIGN §10); secrets live in the instance folder."""
import os
import secrets
from pathlib import Path

DEFAULT_PUSH_ENDPOINTS = ",".join([
    "https://fcm.googleapis.com/",
    "https://updates.push.services.mozilla.com/",
    "https://web.push.apple.com/",
    "https://wns2-par02p.notify.windows.com/",
    "https://notify.windows.com/",
])


def _instance_secret(instance_path: str) -> str:
    """Read SECRET_KEY from the instance folder, generating it on first run."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(app) -> None:
    env = os.environ
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    default_db = "sqlite:///" + str(Path(app.instance_path) / "bofast.sqlite")
    app.config.update(
        SECRET_KEY=env.get("SECRET_KEY") or _instance_secret(app.instance_path),
        SQLALCHEMY_DATABASE_URI=_normalise_db_url(env.get("DATABASE_URL") or default_db),
        BOFAST_BASE_URL=env.get("BOFAST_BASE_URL", "http://127.0.0.1:5000"),
        BOFAST_PUSH_ENDPOINTS=env.get("BOFAST_PUSH_ENDPOINTS", DEFAULT_PUSH_ENDPOINTS),
        BOFAST_PUSH_CONTACT=env.get("BOFAST_PUSH_CONTACT", "bofast@example.org"),
        BOFAST_TIMEZONE=env.get("BOFAST_TIMEZONE", "Europe/Stockholm"),
        # Staff sessions end after this many idle minutes (DESIGN §7).
        BOFAST_IDLE_MINUTES=int(env.get("BOFAST_IDLE_MINUTES", "30")),
        # Proxies in front that set X-Forwarded-For/-Proto/-Host (0: trust no such header).
        BOFAST_TRUSTED_PROXIES=_whole_number(env, "BOFAST_TRUSTED_PROXIES", "0"),
        RATELIMIT_STORAGE_URI=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Keys in a shared Redis: several installations may use one server.
        RATELIMIT_KEY_PREFIX=env.get("RATELIMIT_KEY_PREFIX", "bofast"),
        RATELIMIT_HEADERS_ENABLED=True,
        SESSION_COOKIE_NAME="bofast_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env.get("BOFAST_INSECURE_COOKIES") != "1",
        REMEMBER_COOKIE_NAME="bofast_remember",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=env.get("BOFAST_INSECURE_COOKIES") != "1",
        REMEMBER_COOKIE_DURATION=60 * 60 * 24 * 30,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="Europe/Stockholm",
        MAX_CONTENT_LENGTH=512 * 1024,
    )


def _whole_number(env, name: str, default: str) -> int:
    value = env.get(name, default).strip()
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return int(value)


def engine_options(uri: str) -> dict:
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}


def _normalise_db_url(url: str) -> str:
    """Accept the usual postgres:// forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
