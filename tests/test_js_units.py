"""The page scripts' pure parts (outbox keys, retry waits, send lease) under node's test runner.

Runs `node --test` on tests/js/*.test.js. Without node the test skips with the reason; with
CI=true it fails instead (CI installs Debian's `nodejs`, see .ci/run).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

pytestmark = pytest.mark.db_independent

JS_TESTS = Path(__file__).resolve().parent / "js"


def test_js_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        reason = "node not found (apt-get install nodejs): tests/js/ not run"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.js"))
    assert files, "no tests in tests/js/"
    # Files, not the folder: node 18-20 take a folder, newer ones want files or globs.
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
