"""The library's errors: one line naming the cause and what to pass or install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.isolation.suites import module, suite
from toolkit.isolation import IsolationError, analyse


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment with nothing installed: no pytest, no plugins, no toolkit."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def test_environment_without_the_plugins_names_what_to_install(
    tmp_path: Path, bare_python: Path
) -> None:
    root = suite(tmp_path / "suite", {"test_a": module(fillers=2)})

    with pytest.raises(IsolationError) as raised:
        analyse(root, bare_python, paths=["tests"], args=["-n", "2"], work_dir=tmp_path / "w")

    message = str(raised.value)
    assert message.startswith(f"the environment of {bare_python} lacks ")
    for distribution in (
        "monorepo-toolkit",
        "pytest",
        "pytest-randomly",
        "pytest-reportlog",
        "pytest-xdist",
    ):
        assert distribution in message.split("; ")[0]
    assert "install " in message and "\n" not in message
    assert not (tmp_path / "w" / "file-order.txt").exists()  # nothing ran


def test_relative_paths_to_the_suite_and_interpreter_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(tmp_path / "suite", {"test_a": module(fillers=2)})
    monkeypatch.chdir(tmp_path)

    report = analyse(
        "suite", os.path.relpath(sys.executable), paths=["tests"], orders=0, work_dir=Path("w")
    )

    assert report.findings == [] and report.notes == []
    assert report.pytest_runs == 5  # the deterministic orders: file, reverse, interleaved
    # and its reverse, each test alone
    assert all(len(run.tests()) == 2 for run in report.runs)
