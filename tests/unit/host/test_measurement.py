"""Which coverage core a layer's pytest run is given, per interpreter and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.host.config import Package, load_config
from toolkit.host.measurement import coverage_environ

SYSMON = {"COVERAGE_CORE": "sysmon"}


def _with_coverage(tmp_path: Path, run_settings: str) -> Package:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            "api/pyproject.toml": _package("api", f"[tool.coverage.run]\n{run_settings}"),
        },
    )
    return load_config(tmp_path).package("api")


@pytest.fixture(autouse=True)
def _no_user_core(monkeypatch) -> None:
    monkeypatch.delenv("COVERAGE_CORE", raising=False)


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_line_coverage_on_312_and_313_uses_sys_monitoring(tmp_path: Path, minor: str) -> None:
    package = _with_coverage(tmp_path, 'source = ["api"]')

    assert coverage_environ(package, minor) == SYSMON


@pytest.mark.parametrize("minor", ["3.10", "3.11", "3.14"])
def test_other_interpreters_keep_coverages_own_choice(tmp_path: Path, minor: str) -> None:
    package = _with_coverage(tmp_path, 'source = ["api"]')

    assert coverage_environ(package, minor) == {}


@pytest.mark.parametrize(
    "settings",
    ["branch = true", 'dynamic_context = "test_function"', 'concurrency = ["gevent"]'],
)
def test_what_sys_monitoring_cannot_measure_before_314_keeps_the_c_tracer(
    tmp_path: Path, settings: str
) -> None:
    package = _with_coverage(tmp_path, settings)

    assert coverage_environ(package, "3.12") == {}


def test_threads_are_measured_by_sys_monitoring(tmp_path: Path) -> None:
    package = _with_coverage(tmp_path, 'concurrency = ["thread"]')

    assert coverage_environ(package, "3.13") == SYSMON


def test_a_core_the_user_chose_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COVERAGE_CORE", "ctrace")
    package = _with_coverage(tmp_path, "branch = false")

    assert coverage_environ(package, "3.12") == {}


def test_a_core_the_package_configured_is_not_overridden(tmp_path: Path) -> None:
    """coverage reads COVERAGE_CORE after the configuration file: it would win."""
    package = _with_coverage(tmp_path, 'core = "ctrace"')

    assert coverage_environ(package, "3.12") == {}
