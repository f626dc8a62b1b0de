"""The key that signs this user's result-cache entries.

An entry says "these tests passed"; anyone who can put a folder where the cache looks
(a repository that commits ``.nox/toolkit-results``, a CI cache restored from another
job) could make it say so of a failing suite. So every entry carries a MAC made with a
secret that lives outside the repository and belongs to this user: created on first
use in the user's cache folder (mode 0600), or given by ``TOOLKIT_RESULT_CACHE_SECRET``
where CI machines share entries (from the CI's secret store).

The variable is taken out of the environment as soon as the sessions load, so no
build, test or fixture the sessions start finds it in its environment (code that means
harm still reads nox's own start-up environment in ``/proc``: CI gives the secret
only to jobs running trusted code).

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.postgres._paths import cache_dir

__all__ = ["FILE_NAME", "MINIMUM_LENGTH", "VARIABLE", "load"]

VARIABLE = "TOOLKIT_RESULT_CACHE_SECRET"
#: The secret's file in the user's cache folder.
FILE_NAME = "result-cache.key"
#: Shorter secrets can be guessed; a generated one has 64 characters.
MINIMUM_LENGTH = 32
_MAX_SIZE = 4096

#: Taken from the environment when this module is first imported (see above).
_GIVEN = os.environ.pop(VARIABLE, None)


def load() -> bytes:
    """The secret: ``TOOLKIT_RESULT_CACHE_SECRET`` when it was set, else this user's
    own (made on first use)."""
    if _GIVEN is not None:
        given = _GIVEN.strip()
        if len(given) < MINIMUM_LENGTH:
            raise ToolkitError(
                f"{VARIABLE} is {len(given)} characters long, too short to keep entries "
                "from being forged",
                f"set it to at least {MINIMUM_LENGTH} random characters, e.g. the output of "
                "python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        return given.encode()
    return _own(cache_dir() / FILE_NAME)


def _own(path: Path) -> bytes:
    for _ in range(3):
        try:
            return _read(path)
        except FileNotFoundError:
            _create(path)
    return _read(path)


def _create(path: Path) -> None:
    """Write a new secret whole, then link it into place: a concurrent run either
    finds none or a complete one."""
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another run made one first: use it
            os.link(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    fix = f"remove {path}; the next run makes a new one (entries signed with it are then run again)"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ToolkitError(
            f"the result cache's secret {path} cannot be read: {error.strerror}", fix
        ) from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):  # a folder opens too, but cannot be read
        os.close(descriptor)
        raise ToolkitError(f"the result cache's secret {path} is not a file", fix)
    with os.fdopen(descriptor, "rb") as handle:
        if info.st_uid != os.geteuid():
            raise ToolkitError(
                f"the result cache's secret {path} is not a file of this user's", fix
            )
        if info.st_mode & 0o077:
            raise ToolkitError(
                f"the result cache's secret {path} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):o})",
                fix,
            )
        value = handle.read(_MAX_SIZE).strip()
    if len(value) < MINIMUM_LENGTH:
        raise ToolkitError(f"the result cache's secret {path} is cut short", fix)
    return value
