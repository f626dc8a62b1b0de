"""A package's coverage figure: its layers of this run, coverage's own rounding and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _write
from toolkit.host import coverage, reports
from toolkit.host.config import load_config
from toolkit.host.layers import measured_code
from toolkit.host.reports import LayerResult, Outcome
from toolkit.host.run import Run
from toolkit.host.summary import Layer, Row


@pytest.mark.parametrize(
    ("percent", "fail_under", "precision", "fails"),
    [
        (79.6, 80, 0, False),  # coverage prints 80 and passes it
        (79.6, 80, 1, True),  # 79.6 < 80
        (79.96, 80, 1, False),
        (99.99, 100, 2, True),  # 100 is met by 100 only, whatever the rounding
        (100.0, 100, 0, False),
    ],
)
def test_the_threshold_is_held_by_coverages_own_rule(
    percent: float, fail_under: float, precision: int, fails: bool
) -> None:
    assert coverage.fails_under(percent, fail_under, precision) is fails


def test_the_precision_is_read_from_coverages_own_figure() -> None:
    assert [coverage.precision_of(text) for text in ("92", "92.2", "99.75")] == [0, 1, 2]


def test_the_summary_shows_coverages_own_figure_and_verdict() -> None:
    passed = Layer(LayerResult(4, 0, 0), Outcome("passed"))
    row = Row(
        "api",
        {"unit": passed, "integration": passed},
        79.6,
        80.0,
        coverage_display="80",
        coverage_passed=True,
    )

    assert row.cells()[3] == "80%"
    assert row.status == "ok"


def test_only_layers_of_this_run_are_combined(run: Run) -> None:
    api = run.config.package("api")
    for layer in ("unit", "integration"):
        reports.coverage_data(run.config, api, layer).write_bytes(b"data")
    run.record("api", "integration")  # this run ran integration only
    run.set_outcome(api, "integration", Outcome("passed"))

    layers = coverage.this_run_layers(run, api)
    parts = reports.coverage_parts(run.config, api, layers=layers)

    assert [path.name for path in parts] == ["integration.coverage"]


def test_without_a_layer_in_this_run_every_layers_data_is_combined(run: Run) -> None:
    """``nox -s coverage`` alone reports the data on disk (CI pools shards' data so)."""
    api = run.config.package("api")
    for part in ("unit-1of2", "unit-2of2"):
        (reports.package_dir(run.config, api) / f"{part}.coverage").write_bytes(b"data")

    layers = coverage.this_run_layers(run, api)

    assert layers is None
    assert len(reports.coverage_parts(run.config, api, layers=layers)) == 2


def test_without_coverage_settings_the_packages_code_is_measured_not_its_tests(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["app", "lib"]\n',
            "app/requirements.txt": "",
            "app/setup.py": "",
            "app/noxfile.py": "",
            "app/conftest.py": "",
            "app/report.py": "",
            "app/helpers.py": "",
            "app/test_smoke.py": "",
            "app/shop/__init__.py": "",
            "app/migrations/env.py": "",
            "app/tests/__init__.py": "",
            "app/tests/test_report.py": "",
            "lib/requirements.txt": "",
            "lib/src/lib/__init__.py": "",
        },
    )
    config = load_config(tmp_path)

    assert measured_code(config.package("app")) == ["helpers", "report", "shop"]
    assert measured_code(config.package("lib")) == ["src"]
