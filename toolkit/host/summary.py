"""One table for all packages, on the terminal and as Markdown for CI job summaries.

Every package a layer session started for has a row, whatever became of the session:
a layer that could not run its tests (a crash at import, collection errors, a failed
install) shows ``error`` with the first line of its reason, never ``ok``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.host import reports
from toolkit.host.config import LAYERS, Package
from toolkit.host.reports import LayerResult, Outcome
from toolkit.host.run import Run

if TYPE_CHECKING:
    import nox

__all__ = ["Layer", "Row", "collect", "markdown", "text", "write"]

HEADERS = ("package", *LAYERS, "coverage", "threshold", "status")
_REASON_WIDTH = 200


@dataclass(frozen=True)
class Layer:
    """One layer of one package: its test counts (JUnit) and how its session ended."""

    result: LayerResult | None
    outcome: Outcome | None

    @property
    def error(self) -> str | None:
        """Why the layer could not run, cut to fit a table (the log has all of it)."""
        if self.outcome is not None and self.outcome.status == "error":
            reason = self.outcome.reason or "the session ended before its tests ran"
            return reason if len(reason) <= _REASON_WIDTH else reason[: _REASON_WIDTH - 1] + "…"
        return None

    @property
    def failed(self) -> bool:
        if self.result is not None and self.result.unsuccessful:
            return True
        return self.outcome is not None and self.outcome.status == "failed"

    def cell(self) -> str:
        """pytest's counts: ``19 passed, 1 failed, 14 errors``; errors (setup, teardown,
        collection) are said apart from failed tests, as pytest says them."""
        if self.error:
            return f"error: {self.error}"
        if self.result is None:
            return "-"
        counts = f"{self.result.passed} passed, {self.result.failed} failed"
        if self.result.errors:
            counts += f", {self.result.errors} error{'s' if self.result.errors > 1 else ''}"
        cached = " (cached)" if self.outcome is not None and self.outcome.status == "cached" else ""
        return counts + cached


@dataclass(frozen=True)
class Row:
    package: str
    layers: dict[str, Layer]
    coverage: float | None
    fail_under: float
    #: The coverage figure as coverage.py prints it (its ``precision``), and whether
    #: it meets the threshold by coverage's own rule; from the coverage session.
    coverage_display: str | None = None
    coverage_passed: bool | None = None

    @property
    def status(self) -> str:
        """``error`` if a layer could not run, ``FAILED`` if a test or coverage failed."""
        if any(layer.error for layer in self.layers.values()):
            return "error"
        if any(layer.failed for layer in self.layers.values()):
            return "FAILED"
        if self.coverage_passed is False or (
            self.coverage_passed is None
            and self.coverage is not None
            and self.coverage < self.fail_under
        ):
            return "FAILED"
        return "ok"

    @property
    def failed(self) -> bool:
        return self.status != "ok"

    def cells(self) -> tuple[str, ...]:
        shown = self.coverage_display or (None if self.coverage is None else f"{self.coverage:g}")
        coverage = "-" if shown is None else f"{shown}%"
        return (
            self.package,
            *(self.layers[name].cell() for name in LAYERS),
            coverage,
            f"{self.fail_under:g}%",
            self.status,
        )


def _layer(run: Run, package: Package, layer: str, this_run: bool) -> Layer:
    config = run.config
    if this_run:
        outcome = run.outcome(package.name, layer)
        if outcome is None:  # this run did not run the layer: no stale counts
            return Layer(None, None)
    else:
        outcome = reports.read_outcome(config, package, layer)
    return Layer(reports.layer_result(reports.junit_paths(config, package, layer)), outcome)


def collect(run: Run) -> list[Row]:
    """Rows for the packages this run tested, or for every package with reports."""
    config = run.config
    ran = run.ran()
    packages: list[Package] = [p for p in config.packages if p.name in ran] or [
        p for p in config.packages if (config.root / "reports" / p.name).is_dir()
    ]
    rows = []
    for package in packages:
        summary = reports.coverage_summary(config, package)
        rows.append(
            Row(
                package=package.name,
                layers={layer: _layer(run, package, layer, this_run=bool(ran)) for layer in LAYERS},
                coverage=summary["percent"] if summary else None,
                fail_under=package.fail_under,
                coverage_display=summary.get("display") if summary else None,
                coverage_passed=summary.get("passed") if summary else None,
            )
        )
    return rows


def text(rows: list[Row]) -> str:
    table = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_cell(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
        *("| " + " | ".join(map(_markdown_cell, row.cells())) + " |" for row in rows),
    ]
    return "## Test summary\n\n" + "\n".join(lines) + "\n"


def write(session: nox.Session, run: Run) -> None:
    rows = collect(run)
    if not rows:
        session.log("no reports yet: run nox -s unit or nox -s integration")
        return
    print("\n" + text(rows) + "\n", flush=True)
    document = markdown(rows)
    (reports.reports_dir(run.config) / "summary.md").write_text(document)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a") as handle:
            handle.write(document)
    failed = [f"{row.package} ({row.status})" for row in rows if row.failed]
    if failed:
        session.error(f"not ok: {', '.join(failed)}")
