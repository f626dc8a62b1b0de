"""A repository that is one package, its tests in ``tests/``: adopted by its own
pyproject, root and package settings in one ``[tool.toolkit]`` table."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.sessions.conftest import NOXFILE, run_nox, write_files

pytestmark = pytest.mark.slow

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "solo"
version = "0.1"

[dependency-groups]
test = ["pytest"]

[tool.toolkit]
fail_under = 90
unit = "tests"
integration = false
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_files(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "noxfile.py": NOXFILE,
            "src/solo/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_solo.py": "from solo import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
        },
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_the_readme_commands_run_a_one_package_repository(
    nox_without_toolkit: Path, repo: Path
) -> None:
    first = run_nox(nox_without_toolkit, repo, "-s", "unit")
    again = run_nox(nox_without_toolkit, repo, "-s", "unit")
    isolation = run_nox(nox_without_toolkit, repo, "-s", "isolation")

    assert first.returncode == 0, first.stderr[-3000:]
    assert "solo     1 passed, 0 failed  -            100.0%    90%" in first.stdout
    assert "unit(solo): cached (key " in again.stderr
    assert isolation.returncode == 0, isolation.stderr[-3000:]
    assert "isolation(solo): no findings" in isolation.stderr
