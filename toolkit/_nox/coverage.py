"""Per-package coverage: combine the layers, report, and hold each package to its own bar.

coverage.py has one ``fail_under`` for a whole report (per-file or per-package
thresholds have been asked for since 2018, coveragepy #691). Each package is combined
and reported on its own, with its own threshold, so one package's gap never hides
behind another's surplus.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from toolkit._nox import environment, reports, state
from toolkit.config import LAYERS, Package, RepoConfig

if TYPE_CHECKING:
    import nox

__all__ = ["enforce"]


def enforce(
    session: nox.Session, config: RepoConfig, package: Package, python: str | None
) -> None:
    session.notify(state.session_names.get("summary", "summary"))
    folder = reports.package_dir(config, package)
    data = [reports.coverage_data(config, package, layer) for layer in LAYERS]
    data = [path for path in data if path.is_file()]
    if not data:
        session.error(
            f"{package.name}: no coverage data in {folder.relative_to(config.root)}: "
            f"run nox -s unit or nox -s integration first"
        )
    env = environment.prepare(session, config, package, python)
    session.chdir(package.path)
    combined = folder / ".coverage"
    coverage = [str(env.python), "-m", "coverage"]
    common = [f"--data-file={combined}", "--rcfile=pyproject.toml"]
    run = {"external": True, "silent": True}
    session.run(*coverage, "combine", "--keep", "--quiet", *common, *map(str, data), **run)
    # --fail-under=0: every reporting command would otherwise apply the package's
    # own fail_under and stop before all reports are written; the bar is held below.
    session.run(*coverage, "json", *common, "--fail-under=0", "-o", str(folder / "coverage.json"), **run)
    session.run(*coverage, "xml", *common, "--fail-under=0", "-o", str(folder / "coverage.xml"), **run)
    session.run(*coverage, "html", *common, "--fail-under=0", "-d", str(folder / "htmlcov"), **run)
    totals = json.loads((folder / "coverage.json").read_text())["totals"]
    percent = float(totals["percent_covered"])
    layers = [path.stem for path in data]
    summary = {
        "package": package.name,
        "percent": round(percent, 2),
        "fail_under": package.fail_under,
        "threshold_from": package.threshold_source,
        "layers": layers,
        "passed": percent >= package.fail_under,
    }
    (folder / "coverage-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    session.log(
        f"{package.name}: coverage {percent:.1f}% of layers {'+'.join(layers)}, "
        f"threshold {package.fail_under:g}% ({package.threshold_source})"
    )
    if percent < package.fail_under:
        session.error(
            f"{package.name}: coverage {percent:.1f}% is below its threshold "
            f"{package.fail_under:g}% ({package.threshold_source})"
        )
