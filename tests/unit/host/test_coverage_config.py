"""A package's coverage settings are read from the file coverage.py would read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _write
from toolkit.host import coverage_config


@pytest.fixture(autouse=True)
def _no_rcfile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVERAGE_RCFILE", raising=False)


def _coverage_reads(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What coverage.py itself reads in ``folder`` (the reference this module follows)."""
    import coverage

    monkeypatch.chdir(folder)
    get = coverage.Coverage().get_option
    return {
        key: get(f"{section}:{key}")
        for section, key in (
            ("run", "source"),
            ("run", "branch"),
            ("report", "fail_under"),
            ("report", "precision"),
        )
    }


CASES = {
    "coveragerc": {
        ".coveragerc": "[run]\nsource = app\nbranch = True\n[report]\nprecision = 2\n",
        "setup.cfg": "[coverage:report]\nfail_under = 10\n",
    },
    "setup-cfg": {
        "setup.cfg": "[tool:pytest]\naddopts = -q\n[coverage:run]\nsource =\n  app\n  lib\n"
        "branch = true\n[coverage:report]\nfail_under = 75.5\n",
        "pyproject.toml": "[tool.coverage.report]\nfail_under = 99\n",
    },
    "setup-cfg-without-coverage": {
        "setup.cfg": "[tool:pytest]\naddopts = -q\n",
        "tox.ini": "[coverage:run]\nbranch = True\n[coverage:report]\nprecision = 1\n",
    },
    "pyproject": {
        "setup.cfg": "[flake8]\nmax-line-length = 99\n",
        "pyproject.toml": '[tool.coverage.run]\nsource = ["app"]\n'
        "[tool.coverage.report]\nfail_under = 90\nprecision = 1\n",
    },
    "none": {"setup.cfg": "[metadata]\nname = app\n"},
}


@pytest.mark.parametrize("files", list(CASES.values()), ids=list(CASES))
def test_the_settings_are_those_coverage_reads(
    tmp_path: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, files)

    settings = coverage_config.read(tmp_path)
    reference = _coverage_reads(tmp_path, monkeypatch)

    assert settings.chooses_source == bool(reference["source"])
    assert bool(settings.run.get("branch", False)) == reference["branch"]
    assert float(settings.fail_under or 0) == reference["fail_under"]
    assert settings.precision == reference["precision"]


def test_an_rcfile_named_by_the_variable_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path,
        {"ci.ini": "[report]\nfail_under = 42\n", ".coveragerc": "[report]\nfail_under = 1\n"},
    )
    monkeypatch.setenv("COVERAGE_RCFILE", "ci.ini")

    assert coverage_config.read(tmp_path).fail_under == "42"
