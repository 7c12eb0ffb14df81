"""Dependencies are locked (DESIGN §8b): every requirement in pyproject.toml is pinned in
requirements.lock, so a fresh install gets what CI tested, not whatever was released today."""
from __future__ import annotations

import re
import tomllib

import pytest

from tests.conftest import repo_root

pytestmark = pytest.mark.db_independent


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (repo_root() / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_every_dependency_is_pinned_in_the_lock_file():
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    pins = _pins()
    missing = sorted({_name(r) for r in wanted} - set(pins))
    assert not missing, f"run `make lock` and commit requirements.lock: {missing} are not pinned"


def test_the_lock_file_names_no_machine_paths_or_indexes():
    text = (repo_root() / "requirements.lock").read_text()
    assert "--find-links" not in text and "--index-url" not in text and "file://" not in text


def test_make_install_uses_the_lock_file():
    makefile = (repo_root() / "Makefile").read_text()
    assert "-c requirements.lock" in makefile
