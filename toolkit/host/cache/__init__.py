"""Replay a layer's passing result when nothing that decides it has changed.

Each ``unit`` and ``integration`` run has a key: a hash of everything that can change
what pytest runs or how it behaves (:func:`lookup` lists it). A passing run is stored
under its key, signed; a later run with the same key copies back its JUnit XML and
coverage data, so ``coverage(<pkg>)`` and the summary work as after a real run, and
prints ``cached (key ...)``. A run that is not replayed says why, against the newest
entry of the same package and layer.

What the run itself writes inside the packages (an app's own ``coverage.xml``, logs,
``*.egg-info``) is recorded with the entry as its output and does not change the next
key, as long as it is still as the run left it. A run during which a file that
decides what pytest imports or collects changed (a ``.py`` file, a configuration file)
is not stored: a run writing one cannot be told from a user editing it meanwhile.

Failing results are never stored. ``TOOLKIT_CACHE=0`` or ``-- --no-cache`` turns the
cache off; the isolation session never uses it.

Entries live in ``.nox/toolkit-results`` (``TOOLKIT_RESULT_CACHE_DIR`` moves them), a
folder that must be ours and writable by no one else; entries are trusted only as
:mod:`toolkit.host.cache.entries` says, and none at all from a folder git tracks.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import toolkit
from toolkit import variables
from toolkit.errors import ToolkitError
from toolkit.host import environment
from toolkit.host.cache import entries, inputs, secret
from toolkit.host.cache.entries import KEEP
from toolkit.host.run import NO_CACHE_OPTION, pytest_args
from toolkit.host.shards import DURATIONS_FILE
from toolkit.postgres._paths import owned_folder

if TYPE_CHECKING:
    import nox

    from toolkit.host.config import Package
    from toolkit.host.environment import PackageEnv
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
    "switched_on",
]

SWITCH = "TOOLKIT_CACHE"
FOLDER_VARIABLE = "TOOLKIT_RESULT_CACHE_DIR"
#: Where entries live without ``TOOLKIT_RESULT_CACHE_DIR``, from the repository's root.
DEFAULT_FOLDER = ".nox/toolkit-results"
_FORMAT = 3
_OFF = ("0", "false", "no", "off")
_ON = ("", "1", "true", "yes", "on")
#: What an output file still as its run left it counts as in the key.
_AS_LEFT = "output"
#: Names a miss line lists before it counts the rest.
_NAMED = 3
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
    if not switched_on():
        return False
    if os.environ.get("TOOLKIT_STORE_DURATIONS"):
        return False
    return NO_CACHE_OPTION not in session.posargs


def switched_on() -> bool:
    """``TOOLKIT_CACHE``: on unless set to 0 (false, no, off); any other value is
    refused rather than guessed."""
    raw = os.environ.get(SWITCH, "").strip().lower()
    if raw not in _ON + _OFF:
        raise ToolkitError(
            f"{SWITCH}={os.environ[SWITCH]!r} is neither on nor off",
            f"use {SWITCH}=0 to run without the result cache, {SWITCH}=1 (or unset it) to use it",
        )
    return raw in _ON


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


@functools.cache
def _tracked_by_git(root: Path, cache: Path) -> bool:
    """Whether git tracks anything in the cache folder: entries a clone brought."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--", str(cache)],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except OSError:
        return False
    return result.returncode == 0 and bool(result.stdout.strip(b"\0"))


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
class _Scope:
    """Which files count for a layer run: its packages' folders, the configuration
    above the package, less the toolkit's own folders."""

    root: Path
    folders: tuple[Path, ...]
    above: tuple[Path, ...]
    skip: tuple[Path, ...]

    def states(self) -> dict[str, str]:
        """Each file that counts -> the digest of its content."""
        return inputs.file_states(self.folders, self.root, self.above, self.skip)

    def covers(self, name: str) -> bool:
        """Whether a file of that name (from the root) would count."""
        named = [folder.relative_to(self.root).as_posix() for folder in self.folders]
        return any(prefix == "." or name.startswith(f"{prefix}/") for prefix in named) or any(
            name == path.relative_to(self.root).as_posix() for path in self.above
        )

    @property
    def outputs_record(self) -> str:
        """The name of the record of what runs wrote: one per repository."""
        return entries.head_id(str(self.root))


def _as_left(states: dict[str, str], outputs: dict[str, str]) -> dict[str, str]:
    """The outputs still as their run left them."""
    return {name: left for name, left in outputs.items() if states.get(name, "missing") == left}


def _files(states: dict[str, str], outputs: dict[str, str]) -> dict[str, str]:
    """The key's files: each by its digest, but a file a run wrote counts as that run's
    output while it is still as that run left it."""
    files = dict(states)
    files.update(dict.fromkeys(_as_left(states, outputs), _AS_LEFT))
    return files


@dataclass
class Slot:
    """One layer run's place in the cache: its key, what it was made from, and how to
    replay or store a result under it."""

    key: str
    cache: Path
    #: The interpreter the key assumes; a result made on another is not stored.
    interpreter: str | None
    head: str
    made_from: dict[str, Any]
    previous: entries.Entry | None
    #: What earlier runs wrote and is still as they left it.
    outputs: dict[str, str]
    scope: _Scope
    before: dict[str, str]
    secret: bytes = field(repr=False)
    #: Why the last replay or store did not happen, when it was not the key.
    note: str = ""
    #: Files that changed once during an earlier run, not yet outputs.
    candidates: dict[str, str] = field(default_factory=dict)
    #: What the run wrote, once :meth:`record_outputs` looked.
    written: list[str] | None = None
    #: Why the run cannot be stored, once :meth:`record_outputs` looked.
    unstored: str = ""

    @property
    def short(self) -> str:
        return self.key[:12]

    @property
    def entry(self) -> Path:
        return self.cache / self.key

    def replay(self, junit: Path, coverage: Path) -> bool:
        """Copy the stored result into the run's reports; False when there is none
        that can be trusted.

        An entry replays only whole: every file it recorded, byte for byte. One that is
        not (cut short, a file lost) is dropped, and the layer runs: a replay without its
        coverage data would pass a package whose threshold nobody checked.
        """
        try:
            entry = entries.read(self.cache, self.key, self.secret)
        except entries.Untrusted as error:
            self.note = f"{error}; not replayed"
            _drop(self.entry)
            return False
        if entry is None:
            return False
        entry_folder = self.cache / self.key
        try:
            whole = entries.JUNIT in entry.files and all(
                name in (entries.JUNIT, entries.COVERAGE)
                and entries.digest(entry_folder / name) == recorded
                for name, recorded in entry.files.items()
            )
        except OSError:
            whole = False
        if not whole:
            _drop(entry_folder)
            self.note = f"entry {self.short} was not whole and is dropped"
            return False
        targets = {entries.JUNIT: junit, entries.COVERAGE: coverage}
        try:
            for name in entry.files:
                shutil.copyfile(entry_folder / name, targets[name])
            os.utime(entry_folder)  # recently used: spared by pruning
        except OSError:
            junit.unlink(missing_ok=True)
            coverage.unlink(missing_ok=True)
            return False
        return True

    def why_not(self) -> str:
        """Why the run was not replayed, in a few words: what differs from the newest
        entry of the same package and layer."""
        if self.note:
            return self.note
        if self.previous is None:
            return "no passing run of it is stored yet (failing runs are never stored)"
        # Against the stored run nearest to this one: after a revert, the newest entry
        # may differ in what the revert undid, and hide what really changed.
        candidates = [self.previous]
        with contextlib.suppress(OSError):
            candidates += entries.of_head(self.cache, self.head, self.secret)
        changes = min((_differences(entry.inputs, self.made_from) for entry in candidates), key=len)
        if not changes:
            return f"entry {self.short} is gone (pruned or removed)"
        named = ", ".join(changes[:_NAMED])
        more = len(changes) - _NAMED
        return named + (f" and {more} more" if more > 0 else "")

    def record_outputs(self) -> None:
        """After a run, passing or not: sort what changed during it.

        A file that decides what pytest imports or collects is never an output: the run
        is not stored. A file the run created is its output. A file that was there
        before and changed is an output if a run wrote it before (a known output, or a
        candidate a second run now confirms); the first time, it is only a candidate
        and the run is not stored: a run rewriting it cannot be told from someone
        editing it while the tests ran. An earlier run's output stays one while it is
        as that run left it.
        """
        after = self.scope.states()
        self.written = inputs.changed_during(self.before, after)
        confirmed: dict[str, str] = {}
        candidates: dict[str, str] = {}
        for name in self.written:
            now = after.get(name, "missing")
            if inputs.code_like(name):
                self.unstored = self.unstored or f"{name} changed while the tests ran"
            elif name not in self.before or name in self.outputs or name in self.candidates:
                confirmed[name] = now
            else:
                candidates[name] = now
                self.unstored = self.unstored or (
                    f"{name} changed while the tests ran (if the tests write it, the next "
                    "run is stored)"
                )
        kept = {n: d for n, d in _as_left(after, self.outputs).items() if n not in self.written}
        self.outputs = {**kept, **confirmed}
        record = self.scope.outputs_record
        # Read again: another package's run may have added to it meanwhile.
        others = entries.read_outputs(self.cache, record, self.secret) or entries.Outputs()
        merged = entries.Outputs(
            {**_outside(others.confirmed, self.scope), **self.outputs},
            {**_outside(others.candidates, self.scope), **candidates},
        )
        with contextlib.suppress(OSError):
            entries.write_outputs(self.cache, record, merged, self.secret)

    def store(self, junit: Path, coverage: Path, interpreter: str | None) -> bool:
        """Keep a passing result (whole or not at all) under the key of what it ran
        from, with what it wrote as its outputs; False, with :attr:`note` saying why,
        when it is not stored."""
        if not junit.is_file():
            self.note = f"pytest wrote no {junit.name}"
            return False
        if interpreter != self.interpreter:
            self.note = "the environment was rebuilt on another interpreter"
            return False
        if self.written is None:
            self.record_outputs()
        if self.unstored:
            self.note = self.unstored
            return False
        files = {**self.before, **dict.fromkeys(self.outputs, _AS_LEFT)}
        ran_from = {**self.made_from, "files": files}
        entry = entries.Entry(entries.key_of(ran_from), self.head, ran_from, self.outputs)
        reports = {entries.JUNIT: junit}
        if coverage.is_file():
            reports[entries.COVERAGE] = coverage
        try:
            stored = entries.write(self.cache, entry, reports, self.secret)
        except OSError as error:
            self.note = f"the entry could not be written: {error.strerror}"
            return False
        entries.prune(self.cache)
        return stored


def _editable_elsewhere(editable: dict[str, str], own: list[Path]) -> list[Path]:
    """Folders installed editable into the environment from outside the package and
    its same-repository dependencies (``-e ../shared`` in a requirements file, a
    library under development): their code runs as the package's does. The toolkit's
    own checkout is left out: its files are in the key already."""
    toolkit_source = Path(toolkit.__file__).resolve().parent.parent
    found = []
    for folder in sorted(set(editable.values())):
        path = Path(folder)
        if path == toolkit_source or not path.is_dir():
            continue
        if any(path == mine or path.is_relative_to(mine) for mine in own):
            continue
        found.append(path)
    return found


def _outside(recorded: dict[str, str], scope: _Scope) -> dict[str, str]:
    return {name: digest for name, digest in recorded.items() if not scope.covers(name)}


def _drop(entry: Path) -> None:
    """Remove an entry that cannot be replayed, if it is a folder of ours (the cache
    folder is, so nothing in it should be anyone else's; such a thing is left alone)."""
    try:
        info = os.lstat(entry)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
        shutil.rmtree(entry, ignore_errors=True)


def _changed(
    old: dict[str, Any], new: dict[str, Any], words: tuple[str, str]
) -> list[tuple[str, str]]:
    """Each name whose value differs, with the word for how (new, gone, changed)."""
    found = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            found.append((name, words[0]))
        elif name not in new:
            found.append((name, words[1]))
        elif old[name] != new[name]:
            found.append((name, "changed"))
    return found


def _differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between two keys' inputs, in words: files first, then variables,
    then installed distributions, then the rest by name."""
    found: list[str] = []
    old_files, new_files = before.get("files", {}), now.get("files", {})
    for name, change in _changed(old_files, new_files, ("added", "removed")):
        since = " since the run wrote it" if old_files.get(name) == _AS_LEFT else ""
        found.append(f"{name} {change}{since if change == 'changed' else ''}")
    old_vars, new_vars = before.get("variables", {}), now.get("variables", {})
    found += [f"{name} {change}" for name, change in _changed(old_vars, new_vars, ("set", "unset"))]
    old_env, new_env = before.get("environment", {}), now.get("environment", {})
    old_installed, new_installed = old_env.get("installed", {}), new_env.get("installed", {})
    for name in sorted(set(old_installed) | set(new_installed)):
        old, new = old_installed.get(name), new_installed.get(name)
        if old != new:
            found.append(f"installed {name} {old or '(none)'} -> {new or '(none)'}")
    for name in ("interpreter", "python", "stamp", "site-packages", "editable"):
        if old_env.get(name) != new_env.get(name):
            found.append(f"the environment's {name} changed")
    for name in sorted(set(before) | set(now)):
        if name not in ("files", "variables", "environment") and before.get(name) != now.get(name):
            found.append(f"{_LABELS.get(name, name)} changed")
    return found


_LABELS = {
    "pytest": "pytest arguments",
    "toolkit": "the toolkit",
    "settings": "the layer's settings",
    "postgres": "the PostgreSQL settings",
    "root": "the repository's folder",
}


def lookup(
    session: nox.Session,
    run: Run,
    package: Package,
    env: PackageEnv,
    python: str | None,
    layer: str,
    shard: Shard | None,
) -> Slot | None:
    """The layer run's slot in the cache, or None when the cache is off (or cannot be
    trusted: a folder git tracks)."""
    if not enabled(session):
        return None
    config = run.config
    try:
        cache = folder(config.root)
        signing = secret.load()
    except ToolkitError as error:
        session.error(str(error))
    if _tracked_by_git(config.root, cache):
        shown = cache.relative_to(config.root) if cache.is_relative_to(config.root) else cache
        session.log(
            f"the result cache {shown} holds files git tracks: nothing in it is replayed "
            f"or stored (git rm -r --cached {shown}, and list it in .gitignore)"
        )
        return None
    head = entries.head_id(
        package.name, layer, [shard.index, shard.total] if shard else None, python
    )
    try:
        previous = entries.newest(cache, head, signing)
    except entries.Untrusted as error:
        session.log(f"{package.name}: result cache {error}; ignored")
        previous = None
    own = [config.root / ".nox", config.root / ".git", cache]
    if not (config.root / "reports" / "__init__.py").exists():
        # The toolkit's reports; unless the folder is a package of the repository's own
        # (a one-package app with a reports package): then it counts, and what the
        # toolkit writes there is the run's output like any other.
        own.append(config.root / "reports")
    held = environment.contents(env)
    own_packages = [p.path for p in [package, *config.local_dependencies(package)]]
    scope = _Scope(
        root=config.root,
        folders=(*own_packages, *_editable_elsewhere(held["editable"], own_packages)),
        above=tuple(inputs.above_package(package.path, config.root)),
        skip=tuple(path for path in own if path.is_relative_to(config.root)),
    )
    before = scope.states()
    recorded = entries.read_outputs(cache, scope.outputs_record, signing)
    if recorded is None:
        recorded = entries.Outputs(dict(previous.outputs) if previous else {})
    outputs = _as_left(before, {n: d for n, d in recorded.confirmed.items() if scope.covers(n)})
    candidates = {n: d for n, d in recorded.candidates.items() if scope.covers(n)}
    test_dir = package.test_dirs[layer]
    durations = package.path / DURATIONS_FILE
    key_inputs: dict[str, Any] = {
        "format": _FORMAT,
        "root": str(config.root),
        "package": package.name,
        "layer": layer,
        "files": _files(before, outputs),
        "variables": inputs.variables(os.environ),
        "environment": held,
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
    return Slot(
        key=entries.key_of(key_inputs),
        cache=cache,
        interpreter=environment.built_on(env),
        head=head,
        made_from=key_inputs,
        previous=previous,
        outputs=outputs,
        candidates=candidates,
        scope=scope,
        before=before,
        secret=signing,
    )
