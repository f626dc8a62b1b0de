"""Replay a layer's passing result when nothing that decides it has changed.

A second ``nox -s unit integration`` with nothing changed used to rerun every test.
Each ``unit`` and ``integration`` run now has a key: a hash of what can change its
result, computed from files and settings before anything expensive (no environment
build, no server, no template). A passing run is stored under its key; a later run
with the same key copies back its JUnit XML and coverage data, so ``coverage(<pkg>)``
and the summary work as after a real run, and prints ``cached (key ...)``.

In the key: the files of the package and of the workspace packages it depends on, as
git sees them (``git ls-files -co --exclude-standard``: uncommitted and untracked
files included, ignored ones not; outside a git repository, every file but tool
folders such as ``.nox``, ``.venv``, ``__pycache__``), by content; the environment's
stamp (requirements, lock pins, constraints, the pyprojects, the interpreter) and its
Python version; the layer's settings (folder, env, setup, database URL scheme, order,
the Python asked for);
pytest's arguments; the toolkit's version (and its files, for a source checkout); the
repository's folder (coverage data names files by absolute path); the shard; the seed
when ``TOOLKIT_SEED`` is set; and for ``integration`` the PostgreSQL settings
(``TOOLKIT_POSTGRES_VERSION`` or ``postgres`` in ``[tool.toolkit]``, the provider,
image, binaries, external server and template salt).

Not in the key: files outside those packages, the network, and the shell's other
variables. Failing results are never stored. ``TOOLKIT_CACHE=0`` or ``-- --no-cache``
turns the cache off; the isolation session never uses it.

Entries live in ``.nox/toolkit-results`` (``TOOLKIT_RESULT_CACHE_DIR`` moves them), a
folder that must be ours and writable by no one else, each written to a temporary
folder and renamed into place; the newest :data:`KEEP` are kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import toolkit
from toolkit import variables
from toolkit.errors import ToolkitError
from toolkit.host import environment
from toolkit.host.run import NO_CACHE_OPTION, pytest_args
from toolkit.host.shards import DURATIONS_FILE
from toolkit.postgres._paths import owned_folder

if TYPE_CHECKING:
    import nox

    from toolkit.host.config import Package
    from toolkit.host.run import Run
    from toolkit.host.shards import Shard

__all__ = [
    "DEFAULT_FOLDER",
    "FOLDER_VARIABLE",
    "KEEP",
    "NO_CACHE_OPTION",
    "SWITCH",
    "Slot",
    "enabled",
    "folder",
    "lookup",
    "package_digest",
]

SWITCH = "TOOLKIT_CACHE"
FOLDER_VARIABLE = "TOOLKIT_RESULT_CACHE_DIR"
#: Where entries live without ``TOOLKIT_RESULT_CACHE_DIR``, from the repository's root.
DEFAULT_FOLDER = ".nox/toolkit-results"
#: Entries kept after each store, the most recently used first.
KEEP = 256
_FORMAT = 2
_OFF = ("0", "false", "no", "off")
_JUNIT = "junit.xml"
_COVERAGE = "data.coverage"
_ENTRY = "entry.json"
#: Folders no result depends on: tools' caches and environments, and the toolkit's own.
_TOOL_FOLDERS = frozenset(
    {
        ".git",
        ".nox",
        ".tox",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        ".mypy_cache",
        ".ruff_cache",
        "htmlcov",
        "node_modules",
    }
)
#: Postgres settings that decide which server an integration run gets.
_SERVER_VARIABLES = (
    "TOOLKIT_POSTGRES",
    variables.POSTGRES_VERSION,
    "TOOLKIT_POSTGRES_IMAGE",
    "TOOLKIT_POSTGRES_BIN",
    variables.SALT,
)


def enabled(session: nox.Session) -> bool:
    """Whether this session may replay and store results: not with ``TOOLKIT_CACHE=0``,
    ``-- --no-cache``, or while recording durations (a replay records none)."""
    if os.environ.get(SWITCH, "").strip().lower() in _OFF:
        return False
    if os.environ.get("TOOLKIT_STORE_DURATIONS"):
        return False
    return NO_CACHE_OPTION not in session.posargs


def folder(root: Path) -> Path:
    """The cache folder: ``TOOLKIT_RESULT_CACHE_DIR``, else ``.nox/toolkit-results`` of
    the repository; created if missing, refused unless it is ours alone."""
    explicit = os.environ.get(FOLDER_VARIABLE)
    path = Path(explicit) if explicit else root / DEFAULT_FOLDER
    what = f"{FOLDER_VARIABLE}=" if explicit else "the result cache"
    fix = (
        f"remove it, or point {FOLDER_VARIABLE} at a folder of your own that only you can "
        f"write; {SWITCH}=0 runs without it"
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ToolkitError(f"{what} {path} cannot be created: {error.strerror}", fix) from None
    return owned_folder(path, mode=0o700, what=what, fix=fix)


def _skipped(relative: str) -> bool:
    parts = relative.split("/")
    name = parts[-1]
    return (
        any(part in _TOOL_FOLDERS or part.endswith(".egg-info") for part in parts[:-1])
        or name.endswith((".pyc", ".pyo"))
        or name == ".coverage"
        or name.startswith(".coverage.")
    )


def _git_files(path: Path) -> list[str] | None:
    """The package's files as git sees them, or None outside a git repository."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", "."],
            cwd=path,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return sorted({name for name in result.stdout.decode().split("\0") if name})


def _walked_files(path: Path, skip: frozenset[Path]) -> list[str]:
    found = []
    for current, folders, files in os.walk(path):
        here = Path(current)
        folders[:] = [
            name
            for name in folders
            if name not in _TOOL_FOLDERS
            and not name.endswith(".egg-info")
            and here / name not in skip
        ]
        found += [(here / name).relative_to(path).as_posix() for name in files]
    return sorted(found)


def package_digest(path: Path, root: Path) -> str:
    """A hash of a package folder's files, by name and content (never mtimes).

    The toolkit's own outputs (``reports/`` and ``.nox/`` at the repository root) are
    never part of it, wherever the package sits.
    """
    own = frozenset({root / "reports", root / ".nox", root / ".git"})
    names = _git_files(path)
    if names is None:
        names = _walked_files(path, own)
    digest = hashlib.sha256()
    for name in names:
        full = path / name
        if _skipped(name) or any(full.is_relative_to(folder) for folder in own):
            continue
        digest.update(name.encode() + b"\0")
        try:
            if full.is_symlink():
                digest.update(b"link:" + os.readlink(full).encode())
            elif full.is_file():
                digest.update(hashlib.sha256(full.read_bytes()).digest())
            else:
                digest.update(b"missing")  # tracked but deleted in the working tree
        except OSError:
            digest.update(b"unreadable")
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _toolkit_identity() -> str:
    """The toolkit's version and, for a source checkout (editable), its files: an edit
    to the plugin or the sessions can change results without a new version."""
    source = Path(toolkit.__file__).resolve().parent
    identity = hashlib.sha256(toolkit.__version__.encode())
    if environment.is_toolkit_source(source.parent):
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                identity.update(str(path.relative_to(source)).encode() + b"\0")
                identity.update(path.read_bytes())
    return identity.hexdigest()


def _server_settings(run: Run) -> dict[str, str]:
    settings = {name: os.environ.get(name, "") for name in _SERVER_VARIABLES}
    if not settings[variables.POSTGRES_VERSION]:
        settings[variables.POSTGRES_VERSION] = run.config.postgres or ""
    external = os.environ.get("TOOLKIT_POSTGRES_URL", "")
    # The external server's place, never its password.
    settings["external"] = external.rpartition("@")[2]
    return settings


@dataclass(frozen=True)
class Slot:
    """One layer run's place in the cache: its key, and the folder entries live in."""

    key: str
    cache: Path
    #: The interpreter the key assumes; a result made on another is not stored.
    interpreter: str

    @property
    def short(self) -> str:
        return self.key[:12]

    @property
    def entry(self) -> Path:
        return self.cache / self.key

    def replay(self, junit: Path, coverage: Path) -> bool:
        """Copy the stored result into the run's reports; False when there is none.

        An entry replays only whole: every file it recorded, byte for byte. One that is
        not (cut short, a file lost) is dropped, and the layer runs: a replay without its
        coverage data would pass a package whose threshold nobody checked.
        """
        files = self._verified()
        if files is None:
            shutil.rmtree(self.entry, ignore_errors=True)
            return False
        targets = {_JUNIT: junit, _COVERAGE: coverage}
        try:
            for name in (_JUNIT, _COVERAGE):
                if name in files:
                    shutil.copyfile(self.entry / name, targets[name])
            os.utime(self.entry)  # recently used: spared by pruning
        except OSError:
            junit.unlink(missing_ok=True)
            coverage.unlink(missing_ok=True)
            return False
        return True

    def _verified(self) -> dict[str, str] | None:
        """The entry's files and their digests, when every one is there as recorded."""
        try:
            document = json.loads((self.entry / _ENTRY).read_text())
            files = document["files"]
            if document["key"] != self.key or _JUNIT not in files:
                return None
            for name, digest in files.items():
                if name not in (_JUNIT, _COVERAGE) or _digest(self.entry / name) != digest:
                    return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return dict(files)

    def store(self, junit: Path, coverage: Path, interpreter: str | None) -> bool:
        """Keep a passing result under the key (whole or not at all); False when the
        run's environment was not built on the interpreter the key names."""
        if interpreter != self.interpreter or not junit.is_file():
            return False
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.cache))
        try:
            files = {}
            for name, source in ((_JUNIT, junit), (_COVERAGE, coverage)):
                if source.is_file():
                    shutil.copyfile(source, staging / name)
                    files[name] = _digest(staging / name)
            document = {"key": self.key, "stored": time.time(), "files": files}
            (staging / _ENTRY).write_text(json.dumps(document) + "\n")
            os.chmod(staging, 0o700)
            try:
                staging.rename(self.entry)
            except OSError:
                return self.entry.is_dir()  # another run stored the same key first
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(self.cache)
        return True


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prune(cache: Path, keep: int = KEEP) -> None:
    """Drop all but the ``keep`` most recently used entries, and stale staging folders."""
    entries = []
    for path in cache.iterdir():
        try:
            used = path.lstat().st_mtime
        except OSError:
            continue
        if path.name.startswith(".incoming-"):
            if used < time.time() - 3600:
                shutil.rmtree(path, ignore_errors=True)
            continue
        entries.append((used, path))
    for _, path in sorted(entries, reverse=True)[keep:]:
        shutil.rmtree(path, ignore_errors=True)


def lookup(
    session: nox.Session,
    run: Run,
    package: Package,
    python: str | None,
    layer: str,
    shard: Shard | None,
) -> Slot | None:
    """The layer run's slot in the cache, or None when the cache is off."""
    if not enabled(session):
        return None
    try:
        cache = folder(run.config.root)
    except ToolkitError as error:
        session.error(str(error))
    config = run.config
    fingerprint = environment.fingerprint(session, config, package, python)
    packages = [package, *config.local_dependencies(package)]
    test_dir = package.test_dirs[layer]
    durations = package.path / DURATIONS_FILE
    inputs: dict[str, Any] = {
        "format": _FORMAT,
        "root": str(config.root),
        "package": package.name,
        "layer": layer,
        "files": {p.name: package_digest(p.path, config.root) for p in packages},
        "environment": [fingerprint.stamp, fingerprint.interpreter, fingerprint.python],
        "toolkit": _toolkit_identity(),
        "settings": {
            "folder": str(test_dir.relative_to(package.path)) if test_dir else None,
            "env": package.env,
            "setup": list(package.setup),
            "database_url_scheme": package.database_url_scheme,
            "random_order": package.random_order,
            # which Python: the session's (matrix), the package's, the root's
            "python": [python, package.python, list(config.python or ())],
        },
        "pytest": pytest_args(session),
        "seed": os.environ.get("TOOLKIT_SEED", "").strip() or None,
        "shard": [shard.index, shard.total] if shard else None,
        "durations": (
            hashlib.sha256(durations.read_bytes()).hexdigest()
            if shard and durations.is_file()
            else None
        ),
        "postgres": _server_settings(run) if layer == "integration" else None,
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return Slot(key, cache, fingerprint.interpreter)
