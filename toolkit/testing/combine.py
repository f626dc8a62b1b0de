"""Combine a package's layer data and write its reports, in one process.

Run inside the package's environment by the ``coverage`` session
(``python -m toolkit.testing.combine OUT_DIR DATA...``). One interpreter doing combine, JSON,
XML and HTML costs a fraction of four ``python -m coverage`` commands, which matters
because the session follows every layer run. Prints the total as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def report(out_dir: Path, data_files: list[Path], rcfile: str = "pyproject.toml") -> float:
    """Combine ``data_files`` into ``out_dir/.coverage``; write JSON, XML and HTML there.

    ``fail_under`` is neutralised: the caller holds the package to its threshold
    after every report is written.
    """
    import coverage

    combined = out_dir / ".coverage"
    combined.unlink(missing_ok=True)
    cov = coverage.Coverage(data_file=str(combined), config_file=rcfile)
    cov.set_option("report:fail_under", 0)
    cov.combine([str(path) for path in data_files], keep=True)
    cov.save()
    cov.load()
    percent = cov.json_report(outfile=str(out_dir / "coverage.json"))
    cov.xml_report(outfile=str(out_dir / "coverage.xml"))
    cov.html_report(directory=str(out_dir / "htmlcov"))
    return percent


def main(argv: list[str]) -> int:
    out_dir, *data = argv[1:]
    percent = report(Path(out_dir), [Path(path) for path in data])
    print(json.dumps({"percent": percent}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
