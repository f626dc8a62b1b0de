from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.postgres._owned_files import UnexpectedFile, open_owned, read_owned

ME = os.geteuid()


def test_reads_a_regular_file_of_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "postmaster.pid"
    path.write_bytes(b"4242\n/data\n")

    assert read_owned(str(path), ME) == b"4242\n/data\n"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    """A plain open() of a FIFO blocks until someone writes to it: forever."""
    path = tmp_path / "postmaster.pid"
    os.mkfifo(path)

    with pytest.raises(UnexpectedFile, match="not a regular file"):
        read_owned(str(path), ME)


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "postmaster.pid"
    path.symlink_to("/dev/zero")

    with pytest.raises(OSError):
        read_owned(str(path), ME)


def test_a_file_of_another_owner_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "postmaster.pid"
    path.write_text("1\n")

    with pytest.raises(UnexpectedFile, match="belongs to uid"):
        open_owned(str(path), ME + 1)


def test_a_hard_link_is_refused(tmp_path: Path) -> None:
    """A hard link may point at a file its planter cannot read."""
    elsewhere = tmp_path / "secret"
    elsewhere.write_text("root only\n")
    path = tmp_path / "postmaster.pid"
    os.link(elsewhere, path)

    with pytest.raises(UnexpectedFile, match="2 links"):
        read_owned(str(path), ME)


def test_reads_are_bounded_and_tail_reads_the_end(tmp_path: Path) -> None:
    path = tmp_path / "postgres.log"
    path.write_bytes(b"a" * 1000 + b"LAST LINE\n")

    assert read_owned(str(path), ME, limit=10) == b"a" * 10
    assert read_owned(str(path), ME, limit=10, tail=True) == b"LAST LINE\n"
