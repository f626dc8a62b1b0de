"""Combine a package's layer data and write its reports, in one process.

Two callers: the pytest plugin, at the end of a layer's run (coverage is imported
there already, so this costs tens of milliseconds), and the ``coverage`` session
(``python -m toolkit.testing.combine OUT_DIR DATA...`` in the package's environment)
when no layer run wrote reports for the data it finds. One interpreter doing combine,
JSON, XML and HTML costs a fraction of four ``python -m coverage`` commands; none at
all costs less again, which matters because the session follows every layer run.
Each report records what it was written from (:mod:`toolkit.coverage_inputs`).
Prints the total as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit import coverage_inputs

__all__ = ["report"]


def report(out_dir: Path, data_files: Sequence[Path], package: Path | None = None) -> float:
    """Combine ``data_files`` into ``out_dir/.coverage``; write JSON, XML and HTML there.

    The configuration is the package's own, found as coverage.py finds it when started
    in the package's folder (``package``, default the current one): ``.coveragerc``,
    ``setup.cfg``, ``tox.ini`` or ``pyproject.toml``. ``fail_under`` is neutralised: the
    caller holds the package to its threshold after every report is written.
    """
    import coverage

    folder = Path.cwd() if package is None else package
    out_dir, combined = out_dir.absolute(), out_dir.absolute() / ".coverage"
    data = [path.absolute() for path in data_files]
    (out_dir / coverage_inputs.INPUTS_FILE).unlink(missing_ok=True)
    combined.unlink(missing_ok=True)
    started_in = Path.cwd()
    os.chdir(folder)  # coverage looks for its configuration where it runs
    try:
        cov = coverage.Coverage(data_file=str(combined), config_file=True)
        cov.set_option("report:fail_under", 0)
        cov.combine([str(path) for path in data], keep=True)
        cov.save()
        cov.load()
        try:
            percent = cov.json_report(outfile=str(out_dir / "coverage.json"))
        except coverage.exceptions.NoDataError:
            percent = _nothing_measured(out_dir)
        else:
            cov.xml_report(outfile=str(out_dir / "coverage.xml"))
            cov.html_report(directory=str(out_dir / "htmlcov"))
    finally:
        os.chdir(started_in)
    coverage_inputs.record(out_dir, data, folder)
    return percent


def _nothing_measured(out_dir: Path) -> float:
    """No line of the measured source ran (integration tests that talk to the database
    only, say): that is 0 %, held to the threshold like any figure, not a crash."""
    print(
        "toolkit: coverage measured no line of the package's source in these layers "
        "(do the tests import it? is [coverage:run] source right?): 0%",
        file=sys.stderr,
    )
    totals = {"percent_covered": 0.0, "percent_covered_display": "0"}
    (out_dir / "coverage.json").write_text(json.dumps({"totals": totals}) + "\n")
    (out_dir / "coverage.xml").unlink(missing_ok=True)
    shutil.rmtree(out_dir / "htmlcov", ignore_errors=True)
    return 0.0


def main(argv: list[str]) -> int:
    out_dir, *data = argv[1:]
    percent = report(Path(out_dir), [Path(path) for path in data], Path.cwd())
    print(json.dumps({"percent": percent}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
