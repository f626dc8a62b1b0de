"""What can change a layer's result, read from disk and from the environment.

pytest collects, imports and reads files whatever git thinks of them (an ignored test
file is collected like any other), so the files of a package are found by walking its
folder, not by asking git. A symlink counts by what it points to: its target's bytes
for a file, its target's files for a folder (wherever the target lives, outside the
repository too). Only tool folders (environments, caches, version control) and the
toolkit's own outputs are left out.

Above the package, up to the repository root, the files that configure pytest or
coverage count too (``conftest.py``, ``pytest.ini``, ``setup.cfg``, ``tox.ini``,
``.coveragerc``, and a ``pyproject.toml`` by its ``[tool.pytest]`` and
``[tool.coverage]`` tables).

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "ABOVE_PACKAGE",
    "TOOL_FOLDERS",
    "changed_during",
    "code_like",
    "above_package",
    "content_digest",
    "file_states",
    "variables",
]

#: Folders no result depends on: tools' caches and environments, version control.
TOOL_FOLDERS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".nox",
        ".tox",
        ".venv",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        ".mypy_cache",
        ".ruff_cache",
        "htmlcov",
        "node_modules",
    }
)
#: Files in the folders above a package (up to the root) that configure its run. A
#: ``pyproject.toml`` there counts by its pytest and coverage tables only: the rest
#: (dependencies, other packages' settings, a lock beside it) reaches a run through
#: the environment, which counts by what it holds, and the sessions' settings.
ABOVE_PACKAGE = (
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    ".coveragerc",
)
#: Variables that change pytest, its plugins, coverage or the interpreter, by prefix...
_VARIABLE_PREFIXES = ("PYTEST_", "PYTHON", "COVERAGE_", "COV_CORE_", "LC_", "HYPOTHESIS_")
#: ... and by name: locale and time zone change what code computes; ``CI`` is what
#: suites most often skip or tighten tests on.
_VARIABLE_NAMES = frozenset(
    {
        "TZ",
        "LANG",
        "LANGUAGE",
        "CI",
        "PY_IGNORE_IMPORTMISMATCH",
        "SOURCE_DATE_EPOCH",
        # plugins' own switches: pytest-django's settings, SQLAlchemy's warnings
        # (which filterwarnings = error turns into failures)
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_CONFIGURATION",
        "SQLALCHEMY_WARN_20",
        "SQLALCHEMY_SILENCE_UBER_WARNING",
    }
)
#: Set in nox's process, they say nothing of a run: pytest sets its own in every run,
#: and these interpreter switches change buffering, bytecode caching and the
#: interactive prompt only.
_NOT_A_CHANGE = frozenset(
    {
        "PYTEST_CURRENT_TEST",
        "PYTEST_VERSION",
        "PYTEST_XDIST_WORKER",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONSTARTUP",
        "PYTHONPYCACHEPREFIX",
    }
)
#: Files a run may change that decide what pytest imports, collects or how it is
#: configured: a run that changes one cannot be told from a user editing it.
_CODE_SUFFIXES = (".py", ".pyi", ".pth", ".toml", ".cfg", ".ini", ".coveragerc")
_CHUNK = 1 << 20


def _skipped_file(name: str) -> bool:
    # Compiled files live in __pycache__ (a tool folder): a .pyc beside the modules is
    # importable without its source, so it counts.
    return name == ".coverage" or name.startswith(".coverage.")


def _skipped_folder(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name in TOOL_FOLDERS or name.endswith(".egg-info"):
        return True
    # A virtual environment under any name: its pyvenv.cfg and its interpreter (a test
    # fixture folder holding a pyvenv.cfg of its own is data).
    return os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")) and any(
        os.path.lexists(os.path.join(entry.path, *interpreter))
        for interpreter in (("bin", "python"), ("Scripts", "python.exe"))
    )


def content_digest(path: str) -> str:
    """The digest of what ``path`` holds now, through symlinks (``missing`` when
    nothing does)."""
    try:
        # Non-blocking: a FIFO (or a link to one) must not hang the run; it is no file.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return f"not a file ({stat.filemode(info.st_mode)})"
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"unreadable ({error.strerror})"


def _walk(
    folder: str, name: str, skip: frozenset[str], seen: frozenset[tuple[int, int]]
) -> Iterable[tuple[str, str]]:
    """(name, path) of every file under ``folder``, symlinked folders followed (each
    folder once per branch, so a link to an ancestor ends), skipped folders left out."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        relative = f"{name}/{entry.name}" if name else entry.name
        try:
            is_folder = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_folder = False
        if is_folder:
            if entry.path in skip or _skipped_folder(entry):
                continue
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            identity = (info.st_dev, info.st_ino)
            if identity not in seen:
                yield from _walk(entry.path, relative, skip, seen | {identity})
        elif not _skipped_file(entry.name):
            yield relative, entry.path


def _named(root: Path, folder: Path) -> str:
    try:
        return folder.relative_to(root).as_posix()
    except ValueError:
        return folder.as_posix()


def _files(
    folders: Iterable[Path], root: Path, above: Iterable[Path], skip: Iterable[Path]
) -> dict[str, str]:
    """Every file that counts, by its path from ``root`` (as reached: a file under a
    symlinked folder is named through the link) -> the path to open."""
    skipped = frozenset(str(path) for path in skip)
    found: dict[str, str] = {}
    for folder in folders:
        try:
            info = os.stat(folder)
        except OSError:
            continue
        prefix = _named(root, folder)
        top = frozenset({(info.st_dev, info.st_ino)})
        for relative, path in _walk(str(folder), "", skipped, top):
            found[relative if prefix == "." else f"{prefix}/{relative}"] = path
    for above_file in above:
        found[_named(root, above_file)] = str(above_file)
    return found


def _pyproject_digest(path: str) -> str:
    """A ``pyproject.toml`` above the package, by what pytest and coverage read of it."""
    try:
        with open(path, "rb") as handle:
            tool = tomllib.load(handle).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return content_digest(path)  # unreadable: the bytes decide
    read = {name: tool.get(name) for name in ("pytest", "coverage")}
    return hashlib.sha256(json.dumps(read, sort_keys=True, default=str).encode()).hexdigest()


def file_states(
    folders: Iterable[Path], root: Path, above: Iterable[Path], skip: Iterable[Path]
) -> dict[str, str]:
    """Each file that counts (see :func:`_files`) with its content's digest."""
    above = tuple(above)
    configured = {str(path) for path in above if path.name == "pyproject.toml"}
    return {
        name: _pyproject_digest(path) if path in configured else content_digest(path)
        for name, path in _files(folders, root, above, skip).items()
    }


def above_package(package: Path, root: Path) -> list[Path]:
    """The configuration files in the folders above ``package``, up to ``root``."""
    found: list[Path] = []
    if package == root or not package.is_relative_to(root):
        return found
    folder = package.parent
    while True:
        found += [folder / name for name in ABOVE_PACKAGE if os.path.lexists(folder / name)]
        if folder == root:
            return found
        folder = folder.parent


def changed_during(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Names whose file appeared, went, or holds other bytes between two looks (by
    content: a rewrite within one tick of the clock keeps its modification time)."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def code_like(name: str) -> bool:
    """Whether a file decides what pytest imports, collects or how it runs."""
    base = name.rpartition("/")[2]
    return base.endswith(_CODE_SUFFIXES) or base.startswith("conftest")


def variables(environ: Mapping[str, str], patterns: Iterable[str] = ()) -> dict[str, str]:
    """The variables of ``environ`` that can change a run: pytest's, the
    interpreter's, coverage's, locale and time zone, ``CI``, and ``patterns``."""
    extra = tuple(patterns)
    return {
        name: value
        for name, value in sorted(environ.items())
        if name not in _NOT_A_CHANGE
        and (
            name.startswith(_VARIABLE_PREFIXES)
            or name in _VARIABLE_NAMES
            or any(fnmatch.fnmatchcase(name, pattern) for pattern in extra)
        )
    }
