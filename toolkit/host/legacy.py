"""What a package packaged the older way says about itself: ``setup.py``, ``setup.cfg``
and ``requirements*.txt``.

Standard library only (nox's process). ``setup.py`` is a program, and running it to
learn a name would run a stranger's code at configuration time: its ``setup()`` call
is read as source instead, and only literal strings count. A name computed at run
time is not read; the package is then named after its folder, which the README says.
Requirements files are handed to the installer as ``-r`` arguments (pip and uv follow
``-r`` and ``-c`` themselves); they are read here only to list the files an
environment's stamp covers.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

__all__ = [
    "REQUIREMENT_FILES",
    "SETUP_FILES",
    "has_legacy_files",
    "metadata",
    "referenced_files",
    "requirement_files",
    "requirement_names",
    "setup_cfg_declares_package",
]

SETUP_FILES = ("setup.py", "setup.cfg")
#: Requirements files installed by default, by their usual names, in this order.
REQUIREMENT_FILES = (
    "requirements.txt",
    *(
        pattern.format(kind)
        for kind in ("dev", "test", "tests", "testing")
        for pattern in ("requirements-{}.txt", "requirements_{}.txt", "{}-requirements.txt")
    ),
    *(f"requirements/{kind}.txt" for kind in ("base", "dev", "test", "tests", "testing")),
)
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def has_legacy_files(folder: Path) -> bool:
    """Whether ``folder`` holds a setup file or a requirements file."""
    return any((folder / name).is_file() for name in SETUP_FILES) or any(
        folder.glob("requirements*.txt")
    )


def requirement_files(folder: Path) -> tuple[Path, ...]:
    """The requirements files of ``folder`` by their usual names, those that exist."""
    return tuple(folder / name for name in REQUIREMENT_FILES if (folder / name).is_file())


def referenced_files(files: tuple[Path, ...] | list[Path]) -> list[Path]:
    """``files`` and every file they include with ``-r`` or constrain with ``-c``
    (relative to the including file, as pip and uv read them), each once."""
    seen: list[Path] = []
    pending = list(files)
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.append(path)
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue  # the installer names a missing include itself
        for line in lines:
            match = _INCLUDE.match(line)
            if match and "://" not in match.group(1):
                pending.append(path.parent / match.group(1))
    return seen


def requirement_names(files: tuple[Path, ...]) -> tuple[str, ...]:
    """The project names the files list directly (options and includes skipped)."""
    names: list[str] = []
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            match = _NAME.match(line.split("#", 1)[0])
            if match:
                names.append(match.group(1))
    return tuple(names)


def metadata(folder: Path) -> dict[str, str]:
    """``name`` and ``python_requires`` as a literal in ``setup.py``'s ``setup()`` call
    or ``setup.cfg`` give them (the call's arguments win, as they do in setuptools)."""
    found = _setup_py(folder / "setup.py")
    for key, value in _setup_cfg(folder / "setup.cfg").items():
        found.setdefault(key, value)
    return found


def setup_cfg_declares_package(folder: Path) -> bool:
    """Whether ``folder``'s ``setup.cfg`` configures setuptools (``[metadata]`` or
    ``[options]``), not only tools (``[flake8]``, ``[tool:pytest]``, ``[coverage:run]``)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(folder / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return True  # let setuptools say what is wrong with it
    return parser.has_section("metadata") or parser.has_section("options")


def _setup_cfg(path: Path) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for section, key, name in (
        ("metadata", "name", "name"),
        ("options", "python_requires", "python_requires"),
    ):
        if parser.has_option(section, key):
            value = parser.get(section, key).strip()
            if value and not value.startswith(("attr:", "file:")):
                found[name] = value
    return found


def _setup_py(path: Path) -> dict[str, str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) == "setup":
            return {
                keyword.arg: keyword.value.value
                for keyword in node.keywords
                if keyword.arg in ("name", "python_requires")
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
                and keyword.value.value
            }
    return {}


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None
