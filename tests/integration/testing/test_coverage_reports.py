"""A layer's pytest run writes the package's coverage reports itself when asked.

The coverage session then finds reports matching the data on disk and starts no
interpreter. Inner runs are subprocesses so the plugin loads through its entry point.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit import coverage_inputs
from toolkit.variables import COVERAGE_PARTS, COVERAGE_REPORT

SOURCE = """
def grade(points):
    if points >= 50:
        return "pass"
    return "fail"
"""


@pytest.fixture
def package(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    pytester.makepyfile(grading=SOURCE)
    pytester.makefile(
        ".toml", pyproject='[project]\nname = "grading"\nversion = "0"\n[tool.coverage.run]\n'
    )
    monkeypatch.delenv(COVERAGE_REPORT, raising=False)
    monkeypatch.delenv(COVERAGE_PARTS, raising=False)
    return pytester


def _ask_for_reports(monkeypatch, reports: Path, parts: list[Path]) -> None:
    monkeypatch.setenv("COVERAGE_FILE", str(parts[-1]))
    monkeypatch.setenv(COVERAGE_REPORT, str(reports))
    monkeypatch.setenv(COVERAGE_PARTS, ":".join(map(str, parts)))


COVERAGE_ARGS = (
    "--cov=grading",
    "--cov-config=pyproject.toml",
    "--cov-report=",
    "-p",
    "no:randomly",
)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_layer_run_reports_every_layer_present(
    package: pytest.Pytester, monkeypatch, workers: list[str]
) -> None:
    reports = package.path / "reports"
    reports.mkdir()
    # An earlier integration run covered the passing branch; this unit run the other.
    package.makepyfile(test_pass="from grading import grade\ndef test_pass(): assert grade(70)")
    earlier = reports / "integration.coverage"
    _ask_for_reports(monkeypatch, reports, [earlier])
    monkeypatch.delenv(COVERAGE_REPORT)
    package.runpytest_subprocess(*COVERAGE_ARGS).assert_outcomes(passed=1)
    (package.path / "test_pass.py").unlink()
    package.makepyfile(test_fail="from grading import grade\ndef test_fail(): assert grade(1)")
    parts = [earlier, reports / "unit.coverage"]
    _ask_for_reports(monkeypatch, reports, parts)

    package.runpytest_subprocess(*COVERAGE_ARGS, *workers).assert_outcomes(passed=1)

    totals = json.loads((reports / "coverage.json").read_text())["totals"]
    assert totals["percent_covered"] == 100.0  # both layers' lines, combined
    assert (reports / "htmlcov" / "index.html").is_file()
    assert (reports / "coverage.xml").is_file()
    assert coverage_inputs.reports_current(reports, parts, package.path)


def test_a_run_that_wrote_no_data_leaves_the_reports_to_the_session(
    package: pytest.Pytester, monkeypatch
) -> None:
    reports = package.path / "reports"
    reports.mkdir()
    package.makepyfile(test_pass="from grading import grade\ndef test_pass(): assert grade(70)")
    _ask_for_reports(monkeypatch, reports, [reports / "unit.coverage"])

    package.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)  # no --cov

    assert not (reports / "coverage.json").exists()
    assert not (reports / coverage_inputs.INPUTS_FILE).exists()


def test_without_the_variable_pytest_writes_no_reports(
    package: pytest.Pytester, monkeypatch
) -> None:
    monkeypatch.setenv("COVERAGE_FILE", str(package.path / "unit.coverage"))
    package.makepyfile(test_pass="from grading import grade\ndef test_pass(): assert grade(70)")

    package.runpytest_subprocess(*COVERAGE_ARGS).assert_outcomes(passed=1)

    assert (package.path / "unit.coverage").is_file()
    assert not list(package.path.rglob("coverage.json"))


def test_layers_that_ran_no_line_of_the_source_report_zero_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Integration tests that only talk to the database: coverage has data but none
    of the package's source; the coverage session once died in NoDataError while the
    summary said ok."""
    import coverage

    from toolkit.testing.combine import report

    package = tmp_path / "alpha"
    (package / "alpha").mkdir(parents=True)
    (package / "alpha" / "__init__.py").write_text("VALUE = 1\n")
    (package / ".coveragerc").write_text("[run]\nsource = alpha\n")
    data = tmp_path / "integration.coverage"
    measured = coverage.Coverage(data_file=str(data), config_file=str(package / ".coveragerc"))
    measured.start()
    measured.stop()
    measured.save()
    out = tmp_path / "reports"
    out.mkdir()

    percent = report(out, [data], package)

    assert percent == 0.0
    assert json.loads((out / "coverage.json").read_text())["totals"]["percent_covered"] == 0.0
    assert "measured no line of the package's source" in capsys.readouterr().err
