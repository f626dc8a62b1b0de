from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.postgres._owned_files import UnexpectedFile, open_owned, read_owned, remove_tree

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


def test_a_tree_thousands_of_levels_deep_is_removed_without_following_links(
    tmp_path: Path,
) -> None:
    """The server's user can nest folders deeper than shutil.rmtree can recurse (before
    Python 3.13); a folder it leaves must not stop every later start."""
    top, outside = tmp_path / "runtime", tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("root's")
    top.mkdir()
    os.symlink(outside, top / "link")
    folder = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):  # deeper than a path may be long: one level at a time
        os.mkdir("d", dir_fd=folder)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
        os.close(folder)
        folder = inner
        os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=folder))
    os.close(folder)

    remove_tree(str(top))

    assert not top.exists()
    assert (outside / "keep").read_text() == "root's"


def test_a_file_where_a_tree_was_expected_is_removed(tmp_path: Path) -> None:
    (tmp_path / "runtime").write_text("")

    remove_tree(str(tmp_path / "runtime"))

    assert not (tmp_path / "runtime").exists()
