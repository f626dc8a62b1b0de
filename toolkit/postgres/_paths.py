"""Where the toolkit keeps caches, locks and running servers' files, and why to trust them.

Running servers live on tmpfs (``/dev/shm``) when there is one: a data dir is written
hard during a test run and thrown away after it. Caches outlive runs and live in the
user's cache folder. Every folder can be moved with an environment variable.

On a shared machine every other account is hostile: a folder in ``/tmp`` or
``/dev/shm`` may have been made by someone else, under the very name we would pick,
to have us run their binaries or follow their symlinks. So every folder the toolkit
keeps things in is created with ``mkdir`` and then checked (:func:`owned_folder`):
a real folder (not a symlink), owned by this user, writable by nobody else. A folder
that fails the check is refused with one line; it is never repaired, because the
repair (chmod, chown) would itself follow an attacker's symlink.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = [
    "FOLDER_VARIABLES",
    "cache_dir",
    "folder_from_env",
    "lock_dir",
    "owned_folder",
    "runtime_dir",
    "shared_dir",
]


_TMPFS = Path("/dev/shm")
#: The variables that move the toolkit's folders.
FOLDER_VARIABLES = ("TOOLKIT_CACHE_DIR", "TOOLKIT_SHARED_DIR", "TOOLKIT_RUNTIME_DIR")


def folder_from_env(name: str) -> Path | None:
    """The folder ``$name`` names (None when unset). A relative path is refused: it
    would mean another folder for every working directory (a server's supervisor, a
    package's pytest), and be created wherever the command happened to start."""
    raw = os.environ.get(name, "")
    if not raw:
        return None
    if not os.path.isabs(raw):
        raise ToolkitError(
            f"{name}={raw!r} is a relative path",
            f"give an absolute one, e.g. {name}=$PWD/{raw}, or unset it",
        )
    return Path(raw)


def owned_folder(
    path: Path, *, mode: int, what: str, fix: str, shared_sticky: bool = False
) -> Path:
    """``path`` as a folder of ours: created with ``mode`` if missing, else verified.

    Verified means: not a symlink, a folder, owned by the effective user, and not
    writable by group or others. ``mode`` is applied only to a folder made here.
    With ``shared_sticky``, a sticky folder anyone may write to (``/tmp``-like) passes
    too: in it, entries made with ``mkdtemp`` cannot be renamed, removed or replaced
    by others, and nothing else in it is trusted.
    """
    label = f"{what}{path}" if what.endswith("=") else f"{what} {path}"
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        pass
    except OSError as error:
        raise ToolkitError(f"{label} cannot be created: {error.strerror}", fix) from None
    else:
        os.chmod(path, mode, follow_symlinks=False)  # mkdir's mode is masked by the umask
    try:
        info = os.lstat(path)
    except OSError as error:
        raise ToolkitError(f"{label} cannot be read: {error.strerror}", fix) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ToolkitError(f"{label} is not a folder (a symlink or a file)", fix)
    if shared_sticky and info.st_mode & stat.S_ISVTX and info.st_uid in (0, os.geteuid()):
        return path
    if info.st_uid != os.geteuid():
        raise ToolkitError(
            f"{label} belongs to uid {info.st_uid}, not to this user (uid {os.geteuid()})",
            fix,
        )
    if info.st_mode & 0o022:
        raise ToolkitError(
            f"{label} is writable by other users (mode {stat.S_IMODE(info.st_mode):o})",
            fix,
        )
    return path


def _parents(path: Path, what: str, fix: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        label = f"{what}{path}" if what.endswith("=") else f"{what} {path}"
        raise ToolkitError(f"{label} cannot be created: {error.strerror}", fix) from None


def cache_dir() -> Path:
    """``TOOLKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/monorepo-toolkit``, else a private
    folder in the temp dir; always a verified folder of this user's (mode 0700)."""
    explicit = folder_from_env("TOOLKIT_CACHE_DIR")
    fix = "point TOOLKIT_CACHE_DIR at a folder of your own that only you can write, or unset it"
    if explicit:
        path = explicit
        _parents(path, "TOOLKIT_CACHE_DIR=", fix)
        return owned_folder(path, mode=0o700, what="TOOLKIT_CACHE_DIR=", fix=fix)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(xdg) / "monorepo-toolkit"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        # Service accounts often have no writable home (nobody: /nonexistent). The temp
        # dir is shared: someone may have made this name first, so it is verified.
        path = Path(tempfile.gettempdir()) / f"monorepo-toolkit-{os.geteuid()}"
    return owned_folder(path, mode=0o700, what="the cache folder", fix=fix)


def lock_dir() -> Path:
    return owned_folder(
        cache_dir() / "locks",
        mode=0o700,
        what="the lock folder",
        fix="remove it; the toolkit makes a new one",
    )


def shared_dir() -> Path:
    """A root-owned, world-readable cache, for files an unprivileged server must read.

    Only a folder the toolkit creates gets mode 0755; an existing one is verified
    (root's, writable by no one else) and left as it is.
    """
    explicit = folder_from_env("TOOLKIT_SHARED_DIR")
    path = explicit or Path("/var/cache/monorepo-toolkit")
    what = "TOOLKIT_SHARED_DIR=" if explicit else "the shared cache folder"
    fix = "point TOOLKIT_SHARED_DIR at a folder only root can write, or unset it"
    _parents(path, what, fix)
    return owned_folder(path, mode=0o755, what=what, fix=fix)


def runtime_dir(server_gid: int | None = None) -> Path:
    """The folder running servers live in: this user's, verified.

    ``TOOLKIT_RUNTIME_DIR`` when set (ours and not writable by others, or sticky);
    else a per-user folder on tmpfs (``/dev/shm/monorepo-toolkit-<uid>``), or in the
    temp dir. Root's server runs as another user, which must pass through: root's
    folder is then mode 0710 with that user's group, otherwise 0700.
    """
    explicit = folder_from_env("TOOLKIT_RUNTIME_DIR")
    if explicit:
        path = explicit
        fix = (
            "point TOOLKIT_RUNTIME_DIR at a folder of your own that only you can write "
            "(or a sticky one, mode 1777, like /tmp)"
        )
        _parents(path, "TOOLKIT_RUNTIME_DIR=", fix)
        return owned_folder(
            path, mode=0o755, what="TOOLKIT_RUNTIME_DIR=", fix=fix, shared_sticky=True
        )
    shm = _TMPFS
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    parent = parent or Path(tempfile.gettempdir())
    path = parent / f"monorepo-toolkit-{os.geteuid()}"
    mode = 0o700 if server_gid is None else 0o710
    owned_folder(
        path,
        mode=mode,
        what="the runtime folder",
        fix="remove it if it is not yours, or set TOOLKIT_RUNTIME_DIR to a folder of your own",
    )
    if server_gid is not None and os.lstat(path).st_gid != server_gid:
        # Verified ours and not a symlink; in a sticky /dev/shm nobody else can swap it.
        os.chown(path, -1, server_gid, follow_symlinks=False)
        os.chmod(path, mode, follow_symlinks=False)
    return path
