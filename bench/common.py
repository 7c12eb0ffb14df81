"""Shared helpers for the benchmarks (run by hand; see docs/bench.md). Not part of the test suite.

The benchmarks run against PostgreSQL (DATABASE_URL, default the local `bofast_bench` database)
filled by `bench/seed_bench.py`. Sessions are minted in-process with the same SECRET_KEY the
gunicorn workers use, so 50 users can be signed in without typing 50 TOTP codes.
"""
from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bofast_bench"
BENCH_SECRET = "bench-only-secret-key-not-for-production"
BENCH_PASSWORD = "bench password 2026"
BENCH_TOTP = "BENCHBENCHBENCHBENCHBENCHBENCH23"

# Budgets from DESIGN §9.
HTML_BUDGET = 14 * 1024
FIRST_LOAD_BUDGET = 60 * 1024
LATENCY_FACTOR = 3.0


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DB)


def bench_env(**extra) -> dict[str, str]:
    """Environment for the app under benchmark (in-process and gunicorn alike)."""
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url(), SECRET_KEY=BENCH_SECRET,
               BOFAST_INSECURE_COOKIES="1", BOFAST_IDLE_MINUTES="600",
               BOFAST_BASE_URL="http://127.0.0.1")
    env.update(extra)
    return env


def make_app(**config):
    """The app in-process, configured exactly like the gunicorn workers."""
    os.environ.update(bench_env())
    from webapp import create_app

    return create_app(config or None)


def python_bin(name: str) -> str:
    """A console script next to the running interpreter (the venv's gunicorn, flask)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(workers: int = 2, threads: int = 4, port: int | None = None):
    """gunicorn 'webapp:create_app()' on 127.0.0.1; returns (process, base_url)."""
    port = port or free_port()
    process = subprocess.Popen(
        [python_bin("gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"],
        cwd=ROOT, env=bench_env(),
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def stop(process) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def mint_session(app, user, page: str = "/") -> tuple[str, str]:
    """(session cookie value, CSRF token) for `user`, made in-process with the bench secret."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["last_seen"] = time.time()
    # Its own context: flask-login and Flask-WTF cache the user and token in `g`.
    response = contextvars.Context().run(client.get, page, follow_redirects=True)
    match = CSRF_IN_PAGE.search(response.get_data(as_text=True))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value, match.group(1) if match else ""


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def write_summary(path, rows: list[tuple[str, str, str, bool]]) -> None:
    """(figure, measured, budget, met) rows for bench/all.py's table, as JSON at `path`."""
    if not path:
        return
    import json

    rows = [dict(figure=f, value=v, budget=b, met=bool(m)) for f, v, b, m in rows]
    Path(path).write_text(json.dumps(rows, ensure_ascii=False))
