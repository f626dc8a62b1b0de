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


def _cold_data_folder(root: Path) -> Path:
    source = root / "data"
    (source / "base").mkdir(parents=True)
    (source / "PG_VERSION").write_text("15\n")
    (source / "base" / "1").write_bytes(b"\0" * 100)
    return source


def test_a_cold_data_folder_is_copied_with_its_files(tmp_path: Path) -> None:
    source = _cold_data_folder(tmp_path)

    _supervisor._copy_untrusted(str(source), str(tmp_path / "cache"), None)

    assert (tmp_path / "cache" / "PG_VERSION").read_text() == "15\n"
    assert (tmp_path / "cache" / "base" / "1").read_bytes() == b"\0" * 100


def test_a_hard_link_in_a_cold_data_folder_is_not_copied_into_the_cache(tmp_path: Path) -> None:
    """Before: only the type was checked; the server's user could hard-link a file it
    may not read into its data folder and have root copy it into root's cache."""
    source = _cold_data_folder(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text("root only\n")
    os.link(secret, source / "base" / "2")

    with pytest.raises(OSError, match="2 links"):
        _supervisor._copy_untrusted(str(source), str(tmp_path / "cache"), None)


@pytest.mark.skipif(os.geteuid() != 0, reason="handing the copy to another user needs root")
def test_a_file_of_another_owner_in_a_cold_data_folder_is_not_copied(tmp_path: Path) -> None:
    source = _cold_data_folder(tmp_path)
    server_user = (os.geteuid() + 1, os.getegid())  # the copy expects that user's files

    with pytest.raises(OSError, match="belongs to uid"):
        _supervisor._copy_untrusted(str(source), str(tmp_path / "cache"), server_user)
