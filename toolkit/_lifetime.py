"""Children that do not outlive their parent: Linux's parent-death signal.

A test run, a server or a child pytest that keeps going after whoever started it was
killed (``kill -9`` of nox, of a supervisor) writes reports nobody asked for and holds
ports and files. ``prctl(PR_SET_PDEATHSIG)`` in the child, before it executes, has the
kernel signal it when its parent thread dies. Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
from collections.abc import Callable

__all__ = ["dies_with_parent"]

_PR_SET_PDEATHSIG = 1


def dies_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets ``signum`` when its parent dies. Spawn from the
    main thread (the signal fires when the spawning *thread* ends). Elsewhere than
    Linux it does nothing."""

    def arm() -> None:
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)

    return arm
