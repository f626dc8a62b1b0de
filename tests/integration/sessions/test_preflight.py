"""A run that cannot work stops before any session, with one line and exit 2: bad
settings (once "Session aborted" and exit 1, or silently ignored), a full ``reports/``
disk and a read-only checkout (once tracebacks from the tools writing there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.sessions.conftest import user_environ, write_files
from tests.mounts import full_disk, read_only  # noqa: F401

NOX = [sys.executable, "-m", "nox"]

REPO = {
    "pyproject.toml": '[tool.toolkit]\npackages = ["pkgs/*"]\n',
    "pkgs/a/pyproject.toml": '[project]\nname = "a"\nversion = "1"\n',
    "pkgs/a/tests/unit/test_a.py": "def test_a():\n    pass\n",
    "noxfile.py": "import toolkit.sessions\n",
}


def _nox(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NOX, "-s", "unit(a)"],
        cwd=repo,
        env=user_environ(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2 and one line on stderr; no session ran."""
    lines = result.stderr.strip().splitlines()
    assert (result.returncode, len(lines)) == (2, 1), result.stderr[-3000:]
    assert lines[0].startswith("toolkit: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Running session" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param({"TOOLKIT_SHARD": "3/2"}, "TOOLKIT_SHARD='3/2' is not a shard", id="shard"),
        pytest.param({"TOOLKIT_SEED": "abc"}, "TOOLKIT_SEED='abc' is not a seed", id="seed"),
        pytest.param(
            {"TOOLKIT_CACHE": "maybe"}, "TOOLKIT_CACHE='maybe' is neither on nor off", id="cache"
        ),
        pytest.param(
            {"TOOLKIT_RUNTIME_DIR": "run"}, "TOOLKIT_RUNTIME_DIR='run' is a relative", id="runtime"
        ),
        pytest.param(
            {"TOOLKIT_RESULT_CACHE_DIR": "/tmp"},
            "TOOLKIT_RESULT_CACHE_DIR=/tmp is writable by",
            id="result-cache",
        ),
    ],
)
def test_bad_setting_stops_the_run_in_one_line(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    write_files(tmp_path, REPO)

    _refused(_nox(tmp_path, **env), named)


def test_python_list_naming_no_version_stops_the_run_in_one_line(tmp_path: Path) -> None:
    write_files(tmp_path, {**REPO, "pyproject.toml": REPO["pyproject.toml"] + "python = []\n"})

    _refused(_nox(tmp_path), "python in [tool.toolkit] must be a string or a list of strings")


def test_full_reports_disk_stops_the_run_in_one_line(full_disk: Path) -> None:  # noqa: F811
    repo = full_disk.parent / "repo"
    write_files(repo, REPO)
    (repo / "reports").symlink_to(full_disk)

    _refused(_nox(repo), "the reports folder", "No space left on device", "df -h")


def test_read_only_checkout_stops_the_run_in_one_line(read_only: Path) -> None:  # noqa: F811
    write_files(read_only.parent / "checkout", REPO)

    _refused(_nox(read_only), "cannot be written: Read-only file system", "writable copy")
