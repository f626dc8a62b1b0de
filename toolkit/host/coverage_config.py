"""A package's coverage settings, found where coverage.py finds them.

coverage.py reads one configuration file, the first of ``$COVERAGE_RCFILE`` (else
``.coveragerc``), ``.coveragerc.toml``, ``setup.cfg``, ``tox.ini`` and
``pyproject.toml`` in the folder it runs in that holds a coverage setting (sections
``[coverage:run]``; ``[run]`` too in its own files; ``[tool.coverage.run]`` in TOML).
The sessions run it in the package's folder and pass nothing that overrides that file;
nox's process reads the same file here (standard library only) for the few settings
it acts on: whether ``source`` is set, the threshold and rounding, and what decides
the measurement core. coverage itself does the measuring and reporting.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit._toml import tomllib
from toolkit.errors import ToolkitError

__all__ = ["CANDIDATES", "CoverageSettings", "read"]

#: The files coverage.py tries, in its order, each with whether it is coverage's own
#: (whose sections may drop the ``coverage:`` prefix).
CANDIDATES = (
    (".coveragerc", True),
    (".coveragerc.toml", True),
    ("setup.cfg", False),
    ("tox.ini", False),
    ("pyproject.toml", False),
)
#: Settings that choose what is measured: with any of them, the package's own choice.
_SOURCE_KEYS = ("source", "source_pkgs", "include")


@dataclass(frozen=True)
class CoverageSettings:
    """What the package's coverage configuration says, as far as the sessions act on it."""

    #: The file coverage reads, relative to the package (None: coverage's defaults).
    file: str | None = None
    #: Whether it chooses what is measured (``source``, ``source_pkgs`` or ``include``).
    chooses_source: bool = False
    #: ``[run]`` settings that decide the measurement core: branch, concurrency, ...
    run: dict[str, Any] = field(default_factory=dict)
    #: ``fail_under`` as written (the configuration checks it is a threshold).
    fail_under: object = None
    #: Digits after the point in every figure it reports (coverage's ``precision``).
    precision: int = 0


def read(folder: Path) -> CoverageSettings:
    """The settings coverage.py would read when started in ``folder``."""
    rcfile = os.environ.get("COVERAGE_RCFILE")
    candidates = [(rcfile, True), *CANDIDATES[1:]] if rcfile else list(CANDIDATES)
    for name, ours in candidates:
        path = folder / name
        if not path.is_file():
            continue
        sections = _toml_sections(path, ours) if path.suffix == ".toml" else _ini(path, ours)
        if any(sections.values()):
            return _settings(name, sections)
    return CoverageSettings()


def _ini(path: Path, ours: bool) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8-sig")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ToolkitError(
            f"{path} cannot be read as coverage.py reads it: {error}", "fix its syntax"
        ) from None
    sections: dict[str, dict[str, str]] = {}
    for section in ("run", "report", "paths"):
        for prefix in ("coverage:", "") if ours else ("coverage:",):
            if parser.has_section(prefix + section):
                sections[section] = dict(parser.items(prefix + section))
                break
    return sections


def _toml_sections(path: Path, ours: bool) -> dict[str, dict[str, Any]]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{path} is not valid TOML: {error}", "fix the syntax") from None
    tool = data.get("tool")
    tables = [tool.get("coverage") if isinstance(tool, dict) else None]
    if ours:
        tables.append(data)
    sections: dict[str, dict[str, Any]] = {}
    for section in ("run", "report", "paths"):
        for table in tables:
            if isinstance(table, dict) and isinstance(table.get(section), dict):
                sections[section] = table[section]
                break
    return sections


def _settings(name: str, sections: dict[str, dict[str, Any]]) -> CoverageSettings:
    run = {key: _value(value) for key, value in sections.get("run", {}).items()}
    report = sections.get("report", {})
    return CoverageSettings(
        file=name,
        chooses_source=any(run.get(key) for key in _SOURCE_KEYS),
        run=run,
        fail_under=report.get("fail_under"),
        precision=int(_number(report, "precision", name, int) or 0),
    )


def _value(value: Any) -> Any:
    """An ini value as TOML would give it: booleans and comma/newline lists."""
    if not isinstance(value, str):
        return value
    if value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if value.strip().lower() in ("false", "0", "no", "off"):
        return False
    items = [item.strip() for line in value.splitlines() for item in line.split(",")]
    items = [item for item in items if item]
    return items if len(items) > 1 or "\n" in value.strip() else value.strip()


def _number(report: dict[str, Any], key: str, name: str, kind: type) -> Any:
    if key not in report:
        return None
    value = report[key]
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ToolkitError(
            f"{key} = {value!r} in the coverage settings of {name} is not a number",
            f"write a number, e.g. {key} = {90 if key == 'fail_under' else 1}",
        ) from None
