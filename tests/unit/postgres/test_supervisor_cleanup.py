from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from toolkit.postgres import _supervisor


def test_cleanup_ends_by_its_deadline_and_still_erases_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step the server's user stalls (an open() of a FIFO nobody writes) is cut off
    at the deadline, and the server's folder is removed all the same."""
    runtime = tmp_path / "toolkit-pg-x"
    (runtime / "data").mkdir(parents=True)
    fifo = runtime / "data" / "stalls"
    os.mkfifo(fifo)

    def stalled(*_args: object) -> None:
        with open(fifo):  # blocks: no writer will ever come
            pass

    monkeypatch.setattr(_supervisor, "CLEANUP_DEADLINE", 0.2)
    monkeypatch.setattr(_supervisor, "_release_shared_memory", stalled)
    rescued = threading.Event()

    def rescue() -> None:
        """Without a deadline nothing else would ever unblock the cleanup."""
        rescued.set()
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    # SIGALRM reaches the main thread only: the cleanup runs there, a watcher waits.
    watcher = threading.Timer(30, rescue)
    watcher.start()
    try:
        _supervisor._clean_up(_supervisor._Served(), str(runtime), os.geteuid())
    finally:
        watcher.cancel()

    assert not rescued.is_set(), "the cleanup waited until something else unblocked it"
    assert not runtime.exists()
