"""Open a file another account can reach, as root, without being led anywhere.

The embedded server runs as another user, and everything in its data folder is that
user's to replace: a ``postmaster.pid`` may become a FIFO (a plain ``open()`` blocks
until someone writes to it: forever), a symlink to ``/dev/zero`` (a plain ``read()``
never ends), a hard link to a file of root's, or a file gigabytes long. Every file the
supervisor reads in a folder someone else can write to goes through
:func:`open_owned`: opened without following a link and without blocking, accepted
only as a regular file with one link, owned by the account expected to have written
it; :func:`read_owned` then reads a bounded number of bytes from it.

Standard library only: the supervisor imports it and must start in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time

__all__ = ["UnexpectedFile", "open_owned", "read_owned", "remove_tree"]

#: Enough for ``postmaster.pid`` (about 100 bytes) and a log's last lines.
DEFAULT_LIMIT = 64 * 1024

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class UnexpectedFile(OSError):
    """Something other than a regular file of the expected owner sits at that path."""


def open_owned(path: str, owner: int) -> int:
    """A read-only descriptor on ``path``: a regular file of ``owner`` with one link.

    ``O_NOFOLLOW`` refuses a symlink, ``O_NONBLOCK`` makes opening a FIFO return at
    once (it is then refused as no regular file), and the link count refuses a hard
    link to a file that lives elsewhere. Raises :class:`UnexpectedFile` (an OSError)
    for anything else, and OSError when there is nothing to open.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnexpectedFile(f"{path} is not a regular file")
        if info.st_uid != owner:
            raise UnexpectedFile(f"{path} belongs to uid {info.st_uid}, not {owner}")
        if info.st_nlink != 1:
            raise UnexpectedFile(f"{path} has {info.st_nlink} links")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_owned(path: str, owner: int, *, limit: int = DEFAULT_LIMIT, tail: bool = False) -> bytes:
    """At most ``limit`` bytes of ``path`` (its last ones with ``tail``), opened with
    :func:`open_owned`; OSError when it is missing or not what it should be."""
    fd = open_owned(path, owner)
    try:
        if tail:
            size = os.fstat(fd).st_size
            if size > limit:
                os.lseek(fd, size - limit, os.SEEK_SET)
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(path: str, *, seconds: float = 30.0) -> None:
    """Remove ``path`` and everything in it, as ``shutil.rmtree`` does without following
    a link, but at any depth, with two descriptors open at most, and within
    ``seconds``.

    ``shutil.rmtree`` recurses once per level (before Python 3.13): a tree thousands
    of levels deep, which the server's user can make in its data folder, ends it in
    ``RecursionError`` and leaves the folder behind for every later start to trip on.
    Here each folder's subfolders are first moved up to the top (``renameat`` moves a
    name, never follows it), so no folder is ever more than one level down; files and
    links are unlinked where they are. Errors are ignored, as ``ignore_errors`` does,
    and so is what someone still adding files leaves when the time is up.
    """
    deadline = time.monotonic() + seconds
    try:
        top = os.open(path, _DIRECTORY)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)  # a file or a link where a folder was expected
        return
    try:
        pending: list[str] = []
        for entry in os.scandir(top):
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.name)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.name, dir_fd=top)
        moved = 0
        while pending and time.monotonic() < deadline:
            name = pending[-1]
            try:
                folder = os.open(name, _DIRECTORY, dir_fd=top)
            except OSError:
                pending.pop()
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=top)  # swapped for a link meanwhile
                continue
            found_folders = False
            try:
                for entry in os.scandir(folder):
                    if entry.is_dir(follow_symlinks=False):
                        moved += 1
                        new = f".removing-{os.getpid()}-{moved}"
                        with contextlib.suppress(OSError):
                            os.rename(entry.name, new, src_dir_fd=folder, dst_dir_fd=top)
                            pending.append(new)
                            found_folders = True
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.name, dir_fd=folder)
            finally:
                os.close(folder)
            if not found_folders:  # emptied: its subfolders were handled before it
                pending.pop()
                with contextlib.suppress(OSError):
                    os.rmdir(name, dir_fd=top)
    finally:
        os.close(top)
    with contextlib.suppress(OSError):
        os.rmdir(path)
