"""What a run needs before any session starts, checked once, when the sessions load.

A setting that makes no sense (``TOOLKIT_SEED=abc``, ``TOOLKIT_SHARD=3/2``) or a folder
the run cannot write (``reports/`` on a full disk, a read-only checkout) would
otherwise surface inside every session: as "Session aborted", as tracebacks of the
tools that write there (coverage's SQLite, pytest's JUnit XML), or not at all (a
replay that silently is not one). Checked here, it is one line and exit 2 before
anything runs.

Each setting is validated by the function that reads it; this module only calls them
all early (``TOOLKIT_POSTGRES`` excepted: its reader imports the providers, so its
choices are repeated here, and a test keeps them equal). Standard library only: the
noxfile imports it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.host import cache
from toolkit.host.config import RepoConfig
from toolkit.host.run import NO_CACHE_OPTION, Run, changed_since_in, seed_from_env
from toolkit.host.shards import shard_from_env, storing_durations
from toolkit.postgres._paths import FOLDER_VARIABLES, folder_from_env
from toolkit.postgres.settings import major_from_env, port_from_env
from toolkit.postgres.urls import parse_url

__all__ = ["check", "check_selection", "check_settings", "write_failure", "writable"]

#: What ``TOOLKIT_POSTGRES`` accepts (:func:`toolkit.postgres.selection.choices`, which
#: imports the providers: too much for nox's process).
PROVIDERS = ("auto", "external", "docker", "embedded")
#: nox options that only list sessions: nothing is written, so no folder is needed.
_LISTING = ("-l", "--list", "--list-sessions", "--json")
#: What a write check writes: enough to need a block of its own on any file system.
_PROBE = b"\0" * 8192


def check(config: RepoConfig, argv: Sequence[str]) -> None:
    """Every setting the sessions read, and (unless nox only lists sessions) every
    folder they write; ToolkitError naming the first that fails."""
    check_settings()
    if _listing(argv):
        return
    for folder, what in _folders(config.root):
        writable(folder, what, "")
    if cache.switched_on() and NO_CACHE_OPTION not in argv:
        fix = f"or run without the result cache: {cache.SWITCH}=0"
        writable(cache.folder(config.root), "the result cache", fix)


def check_selection(run: Run, argv: Sequence[str]) -> None:
    """The changed-package selection (``TOOLKIT_CHANGED_SINCE`` or ``-- --changed-since``),
    made now: a ref git does not know would otherwise abort every session alike."""
    posargs = argv[argv.index("--") + 1 :] if "--" in argv else []
    ref = changed_since_in(posargs)
    if ref is not None and not _listing(argv):
        run.select(ref)


def check_settings() -> None:
    """The run's environment variables, each read as the sessions read it."""
    seed_from_env()
    cache.switched_on()
    shard_from_env()
    storing_durations()
    for name in FOLDER_VARIABLES:
        folder_from_env(name)
    _check_server_settings()


def _listing(argv: Sequence[str]) -> bool:
    """Whether nox only lists sessions (its own options, before ``--``)."""
    own = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    return any(arg in _LISTING for arg in own)


def _check_server_settings() -> None:
    """What the run's server is started with: read in the server's own process, where
    a mistake would end every integration session alike."""
    provider = os.environ.get("TOOLKIT_POSTGRES", "").strip().lower()
    if provider and provider not in PROVIDERS:
        raise ToolkitError(
            f"TOOLKIT_POSTGRES={provider!r} is not a provider", f"use one of {', '.join(PROVIDERS)}"
        )
    if url := os.environ.get("TOOLKIT_POSTGRES_URL"):
        parse_url(url, source="TOOLKIT_POSTGRES_URL")
    major_from_env()
    port_from_env()


def writable(folder: Path, what: str, fix: str) -> None:
    """Create ``folder`` if missing and write a file in it, so that a full disk
    (ENOSPC), a read-only mount (EROFS) or a folder of another user (EACCES) is found
    now; ``fix`` is a way out of that folder's own, added to the general one."""
    try:
        folder.mkdir(exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".toolkit-write-check-", dir=folder)
        try:
            os.write(handle, _PROBE)
        finally:
            os.close(handle)
            with contextlib.suppress(OSError):
                os.unlink(probe)
    except OSError as error:
        general = _way_out(error, folder)
        raise ToolkitError(
            f"{what} {folder} cannot be written: {error.strerror}",
            f"{general}; {fix}" if fix else general,
        ) from None


#: Errors that say where a file is written, not what is written: the disk is full,
#: read-only, or not ours.
_WHERE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def write_failure(error: OSError, root: Path) -> ToolkitError | None:
    """A failed write during a session (the disk filled up meanwhile) as one line
    naming the file (or, when the error does not say, the repository it was written
    in) and a way out; None for any other error."""
    if error.errno not in _WHERE_ERRORS:
        return None
    if error.filename:
        path = Path(os.fsdecode(error.filename))
        # Access may have been refused to a read as well: only a full or read-only
        # disk says for sure that a write failed.
        access = error.errno in (errno.EACCES, errno.EPERM)
        done = "cannot be used" if access else "cannot be written"
        return ToolkitError(f"{path} {done}: {error.strerror}", _way_out(error, path.parent))
    for folder, what in _folders(root):
        try:
            writable(folder, what, "")
        except ToolkitError as found:
            return found
    return ToolkitError(
        f"a file in {root} could not be written: {error.strerror}", _way_out(error, root)
    )


def _folders(root: Path) -> tuple[tuple[Path, str], ...]:
    """The folders every run writes in, each with how it is named."""
    return ((root / "reports", "the reports folder"), (root / ".nox", "nox's folder"))


def _way_out(error: OSError, folder: Path) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"free space on its disk (df -h {folder})"
    if error.errno == errno.EROFS:
        return (
            "its file system is read-only: run from a writable copy of the repository "
            "(git worktree add, or cp -r), or remount it read-write"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"run as its owner, or give this user (uid {os.geteuid()}) access to it"
    return "check the folder and its disk"
