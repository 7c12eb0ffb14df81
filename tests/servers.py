"""Real app servers for deployment tests: gunicorn subprocesses of this venv on free ports."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import repo_root

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_servers(env: dict[str, str], logs: Path, count: int = 1) -> Iterator[list[str]]:
    """Start `count` servers of `webapp:create_app()` with `env` added; yield their base URLs.
    They are always stopped, also when the test fails."""
    processes: list[tuple[subprocess.Popen, object]] = []
    bases = []
    try:
        for i in range(count):
            port = free_port()
            log = open(logs / f"gunicorn-{i}.log", "wb")  # noqa: SIM115 - closed below
            processes.append((subprocess.Popen(
                [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                 "webapp:create_app()"],
                cwd=repo_root(), env={**os.environ, **env}, stdout=log,
                stderr=subprocess.STDOUT), log))
            bases.append(f"http://127.0.0.1:{port}")
        for (process, _log), base in zip(processes, bases, strict=True):
            wait_until_up(base, process, logs)
        yield bases
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def wait_until_up(base: str, process: subprocess.Popen, logs: Path, path: str = "/healthz",
                  **kwargs) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{output}")
        try:
            if requests.get(base + path, timeout=2, **kwargs).status_code == 200:
                return
        except requests.RequestException:  # bound, but still loading
            pass
        time.sleep(0.1)
    pytest.fail(f"{base} did not answer within 30 s")
