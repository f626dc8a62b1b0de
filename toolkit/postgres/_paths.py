"""Where the toolkit keeps caches, locks and running servers' files.

Running servers live on tmpfs (``/dev/shm``) when there is one: a data dir is written
hard during a test run and thrown away after it. Caches outlive runs and live in the
user's cache folder. Every folder can be moved with an environment variable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["cache_dir", "lock_dir", "runtime_dir", "shared_dir"]


def cache_dir() -> Path:
    """``TOOLKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/monorepo-toolkit``."""
    explicit = os.environ.get("TOOLKIT_CACHE_DIR")
    if explicit:
        path = Path(explicit)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ToolkitError(
                f"TOOLKIT_CACHE_DIR={explicit} cannot be created: {error.strerror}",
                "point it at a folder you can write, or unset it",
            ) from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise ToolkitError(
                f"TOOLKIT_CACHE_DIR={explicit} is not writable by this user",
                "point it at a folder you can write, or unset it",
            )
        return path
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(xdg) / "monorepo-toolkit"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        # Service accounts often have no writable home (nobody: /nonexistent).
        path = Path(tempfile.gettempdir()) / f"monorepo-toolkit-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
    return path


def lock_dir() -> Path:
    path = cache_dir() / "locks"
    path.mkdir(exist_ok=True)
    return path


def shared_dir() -> Path:
    """A root-owned, world-readable cache, for files an unprivileged server must read."""
    path = Path(os.environ.get("TOOLKIT_SHARED_DIR", "/var/cache/monorepo-toolkit"))
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    return path


def runtime_dir() -> Path:
    """``TOOLKIT_RUNTIME_DIR``, else ``/dev/shm`` when writable, else the temp dir."""
    explicit = os.environ.get("TOOLKIT_RUNTIME_DIR")
    if explicit:
        path = Path(explicit)
        path.mkdir(parents=True, exist_ok=True)
        return path
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())
