"""What can change a layer's result, read from disk and from the environment.

pytest collects, imports and reads files whatever git thinks of them (an ignored test
file is collected like any other), so the files of a package are found by walking its
folder, not by asking git. A symlink counts by what it points to: its target's bytes
for a file, its target's files for a folder (wherever the target lives, outside the
repository too). Only tool folders (environments, caches, version control) and the
toolkit's own outputs are left out.

Above the package, what pytest reads there counts too: the first ini-file it would take
(by its pytest section) and the ``conftest.py`` files from that file's folder down
(:func:`above_package`).

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import configparser
import fnmatch
import hashlib
import json
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
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
#: The files pytest takes its configuration from, in the order it looks for them.
_INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
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


def _pytest_section(path: Path) -> dict[str, Any] | None:
    """The pytest settings an ini-file holds, or None when pytest would not take it
    for its configuration (a pyproject without ``[tool.pytest...]``, a tox.ini
    without ``[pytest]``, a setup.cfg without ``[tool:pytest]``)."""
    name = path.name
    if name in ("pytest.ini", ".pytest.ini"):
        return {"file": content_digest(str(path))}  # pytest takes it even empty
    try:
        if name == "pyproject.toml":
            with open(path, "rb") as handle:
                table = tomllib.load(handle).get("tool", {}).get("pytest")
            return {"pytest": table} if table is not None else None
        parser = configparser.RawConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, configparser.Error):
        return {"file": content_digest(str(path))}  # unreadable: the bytes decide
    section = "pytest" if name == "tox.ini" else "tool:pytest"
    return dict(parser.items(section)) if parser.has_section(section) else None


def file_states(
    folders: Iterable[Path], root: Path, above: Iterable[Path], skip: Iterable[Path]
) -> dict[str, str]:
    """Each file that counts (see :func:`_files`) with its content's digest."""
    above = tuple(above)
    ini_files = {str(path) for path in above if path.name != "conftest.py"}

    def digest(path: str) -> str:
        if path not in ini_files:
            return content_digest(path)
        read = _pytest_section(Path(path))
        return hashlib.sha256(json.dumps(read, sort_keys=True, default=str).encode()).hexdigest()

    return {name: digest(path) for name, path in _files(folders, root, above, skip).items()}


def _ini_file(folder: Path) -> Path | None:
    """The file in ``folder`` pytest would take for its configuration, if any, in
    pytest's own order."""
    for name in _INI_FILES:
        path = folder / name
        if path.is_file() and _pytest_section(path) is not None:
            return path
    return None


def above_package(package: Path, root: Path) -> list[Path]:
    """What pytest reads above ``package``, up to ``root``.

    pytest looks for its ini-file from the tests upward and stops at the first; it
    loads ``conftest.py`` files from that file's folder (its rootdir) down. A package
    with an ini-file of its own reads nothing above it; otherwise the first one above
    counts (by its pytest section), with the conftests between. With none up to the
    root, every conftest above counts. (coverage reads its settings from the folder
    it runs in, the package's, only.)
    """
    found: list[Path] = []
    if package == root or not package.is_relative_to(root) or _ini_file(package):
        return found
    folder = package.parent
    while True:
        if os.path.lexists(folder / "conftest.py"):
            found.append(folder / "conftest.py")
        ini = _ini_file(folder)
        if ini is not None:
            return [*found, ini]
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
