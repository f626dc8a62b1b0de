"""One table for all packages, on the terminal and as Markdown for CI job summaries."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit._nox import reports, state
from toolkit.config import LAYERS, Package, RepoConfig

if TYPE_CHECKING:
    import nox

__all__ = ["Row", "collect", "markdown", "text", "write"]

HEADERS = ("package", *LAYERS, "coverage", "threshold", "status")


@dataclass(frozen=True)
class Row:
    package: str
    layers: dict[str, reports.LayerResult | None]
    coverage: float | None
    fail_under: float

    @property
    def failed(self) -> bool:
        if any(result is not None and result.failed for result in self.layers.values()):
            return True
        return self.coverage is not None and self.coverage < self.fail_under

    def cells(self) -> tuple[str, ...]:
        def layer(result: reports.LayerResult | None) -> str:
            if result is None:
                return "-"
            return f"{result.passed} passed, {result.failed} failed"

        coverage = "-" if self.coverage is None else f"{self.coverage:.1f}%"
        return (
            self.package,
            *(layer(self.layers[name]) for name in LAYERS),
            coverage,
            f"{self.fail_under:g}%",
            "FAILED" if self.failed else "ok",
        )


def collect(config: RepoConfig) -> list[Row]:
    """Rows for the packages this run tested, or for every package with reports."""
    ran = state.ran()
    packages: list[Package] = [p for p in config.packages if p.name in ran] or [
        p for p in config.packages if (config.root / "reports" / p.name).is_dir()
    ]
    rows = []
    for package in packages:
        results = {
            layer: reports.layer_result(reports.junit_paths(config, package, layer))
            for layer in LAYERS
        }
        summary = reports.coverage_summary(config, package)
        rows.append(
            Row(
                package=package.name,
                layers=results,
                coverage=summary["percent"] if summary else None,
                fail_under=package.fail_under,
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


def markdown(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
        *("| " + " | ".join(row.cells()) + " |" for row in rows),
    ]
    return "## Test summary\n\n" + "\n".join(lines) + "\n"


def write(session: nox.Session, config: RepoConfig) -> None:
    rows = collect(config)
    if not rows:
        session.log("no reports yet: run nox -s unit or nox -s integration")
        return
    print("\n" + text(rows) + "\n", flush=True)
    document = markdown(rows)
    (reports.reports_dir(config) / "summary.md").write_text(document)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a") as handle:
            handle.write(document)
    failed = [row.package for row in rows if row.failed]
    if failed:
        session.log(f"failed: {', '.join(failed)}")
