"""The summary table: a row per package started, honest about layers that broke."""

from __future__ import annotations

import pytest

from toolkit.host import reports, summary
from toolkit.host.reports import LayerResult, Outcome
from toolkit.host.run import Run
from toolkit.host.summary import Layer, Row

PASSED = Layer(LayerResult(4, 0, 0), Outcome("passed"))
ABSENT = Layer(None, Outcome("absent"))


def _row(unit: Layer, integration: Layer, coverage: float | None = 90.0) -> Row:
    return Row("api", {"unit": unit, "integration": integration}, coverage, 80.0)


def test_status_is_ok_only_when_every_layer_passed_and_coverage_met() -> None:
    assert _row(PASSED, ABSENT).status == "ok"
    assert _row(PASSED, PASSED, coverage=79.9).status == "FAILED"
    assert _row(PASSED, Layer(LayerResult(4, 1, 0), Outcome("failed"))).status == "FAILED"


def test_a_layer_that_could_not_run_is_an_error_with_its_reason_never_ok() -> None:
    crashed = Layer(None, Outcome("error", "ModuleNotFoundError: No module named 'x'"))

    row = _row(PASSED, crashed, coverage=None)

    assert row.status == "error"
    assert row.cells()[2] == "error: ModuleNotFoundError: No module named 'x'"
    assert row.cells()[1] == "4 passed, 0 failed"


def test_markdown_escapes_pipes_in_reasons() -> None:
    row = _row(PASSED, Layer(None, Outcome("error", "a | b")), coverage=None)

    assert "error: a \\| b" in summary.markdown([row])


def test_collect_has_a_row_for_every_package_started_in_the_run(run: Run) -> None:
    api = run.config.package("api")
    run.record("api", "unit")
    run.set_outcome(api, "unit", Outcome("passed"))
    reports.junit_path(run.config, api, "unit").write_text(
        '<testsuite tests="2" failures="0" errors="0" skipped="0"/>'
    )
    run.record("web", "unit")  # aborted before any outcome was written

    rows = {row.package: row for row in summary.collect(run)}

    assert set(rows) == {"api", "web"}
    assert rows["api"].cells()[1:3] == ("2 passed, 0 failed", "-")
    assert rows["web"].cells()[1] == "-"


def test_collect_without_a_run_reads_outcomes_from_disk(run: Run) -> None:
    api = run.config.package("api")
    reports.write_outcome(run.config, api, "integration", Outcome("error", "server down"))

    rows = summary.collect(Run(run.config))

    assert [row.cells()[2] for row in rows] == ["error: server down"]


def test_a_long_reason_is_cut_to_fit_the_table() -> None:
    row = _row(PASSED, Layer(None, Outcome("error", "x" * 500)), coverage=None)

    assert len(row.cells()[2]) == len("error: ") + 200
    assert row.cells()[2].endswith("…")


def test_a_replayed_layer_says_cached_and_counts_as_passed() -> None:
    cached = Layer(LayerResult(4, 0, 0), Outcome("cached", "key 0123456789ab"))

    row = _row(cached, PASSED)

    assert row.cells()[1] == "4 passed, 0 failed (cached)"
    assert row.cells()[2] == "4 passed, 0 failed"
    assert row.status == "ok"


def test_errors_are_counted_apart_from_failures_everywhere() -> None:
    """pytest said ``19 passed, 1 failed, 14 errors``: so does every copy of the table."""
    erred = Layer(LayerResult(34, 1, 0, errors=14), Outcome("failed", "tests failed"))

    row = _row(PASSED, erred)

    assert row.cells()[2] == "19 passed, 1 failed, 14 errors"
    assert row.status == "FAILED"
    assert "| 19 passed, 1 failed, 14 errors |" in summary.markdown([row])
    assert "19 passed, 1 failed, 14 errors" in summary.text([row])


def test_a_layer_with_only_errors_fails_its_row() -> None:
    erred = Layer(LayerResult(3, 0, 0, errors=1), None)

    row = _row(PASSED, erred)

    assert row.cells()[2] == "2 passed, 0 failed, 1 error"
    assert row.status == "FAILED"


class _Session:
    """What ``write`` uses of a nox session: its log and its error."""

    def log(self, message: str) -> None:
        raise AssertionError(f"nothing to log: {message}")

    def error(self, message: str) -> None:
        raise _SessionError(message)


class _SessionError(Exception):
    pass


def test_write_counts_errors_apart_on_the_terminal_in_summary_md_and_the_step_summary(
    run: Run, tmp_path, monkeypatch, capsys
) -> None:
    api = run.config.package("api")
    run.record("api", "unit")
    run.set_outcome(api, "unit", Outcome("failed", "tests failed"))
    reports.junit_path(run.config, api, "unit").write_text(
        '<testsuite tests="34" failures="1" errors="14" skipped="0"/>'
    )
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))

    with pytest.raises(_SessionError, match=r"^not ok: api \(FAILED\)$"):
        summary.write(_Session(), run)  # type: ignore[arg-type]

    said = "19 passed, 1 failed, 14 errors"
    assert said in capsys.readouterr().out
    assert f"| {said} |" in (reports.reports_dir(run.config) / "summary.md").read_text()
    assert f"| {said} |" in step_summary.read_text()
