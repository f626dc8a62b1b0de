"""Which data and configuration a package's coverage reports were written from.

The reports are written in the package's environment (by a layer's pytest run, or by
``python -m toolkit.testing.combine``) and read by the ``coverage`` session in nox's
process; both sides agree through a digest recorded beside the reports, so the
session can tell that the reports on disk show exactly the data on disk and need not
start an interpreter to write them again. Standard library only (nox's process).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CONFIG_FILES", "INPUTS_FILE", "digest", "record", "reports_current"]

#: The files coverage.py looks for its configuration in, in its order.
CONFIG_FILES = (".coveragerc", ".coveragerc.toml", "setup.cfg", "tox.ini", "pyproject.toml")

#: Written beside the reports: the digest of the data and configuration they show.
INPUTS_FILE = "coverage-inputs.json"
_REPORT_FILES = ("coverage.json", "coverage.xml", "htmlcov/index.html")


def digest(data_files: Sequence[Path], folder: Path) -> str:
    """Every data file (name and bytes) and the coverage configuration coverage.py may
    read in ``folder`` (every file it looks in, and ``COVERAGE_RCFILE``); a missing data
    file counts as such, so the digest then matches no reports."""
    hashed = hashlib.sha256(os.environ.get("COVERAGE_RCFILE", "").encode() + b"\0")
    for path in (*(folder / name for name in CONFIG_FILES), *data_files):
        hashed.update(path.name.encode() + b"\0")
        try:
            hashed.update(path.read_bytes())
        except OSError:
            hashed.update(b"\0missing")
    return hashed.hexdigest()


def record(out_dir: Path, data_files: Sequence[Path], folder: Path) -> None:
    """Say that the reports in ``out_dir`` were just written from these inputs (the
    package in ``folder``)."""
    document = {"digest": digest(data_files, folder)}
    (out_dir / INPUTS_FILE).write_text(json.dumps(document) + "\n")


def reports_current(out_dir: Path, data_files: Sequence[Path], folder: Path) -> bool:
    """True when ``out_dir`` holds every report, written from exactly these inputs."""
    try:
        recorded = json.loads((out_dir / INPUTS_FILE).read_text())["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not all((out_dir / name).is_file() for name in _REPORT_FILES):
        return False
    return bool(recorded) and recorded == digest(data_files, folder)
