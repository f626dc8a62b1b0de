"""Registering the sessions, seen through nox itself (``nox --json -l``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.sessions.conftest import user_environ, write_files

NOX = [sys.executable, "-m", "nox"]


def _sessions(repo: Path) -> dict[str, dict[str, object]]:
    listed = subprocess.run(
        [*NOX, "--json", "-l"],
        cwd=repo,
        env=user_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    return {entry["session"]: entry for entry in json.loads(listed.stdout)}


def _repo(root: Path, noxfile: str) -> Path:
    write_files(
        root,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["users"]\n',
            "users/pyproject.toml": '[project]\nname = "users"\nversion = "1"\n',
            "noxfile.py": noxfile,
        },
    )
    return root


def test_importing_sessions_registers_every_session_per_package(tmp_path: Path) -> None:
    sessions = _sessions(_repo(tmp_path, "import toolkit.sessions\n"))

    assert set(sessions) == {
        "unit(users)",
        "integration(users)",
        "coverage(users)",
        "isolation(users)",
        "summary",
    }
    assert "hermetic" in str(sessions["unit(users)"]["description"])


def test_register_can_rename_and_skip(tmp_path: Path) -> None:
    noxfile = (
        "from toolkit.registration import register\n"
        'register(".", names={"unit": "fast"}, skip={"isolation"})\n'
    )

    sessions = _sessions(_repo(tmp_path, noxfile))

    assert set(sessions) == {"fast(users)", "integration(users)", "coverage(users)", "summary"}
    assert set(sessions["fast(users)"]["tags"]) == {"unit", "users"}
