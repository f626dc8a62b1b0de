"""Per-package coverage: combine the layers, report, and hold each package to its own bar.

coverage.py has one ``fail_under`` for a whole report (per-file or per-package
thresholds have been asked for since 2018, coveragepy #691). Each package is combined
and reported on its own, with its own threshold, so one package's gap never hides
behind another's surplus.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from toolkit.coverage_inputs import INPUTS_FILE, reports_current
from toolkit.host import environment, reports
from toolkit.host.config import Package
from toolkit.host.run import Run

if TYPE_CHECKING:
    from pathlib import Path

    import nox

__all__ = ["enforce"]


def enforce(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    config = run.config
    run.notify(session, "summary")
    folder = reports.package_dir(config, package)
    data = reports.coverage_parts(config, package, layers=this_run_layers(run, package))
    if not data and package.name in run.ran():
        # No earlier run's figures may pass for this one's, here or in CI artifacts.
        for stale in ("coverage-summary.json", "coverage.json", "coverage.xml", INPUTS_FILE):
            (folder / stale).unlink(missing_ok=True)
        shutil.rmtree(folder / "htmlcov", ignore_errors=True)
        session.skip(f"{package.name}: no coverage data: no layer ran its tests in this run")
    if not data:
        session.error(
            f"{package.name}: no coverage data in {folder.relative_to(config.root)}: "
            f"run nox -s unit or nox -s integration first"
        )
    if reports_current(folder, data, package.path):
        # A layer's pytest run, or an earlier coverage session, reported these very data.
        session.log(f"{package.name}: reports already written from the same data")
    else:
        _combine(session, run, package, python, data)
    totals = json.loads((folder / "coverage.json").read_text())["totals"]
    percent = float(totals["percent_covered"])
    display = str(totals.get("percent_covered_display", round(percent)))
    passed = not fails_under(percent, package.fail_under, precision_of(display))
    layers = [path.stem for path in data]
    summary = {
        "package": package.name,
        "percent": percent,
        "display": display,
        "fail_under": package.fail_under,
        "threshold_from": package.threshold_source,
        "layers": layers,
        "passed": passed,
    }
    (folder / "coverage-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    session.log(
        f"{package.name}: coverage {display}% of layers {'+'.join(layers)}, "
        f"threshold {package.fail_under:g}% ({package.threshold_source})"
    )
    if not passed:
        session.error(
            f"{package.name}: coverage {display}% is below its threshold "
            f"{package.fail_under:g}% ({package.threshold_source})"
        )


def this_run_layers(run: Run, package: Package) -> list[str] | None:
    """The layers whose data this run wrote or replayed (None: no layer of the package
    ran in this run, as when the coverage session runs alone on pooled data)."""
    ran = run.ran().get(package.name)
    if not ran:
        return None
    return [
        layer
        for layer in ran
        if (outcome := run.outcome(package.name, layer)) is not None and outcome.status != "absent"
    ]


def precision_of(display: str) -> int:
    """The digits after the point in coverage's own figure (its ``precision``)."""
    return len(display.partition(".")[2])


def fails_under(percent: float, fail_under: float, precision: int) -> bool:
    """coverage.py's own rule: the total rounded to its precision is compared, and
    100 is met only by 100 exactly."""
    if fail_under == 100.0 and percent != 100.0:
        return True
    return round(percent, precision) < fail_under


def _combine(
    session: nox.Session, run: Run, package: Package, python: str | None, data: list[Path]
) -> None:
    config = run.config
    env = environment.prepare(session, config, package, python)
    session.chdir(package.path)
    # One process for combine and every report (toolkit.testing.combine): four coverage
    # commands cost about half a second more on each run.
    session.run(
        str(env.python),
        "-m",
        "toolkit.testing.combine",
        str(reports.package_dir(config, package)),
        *map(str, data),
        external=True,
        silent=True,
    )
