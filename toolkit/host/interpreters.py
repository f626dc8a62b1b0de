"""Which Python each package's environment runs on.

Monorepos carry services on older interpreters: a package's own ``[tool.toolkit]
python`` wins, else the newest installed interpreter its ``requires-python`` admits,
else the root ``[tool.toolkit] python``, else the one running nox. A root list of
several versions is a matrix: every package runs on each version it admits.

A repository with a ``uv.lock`` syncs every package from it, and uv refuses an
interpreter outside the lock's ``requires-python`` (in a workspace, the intersection
of every member's): there a package's Python must satisfy both, as ``uv run
--package`` picks it, so one member restricted to ``<3.12`` puts every member on 3.11.

Interpreters are found the way uv finds them (``uv python list --only-installed``),
plus every ``python3.N`` on ``PATH``, every version pyenv installed and the one running
nox; each must start. That takes seconds where pyenv's shims answer (each is a shell
script), on every run, so what was found is remembered in
``.nox/toolkit-interpreters.json`` under a key of everything that decides it:
``PATH`` and each of its folders' modification times, uv's and pyenv's install
folders and version files, their settings, and each interpreter file itself.
Installing or removing a Python changes one of these, and discovery runs again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from toolkit._toml import tomllib
from toolkit.errors import ToolkitError
from toolkit.host.config import Package, RepoConfig

__all__ = ["RECORD", "Interpreter", "choose", "installed", "versions_for"]

#: Where a repository remembers the interpreters found (under its root).
RECORD = Path(".nox") / "toolkit-interpreters.json"

_PYTHON_NAME = re.compile(r"^python3(\.\d+)?$")
# A virtual environment's Python answers for the installation it was made from
# (``sys._base_executable``): nox run from a venv, from its PEP 723 script environment
# or from the installation itself then builds (and keys results on) the same thing.
_PROBE = (
    "import sys, platform; print(platform.python_implementation(), *sys.version_info[:3]);"
    "print(getattr(sys, '_base_executable', '') or sys.executable)"
)


@dataclass(frozen=True, order=True)
class Interpreter:
    version: tuple[int, int, int]
    path: str

    @property
    def minor(self) -> str:
        """``3.11``: what environments are named after and versions are matched by."""
        return f"{self.version[0]}.{self.version[1]}"


def _probe(path: str) -> Interpreter | None:
    try:
        result = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.splitlines()
    parts = lines[0].split() if lines else []
    if result.returncode != 0 or len(parts) != 4 or parts[0] != "CPython":
        return None
    base = lines[1] if len(lines) > 1 else ""
    usable = base if base and os.access(base, os.X_OK) else path
    return Interpreter((int(parts[1]), int(parts[2]), int(parts[3])), usable)


def _uv_paths(uv: str | None) -> list[str]:
    if uv is None:
        return []
    result = subprocess.run(
        [uv, "python", "list", "--only-installed", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return [entry["path"] for entry in json.loads(result.stdout) if entry.get("path")]
    except (ValueError, TypeError, KeyError):
        return []


def _path_pythons() -> list[str]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        found += [os.path.join(folder, name) for name in names if _PYTHON_NAME.match(name)]
    return found


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _ours(path: Path) -> bool:
    """Owned by us or root and writable by no one else: safe to run from."""
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_uid in (0, os.getuid()) and not info.st_mode & 0o022


def _pyenv_pythons() -> list[str]:
    """Every version pyenv installed, not only the one its shims select here: a package
    asking for 3.13 must find it where the shell's default is 3.11."""
    versions = _pyenv_root() / "versions"
    found = []
    for folder in sorted(versions.glob("*/bin")) if _ours(versions) else []:
        try:
            names = sorted(name for name in os.listdir(folder) if _PYTHON_NAME.match(name))
        except OSError:
            continue
        found += [str(folder / name) for name in names if _ours(folder / name)]
    return found


def _discovery_key(uv: str | None) -> str:
    """Everything that decides what discovery finds, hashed."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    pyenv = _pyenv_root()
    # pyenv's shims answer with the version its files select, from here upwards.
    selected = [str(folder / ".python-version") for folder in [Path.cwd(), *Path.cwd().parents]]
    folders = [
        *os.environ.get("PATH", "").split(os.pathsep),
        os.environ.get("UV_PYTHON_INSTALL_DIR") or str(data / "uv" / "python"),
        str(pyenv / "versions"),
        str(pyenv / "version"),
        *selected,
    ]
    settings = sorted(
        f"{name}={value}" for name, value in os.environ.items() if name.startswith(("UV_", "PYENV"))
    )
    parts = [_PROBE, sys.executable, uv or "", *settings]
    for folder in folders:
        try:
            parts.append(f"{folder}\0{os.stat(folder).st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}\0-")
    return hashlib.sha256("\0\0".join(parts).encode()).hexdigest()


def _file_state(path: str) -> list[int] | None:
    """The interpreter file's identity: a reinstall or an upgrade in place changes it."""
    try:
        info = os.stat(os.path.realpath(path))
    except OSError:
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def _remembered(record: Path, key: str) -> tuple[Interpreter, ...] | None:
    try:
        document = json.loads(record.read_text())
        if document["key"] != key:
            return None
        found = []
        for entry in document["interpreters"]:
            path = str(entry["path"])
            if _file_state(path) != entry["state"] or not os.access(path, os.X_OK):
                return None
            major, minor, micro = (int(number) for number in entry["version"])
            found.append(Interpreter((major, minor, micro), path))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return tuple(found)


def _remember(record: Path, key: str, found: tuple[Interpreter, ...]) -> None:
    entries = [
        {"path": i.path, "version": list(i.version), "state": _file_state(i.path)} for i in found
    ]
    try:
        record.parent.mkdir(exist_ok=True)
        partial = record.with_name(f"{record.name}.{os.getpid()}")
        partial.write_text(json.dumps({"key": key, "interpreters": entries}) + "\n")
        partial.replace(record)
    except OSError:
        pass  # a read-only checkout: discovery simply runs again next time


@functools.cache
def installed(uv: str | None, record: Path | None = None) -> tuple[Interpreter, ...]:
    """Every working CPython on this machine that uv or ``PATH`` knows, newest first;
    remembered in ``record`` (see the module's docstring) when one is given."""
    key = _discovery_key(uv) if record is not None else ""
    if record is not None:
        remembered = _remembered(record, key)
        if remembered is not None:
            return remembered
    found = _discover(uv)
    if record is not None:
        _remember(record, key, found)
    return found


def _discover(uv: str | None) -> tuple[Interpreter, ...]:
    probed: set[str] = set()
    seen: dict[str, Interpreter] = {}
    for path in [sys.executable, *_uv_paths(uv), *_path_pythons(), *_pyenv_pythons()]:
        real = os.path.realpath(path)
        if real in probed or not shutil.which(path):
            continue
        probed.add(real)
        interpreter = _probe(path)
        # Several names (pyenv's shims, python3 and python3.N) answer for one install.
        if interpreter is not None:
            seen.setdefault(os.path.realpath(interpreter.path), interpreter)
    # Newest first; among equals, the one running nox.
    running = getattr(sys, "_base_executable", "") or sys.executable
    ranked = sorted(seen.values(), key=lambda i: (i.version, i.path == running), reverse=True)
    return tuple(ranked)


def _admits(requires: str | None, where: str) -> SpecifierSet | None:
    if not requires:
        return None
    try:
        return SpecifierSet(requires)
    except InvalidSpecifier:
        raise ToolkitError(
            f"requires-python = {requires!r} in {where} is not a version specifier",
            'use e.g. requires-python = ">=3.10"',
        ) from None


def _lock_requires(config: RepoConfig) -> str | None:
    """The ``requires-python`` of the lock every package is synced from, if any. A lock
    that cannot be read says nothing here: syncing from it fails with its own line."""
    if config.lock is None:
        return None
    try:
        info = config.lock.stat()
    except OSError:
        return None
    return _top_level_requires(config.lock, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)
def _top_level_requires(lock: Path, mtime_ns: int, size: int) -> str | None:
    """Read from the lock's top-level keys only: they precede its first table, and a
    workspace's lock runs to megabytes that every session would parse again."""
    head = []
    try:
        with open(lock, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("["):
                    break
                head.append(line)
        value = tomllib.loads("".join(head)).get("requires-python")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class _Admitted:
    """What a package's interpreter must satisfy: its own ``requires-python`` and the
    lock's, each kept with its source to name it in errors."""

    package: SpecifierSet | None
    package_requires: str | None
    lock: SpecifierSet | None
    lock_requires: str | None

    def contains(self, version: str) -> bool:
        return all(s is None or s.contains(version) for s in (self.package, self.lock))

    @property
    def any(self) -> bool:
        return self.package is not None or self.lock is not None


def _admitted(config: RepoConfig, package: Package) -> _Admitted:
    where = f"{package.path.relative_to(config.root)}/pyproject.toml"
    lock_requires = _lock_requires(config)
    lock = _admits(lock_requires, "uv.lock") if lock_requires else None
    own = _admits(package.requires_python, where)
    return _Admitted(own, package.requires_python, lock, lock_requires)


def versions_for(config: RepoConfig, package: Package) -> tuple[str | None, ...]:
    """The versions a package's sessions are parametrized by: the root matrix (the ones
    its ``requires-python`` and the lock's admit), else one version decided when a
    session runs."""
    if package.python:
        return (package.python,)
    if config.python is None or len(config.python) < 2:
        return (None,)
    admitted = _admitted(config, package)
    chosen = tuple(version for version in config.python if admitted.contains(f"{version}.0"))
    return chosen or (None,)


def _found(interpreters: tuple[Interpreter, ...]) -> str:
    listed = ", ".join(f"{i.minor} ({i.path})" for i in interpreters)
    return f"found: {listed}" if listed else "found none"


def choose(
    config: RepoConfig, package: Package, version: str | None, uv: str | None
) -> Interpreter:
    """The interpreter for ``package``: ``version`` when the session names one (package
    setting or matrix), else the newest its requires-python (and the lock's) admits,
    else the root's."""
    interpreters = installed(uv, config.root / RECORD)
    admitted = _admitted(config, package)
    if version:
        for interpreter in interpreters:
            if interpreter.minor == version:
                _check_lock_admits(admitted, package, interpreter)
                return interpreter
        source = "its [tool.toolkit] python" if package.python else "[tool.toolkit] python"
        raise ToolkitError(
            f"{package.name} needs Python {version} ({source}) and it is not installed",
            f"install it (uv python install {version}) or put python{version} on PATH; "
            + _found(interpreters),
        )
    if admitted.any:
        for interpreter in interpreters:
            if admitted.contains(".".join(map(str, interpreter.version))):
                return interpreter
        if not config.python:
            raise ToolkitError(
                f"no installed Python satisfies {package.name}'s {_requirements(admitted)}",
                "install one it admits (uv python install <version>) or put its "
                f"python3.N on PATH; {_found(interpreters)}",
            )
    if config.python:
        return choose(config, package, config.python[0], uv)
    current = _probe(sys.executable)
    assert current is not None  # nox itself runs on it
    return current


def _requirements(admitted: _Admitted) -> str:
    parts = []
    if admitted.package is not None:
        parts.append(f"requires-python {admitted.package_requires!r}")
    if admitted.lock is not None:
        parts.append(f"uv.lock's requires-python {admitted.lock_requires!r}")
    return " and ".join(parts)


def _check_lock_admits(admitted: _Admitted, package: Package, interpreter: Interpreter) -> None:
    """A version named outright (package setting, matrix) that the lock refuses would
    end in uv's long error: say it in one line instead."""
    if admitted.lock is None or admitted.lock.contains(".".join(map(str, interpreter.version))):
        return
    raise ToolkitError(
        f"{package.name} is to run on Python {interpreter.minor}, which uv.lock's "
        f"requires-python {admitted.lock_requires!r} does not admit (the intersection of "
        "the workspace members' requires-python)",
        "name a version the lock admits in [tool.toolkit] python, or widen the "
        "members' requires-python and run uv lock",
    )
