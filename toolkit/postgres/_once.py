"""Make a stop function idempotent: fixtures, atexit and signal paths may all call it."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["once"]


def once(function: Callable[[], None]) -> Callable[[], None]:
    lock = threading.Lock()
    done = False

    def run() -> None:
        nonlocal done
        with lock:
            if done:
                return
            done = True
        function()

    return run
