"""The digest that tells the coverage session its reports show the data on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit import coverage_inputs


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Path], Path]:
    """A reports folder whose reports were written from two data files."""
    rcfile = tmp_path / "pyproject.toml"
    rcfile.write_text("[tool.coverage.run]\nbranch = true\n")
    data = [tmp_path / "unit.coverage", tmp_path / "integration.coverage"]
    for index, path in enumerate(data):
        path.write_bytes(b"data %d" % index)
    out = tmp_path / "reports"
    (out / "htmlcov").mkdir(parents=True)
    for name in ("coverage.json", "coverage.xml", "htmlcov/index.html"):
        (out / name).write_text("report")
    coverage_inputs.record(out, data, tmp_path)
    return out, data, tmp_path


def test_reports_are_current_for_the_data_they_were_written_from(written) -> None:
    out, data, package = written
    assert coverage_inputs.reports_current(out, data, package)


def test_new_data_of_a_layer_makes_the_reports_stale(written) -> None:
    out, data, package = written
    data[0].write_bytes(b"a later run")
    assert not coverage_inputs.reports_current(out, data, package)


def test_another_layer_appearing_makes_the_reports_stale(written, tmp_path: Path) -> None:
    out, data, package = written
    extra = tmp_path / "unit-1of2.coverage"
    extra.write_bytes(b"shard")
    assert not coverage_inputs.reports_current(out, [*data, extra], package)


def test_a_coverage_setting_changed_makes_the_reports_stale(written) -> None:
    out, data, package = written
    (package / "pyproject.toml").write_text("[tool.coverage.run]\nbranch = false\n")
    assert not coverage_inputs.reports_current(out, data, package)


@pytest.mark.parametrize("name", [".coveragerc", "setup.cfg", "tox.ini"])
def test_a_coverage_file_appearing_beside_the_pyproject_makes_the_reports_stale(
    written, name: str
) -> None:
    """coverage.py reads the first of these that holds its settings, before pyproject."""
    out, data, package = written
    (package / name).write_text("[coverage:run]\nbranch = false\n")
    assert not coverage_inputs.reports_current(out, data, package)


@pytest.mark.parametrize("removed", ["coverage-inputs.json", "coverage.xml", "htmlcov/index.html"])
def test_a_missing_report_or_record_is_never_current(written, removed: str) -> None:
    out, data, package = written
    (out / removed).unlink()
    assert not coverage_inputs.reports_current(out, data, package)


def test_a_corrupt_record_is_not_current(written) -> None:
    out, data, package = written
    (out / coverage_inputs.INPUTS_FILE).write_text("{not json")
    assert not coverage_inputs.reports_current(out, data, package)
