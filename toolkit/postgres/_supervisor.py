"""Own one embedded PostgreSQL server from first file to last, then erase it.

The owning process (a pytest session, ``toolkit postgres``, a nox run) starts this
script with a pipe on its stdin and never writes to it. When the owner goes away, for
whatever reason, SIGKILL included, the kernel closes the pipe, this script reads EOF,
stops the server and removes every file it made. Putting the whole life cycle in one
small process is what makes "nothing is left behind" hold on every exit path; the
postmaster also carries PR_SET_PDEATHSIG, so it dies even if this script is killed.

It is a guardian (:mod:`toolkit.postgres._guardian`: ``python -I -m
toolkit.postgres._supervisor CONFIG``) and uses the standard library only, so it starts
in a few milliseconds. It reports on stdout exactly one JSON line: either the server's
coordinates or ``{"error": "..."}`` (a one-line message for the user).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

# ``typing`` costs a guardian milliseconds at every start; mypy reads the names anyway.
from toolkit._lifetime import dies_with_parent
from toolkit.postgres._guardian import (
    CLEANUP_DEADLINE,
    OwnerGone,
    alive,
    exit_on_signals,
    report,
    until_owner_leaves,
)
from toolkit.postgres._owned_files import open_owned, read_owned, remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_PREFIX = "toolkit-pg-"
_OWNER_FILE = "supervisor.pid"
_READY_TIMEOUT = 60.0
_PORT_ATTEMPTS = 8
_SUPERUSER = "postgres"
# The password is 32 random bytes: key stretching protects weak passwords and buys
# nothing here, while every connection (each clone, each worker) pays for it.
_SCRAM_ITERATIONS = 64


class _Failure(Exception):
    """A one-line, user-facing reason the server could not be started."""


def _as_user(config: dict[str, Any]) -> dict[str, Any]:
    """Popen arguments that drop root to the configured user, if any."""
    if config.get("uid") is None:
        return {}
    return {"user": config["uid"], "group": config["gid"], "extra_groups": []}


def _read_pid(path: str, owner: int) -> int | None:
    """The number in a pid file of ``owner``'s; None if it is anything else (a link, a
    FIFO, another user's file) or holds no usable pid."""
    try:
        first = read_owned(path, owner, limit=64).split(b"\n", 1)[0].strip()
        pid = int(first)
    except (OSError, ValueError):
        return None
    return pid if pid > 1 else None


def _postmaster_lines(data_dir: str, uid: int) -> list[str]:
    """The lines of ``postmaster.pid``, a file of the server's user: read as any file that
    user can replace (:mod:`toolkit.postgres._owned_files`); empty when unusable."""
    try:
        raw = read_owned(os.path.join(data_dir, "postmaster.pid"), uid, limit=4096)
    except OSError:
        return []
    return raw.decode(errors="replace").splitlines()


def _is_postmaster_of(pid: int, data_dir: str, uid: int) -> bool:
    """Whether ``pid`` is a live process of ``uid`` whose working folder is ``data_dir``.

    A postmaster changes into its data folder at start, so ``/proc/<pid>/cwd`` names
    it: a pid written into a file by anyone else cannot pass for one.
    """
    try:
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            return False
        if int(fields["Uid"].split()[0]) != uid:
            return False
        return os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(data_dir)
    except (OSError, KeyError, ValueError, IndexError):
        return False


def _sweep(base: str, server_uid: int | None) -> None:
    """Remove servers whose supervisor was killed outright (kill -9 of this script).

    Only entries this user made (the base is a verified folder of ours) are
    considered, and a process is signalled only if it is provably the postmaster of
    that entry's data folder, run by the server's user.
    """
    me = os.geteuid()
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != me:
            continue
        owner = _read_pid(os.path.join(entry.path, _OWNER_FILE), me)
        if owner is None or alive(owner):
            continue  # still being set up, or still owned
        data_dir = os.path.join(entry.path, "data")
        uid = me if server_uid is None else server_uid
        postmaster = _read_pid(os.path.join(data_dir, "postmaster.pid"), uid)
        if postmaster is not None and _is_postmaster_of(postmaster, data_dir, uid):
            with contextlib.suppress(OSError):
                os.kill(postmaster, signal.SIGQUIT)
            deadline = time.monotonic() + 5
            while alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.005)
        _release_shared_memory(data_dir, uid)
        remove_tree(entry.path, seconds=10.0)


def _copy_tree(source: str, target: str) -> None:
    """``cp -a`` is several times faster than shutil.copytree on a 40 MB data dir.

    Only for trees no one else can write to (our cache into a folder only we enter).
    """
    if shutil.which("cp"):
        result = subprocess.run(
            ["cp", "-a", source, target], capture_output=True, check=False, text=True
        )
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise _Failure(
                f"could not copy the cached data folder into {os.path.dirname(target)}: "
                f"{lines[0] if lines else f'cp exited with {result.returncode}'}; "
                "free space there (df -h) or set TOOLKIT_RUNTIME_DIR to a folder with room"
            )
    else:
        shutil.copytree(source, target, symlinks=True)


def _chown_tree(path: str, uid: int, gid: int) -> None:
    """Hand a tree we alone can reach to the server's user, never following a link."""
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid, follow_symlinks=False)
        for name in files + dirs:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


#: More than any initdb output (about 28 MB): a cold data folder grown past this was
#: filled by someone else, and is not copied into root's cache.
_COPY_LIMIT = 512 * 1024 * 1024


def _copy_untrusted(
    source: str, target: str, owner: tuple[int, int] | None, budget: list[int] | None = None
) -> None:
    """Copy a tree another user can write to (the server's fresh data folder).

    Walks with lstat, refuses symlinks and special files, and opens every file with
    :func:`open_owned` (no link followed, no FIFO waited on, a regular file of the
    server's user with one link): a link planted mid-copy, or a hard link to a file
    the server's user may not read, makes the copy fail instead. At most
    ``_COPY_LIMIT`` bytes are copied in all. The copy is given to ``owner`` by
    descriptor, so that warm starts (``cp -a``) need no chown.
    """
    budget = [_COPY_LIMIT] if budget is None else budget
    writer = owner[0] if owner is not None else os.geteuid()
    os.mkdir(target, 0o700)
    if owner is not None:
        os.chown(target, *owner, follow_symlinks=False)  # in our 0700 cache: no one else
    for name in os.listdir(source):
        origin, copy = os.path.join(source, name), os.path.join(target, name)
        info = os.lstat(origin)
        if stat.S_ISDIR(info.st_mode):
            _copy_untrusted(origin, copy, owner, budget)
        elif stat.S_ISREG(info.st_mode):
            fd = open_owned(origin, writer)
            try:
                out = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                try:
                    if owner is not None:
                        os.fchown(out, *owner)
                    while chunk := os.read(fd, 1 << 20):
                        budget[0] -= len(chunk)
                        if budget[0] < 0:
                            raise OSError(f"{source} holds more than initdb writes")
                        os.write(out, chunk)
                finally:
                    os.close(out)
            finally:
                os.close(fd)
        else:
            raise OSError(f"{origin} is not a regular file or folder")


def _private_fd(path: str, content: str) -> int:
    """A new 0600 file holding ``content``; refuses an existing file or a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.write(fd, content.encode())
    return fd


def _private_file(path: str, content: str, config: dict[str, Any]) -> str:
    """A new 0600 file, written and handed to the server's user by descriptor."""
    fd = _private_fd(path, content)
    try:
        if config.get("uid") is not None:
            os.fchown(fd, config["uid"], config["gid"])
    finally:
        os.close(fd)
    return path


def _initdb(config: dict[str, Any], data_dir: str) -> None:
    """initdb with password authentication on TCP; the password is replaced per server."""
    result = subprocess.run(
        [
            os.path.join(config["bin"], "initdb"),
            "-D",
            data_dir,
            *config["initdb_args"],
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={config['pwfile']}",
        ],
        capture_output=True,
        check=False,
        text=True,
        **_as_user(config),
    )
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise _Failure(
            f"initdb failed in {config['bin']}: {detail[-1] if detail else result.returncode}; "
            "point TOOLKIT_POSTGRES_BIN at a working PostgreSQL installation"
        )


def _prepare_data_dir(config: dict[str, Any], runtime: str, data_dir: str) -> None:
    """Copy the cached initdb output; on a cold cache, initdb and fill the cache.

    ``runtime`` is ours and closed to everyone (0700) on entry: a warm copy and its
    hand-over to the server's user happen where nobody else can plant anything. A cold
    start lets the server's user in to run initdb, then reads its output with care.
    """
    cache = config["cache"]
    if os.path.exists(os.path.join(cache, "PG_VERSION")):
        with contextlib.suppress(OSError):
            os.utime(cache)  # least recently used goes first when the cache is pruned
        _copy_tree(cache, data_dir)
        if config.get("uid") is not None and os.lstat(data_dir).st_uid != config["uid"]:
            _chown_tree(data_dir, config["uid"], config["gid"])  # a cache made by another version
        return
    os.mkdir(data_dir, 0o700)
    if config.get("uid") is not None:
        os.chown(data_dir, config["uid"], config["gid"], follow_symlinks=False)
        os.chmod(runtime, 0o711)
    # initdb wants a password to enable password authentication; every server
    # replaces it (_set_password), so this one only has to be unguessable.
    config["pwfile"] = _private_file(
        os.path.join(runtime, "initdb.pw"), secrets.token_urlsafe(32) + "\n", config
    )
    try:
        _initdb(config, data_dir)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(config["pwfile"])
    # Publish the cache atomically: concurrent cold starts each copy to a private
    # name and rename; the first rename wins and the others discard their copy.
    os.makedirs(os.path.dirname(cache), mode=0o700, exist_ok=True)
    staging = f"{cache}.{os.getpid()}.tmp"
    try:
        owner = (config["uid"], config["gid"]) if config.get("uid") is not None else None
        _copy_untrusted(data_dir, staging, owner)
        os.rename(staging, cache)
    except OSError:
        pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(os.path.dirname(cache), keep=config.get("cache_keep", 3))


#: An entry used this recently may be being copied by a concurrent start: kept.
_PRUNE_AFTER = 3600.0


def _prune(folder: str, keep: int) -> None:
    """Drop all but the ``keep`` most recently used cache entries (each ~28 MB),
    sparing any used in the last hour."""
    entries = []
    for entry in os.scandir(folder):
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode) and not entry.name.endswith(".tmp"):
                entries.append((info.st_mtime, entry.path))
    cutoff = time.time() - _PRUNE_AFTER
    for used, path in sorted(entries, reverse=True)[keep:]:
        if used < cutoff:
            shutil.rmtree(path, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_tail(log_path: str) -> str:
    """The end of the server's log: root's file in root's folder, but the postmaster
    writes to it without limit, so only its last part is read."""
    try:
        return read_owned(log_path, os.geteuid(), tail=True).decode(errors="replace")
    except OSError:
        return ""


def _last_log_line(log_path: str) -> str:
    lines = [line.strip() for line in _log_tail(log_path).splitlines() if line.strip()]
    # "could not bind ...: Permission denied" says more than the FATAL that follows it.
    for marker in ("could not bind", "FATAL", "ERROR"):
        found = [line for line in lines if marker in line]
        if found:
            return marker + found[-1].split(marker, 1)[1]
    return lines[-1] if lines else "no log"


def _port_taken(log_path: str) -> bool:
    return "already in use" in _log_tail(log_path)


def _scram_verifier(password: str) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5803 format)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def encode(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return (
        f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{encode(salt)}"
        f"${encode(stored_key)}:{encode(server_key)}"
    )


def _message(sock: socket.socket) -> tuple[bytes, bytes]:
    header = b""
    while len(header) < 5:
        chunk = sock.recv(5 - len(header))
        if not chunk:
            raise _Failure("PostgreSQL closed the connection while its password was set")
        header += chunk
    kind, length = header[:1], struct.unpack("!I", header[1:])[0]
    body = b""
    while len(body) < length - 4:
        chunk = sock.recv(length - 4 - len(body))
        if not chunk:
            raise _Failure("PostgreSQL closed the connection while its password was set")
        body += chunk
    return kind, body


def _until_ready(sock: socket.socket) -> None:
    """Read to ReadyForQuery; an ErrorResponse becomes a _Failure with its message."""
    error = None
    while True:
        kind, body = _message(sock)
        if kind == b"E":
            fields = dict((item[:1], item[1:]) for item in body.split(b"\0") if item)
            error = fields.get(b"M", b"unknown error").decode(errors="replace")
        elif kind == b"R" and struct.unpack("!I", body[:4])[0] != 0:
            raise _Failure("the server's unix socket asked for a password (pg_hba.conf changed?)")
        elif kind == b"Z":
            if error:
                raise _Failure(f"could not set the server's password: {error}")
            return


def _set_password(socket_dir: str, port: int, password: str) -> None:
    """ALTER ROLE over the private unix socket, speaking the wire protocol directly.

    The supervisor uses the standard library only; the socket (in a folder only the
    server's user and root can enter) is the one way in without the password.
    """
    statement = f"ALTER ROLE {_SUPERUSER} PASSWORD '{_scram_verifier(password)}'"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(_READY_TIMEOUT)
        sock.connect(os.path.join(socket_dir, f".s.PGSQL.{port}"))
        params = f"user\0{_SUPERUSER}\0database\0postgres\0\0".encode()
        startup = struct.pack("!I", 196608) + params
        sock.sendall(struct.pack("!I", len(startup) + 4) + startup)
        _until_ready(sock)
        query = statement.encode() + b"\0"
        sock.sendall(b"Q" + struct.pack("!I", len(query) + 4) + query)
        _until_ready(sock)
        sock.sendall(b"X" + struct.pack("!I", 4))


#: Password on TCP for everyone; the unix socket (0700, in a folder of ours) for the
#: supervisor, as initdb --auth-local=trust --auth-host=scram-sha-256 writes it.
_HBA = """\
local all all trust
local replication all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
host replication all ::1/128 scram-sha-256
"""


def _hba_file(runtime: str) -> str:
    """pg_hba.conf written by this process in its own folder: readable by the server's
    user, writable by nobody else."""
    path = os.path.join(runtime, "pg_hba.conf")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, _HBA.encode())
        os.fchmod(fd, 0o644)
    finally:
        os.close(fd)
    return path


def _start_postmaster(
    config: dict[str, Any], runtime: str, data_dir: str, port: int
) -> subprocess.Popen[Any]:
    settings = {
        "port": str(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": os.path.join(runtime, "socket"),
        "unix_socket_permissions": "0700",
        # Who may log in is decided by a file of ours, never by the data folder's
        # pg_hba.conf: the server's user wrote that one (during a cold initdb it could
        # have added "trust" lines, which the initdb cache would then hand to every
        # later server).
        "hba_file": _hba_file(runtime),
        **config["settings"],
    }
    argv = [os.path.join(config["bin"], "postgres"), "-D", data_dir]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    # In our own folder, never the server user's: the postmaster writes through the
    # descriptor it inherits.
    log = os.open(
        os.path.join(runtime, "postgres.log"),
        os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW,
        0o600,
    )
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=dies_with_parent(signal.SIGQUIT),  # the postmaster dies with us
            **_as_user(config),
        )
    finally:
        os.close(log)


def _wait_ready(process: subprocess.Popen[Any], data_dir: str, uid: int) -> list[str] | None:
    """``postmaster.pid``'s lines once the server accepts connections; None if it
    exited first."""
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        lines = _postmaster_lines(data_dir, uid)
        if len(lines) > 7 and lines[7].strip() == "ready":
            return lines
        if process.poll() is not None:
            return None
        time.sleep(0.002)
    raise _Failure(f"PostgreSQL in {data_dir} was not ready after {_READY_TIMEOUT:.0f} s")


class _Served:
    """What cleanup needs to know about the server, learned while it was starting.

    The System V segment's id is read once, when the postmaster reports ready: at
    cleanup ``postmaster.pid`` is whatever the server's user left there.
    """

    __slots__ = ("process", "shmid")

    def __init__(self) -> None:
        self.process: subprocess.Popen[Any] | None = None
        self.shmid: int | None = None


def _shmid(lines: list[str]) -> int | None:
    """The segment id on line 7 of ``postmaster.pid`` (``key id``)."""
    try:
        return int(lines[6].split()[1])
    except (IndexError, ValueError):
        return None


def _serve(config: dict[str, Any], runtime: str, data_dir: str, served: _Served) -> None:
    log_path = os.path.join(runtime, "postgres.log")
    uid = _server_uid(config)
    chosen = config.get("port")
    for _ in range(1 if chosen else _PORT_ATTEMPTS):
        port = chosen or _free_port()
        served.process = process = _start_postmaster(config, runtime, data_dir, port)
        lines = _wait_ready(process, data_dir, uid)
        if lines is not None:
            served.shmid = _shmid(lines)
            password = secrets.token_urlsafe(32)
            try:
                _set_password(os.path.join(runtime, "socket"), port, password)
            except OSError as error:
                raise _Failure(f"could not set the server's password: {error}") from None
            report(
                {
                    "password": password,
                    "port": port,
                    "pid": process.pid,
                    "runtime_dir": runtime,
                    "data_dir": data_dir,
                    "socket_dir": os.path.join(runtime, "socket"),
                }
            )
            return
        reason = _last_log_line(log_path)
        if not _port_taken(log_path):
            hint = "; choose another port above 1023" if "could not bind" in reason else ""
            raise _Failure(f"PostgreSQL from {config['bin']} did not start: {reason}{hint}")
        if chosen:
            raise _Failure(
                f"port {port} is in use; free it or choose another with "
                "--port / TOOLKIT_POSTGRES_PORT (or leave it unset for a free port)"
            )
    raise _Failure(f"no free port after {_PORT_ATTEMPTS} attempts: {_last_log_line(log_path)}")


def _server_uid(config: dict[str, Any]) -> int:
    uid: int = config["uid"] if config.get("uid") is not None else os.geteuid()
    return uid


def _release_shared_memory(data_dir: str, uid: int, shmid: int | None = None) -> None:
    """Remove the System V segment of a postmaster that died without removing it.

    A postmaster killed outright (SIGKILL) leaves its segment behind; its id is the
    one ``postmaster.pid`` showed when the server became ready (else, for a sweep,
    what that file says now, read with care). Removed only if ``/proc/sysvipc/shm``
    shows it belongs to the server's user and nothing is attached any more: a
    wrong id costs nothing but that user's own segment.
    """
    if shmid is None:
        shmid = _shmid(_postmaster_lines(data_dir, uid))
        if shmid is None:
            return
    # The postmaster's children notice its death and detach within milliseconds.
    deadline = time.monotonic() + 2
    while True:
        try:
            with open("/proc/sysvipc/shm") as handle:
                rows = [line.split() for line in handle.readlines()[1:]]
        except OSError:
            return
        # key shmid perms size cpid lpid nattch uid gid cuid cgid ...
        row = next((row for row in rows if len(row) > 7 and row[1] == str(shmid)), None)
        if row is None or row[7] != str(uid):
            return  # removed by the postmaster itself, or not the server's
        if row[6] == "0":
            ctypes.CDLL(None, use_errno=True).shmctl(shmid, 0, None)  # IPC_RMID
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.005)


def _stop(process: subprocess.Popen[Any] | None) -> None:
    """Immediate shutdown: the data is thrown away, so crash safety buys nothing."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGQUIT)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    exit_on_signals()
    _sweep(config["runtime_base"], config.get("uid"))
    served = _Served()
    try:
        runtime = tempfile.mkdtemp(prefix=_PREFIX, dir=config["runtime_base"])
    except OSError as error:
        report(
            {
                "error": f"cannot create the server's folder in {config['runtime_base']}: "
                f"{error.strerror}; set TOOLKIT_RUNTIME_DIR to a writable folder"
            }
        )
        return 1
    try:
        # Everything root writes goes in here, a folder of ours (mode 0700 until the
        # server's user must pass through), never in a folder that user owns.
        os.close(_private_fd(os.path.join(runtime, _OWNER_FILE), str(os.getpid())))
        data_dir = os.path.join(runtime, "data")
        try:
            _prepare_data_dir(config, runtime, data_dir)
            # The unix socket lets its users in without the password: its folder is
            # the server user's own, closed to everyone else.
            socket_dir = os.path.join(runtime, "socket")
            os.mkdir(socket_dir, 0o700)
            if config.get("uid") is not None:
                os.chown(socket_dir, config["uid"], config["gid"], follow_symlinks=False)
                os.chmod(runtime, 0o711)
            _serve(config, runtime, data_dir, served)
        except _Failure as failure:
            report({"error": str(failure)})
            return 1
        except OSError as error:
            report({"error": _os_failure(error, runtime)})
            return 1
        except Exception as error:  # a bug, still reported as one line, not a traceback
            report({"error": f"the server supervisor failed: {type(error).__name__}: {error}"})
            return 1
        # Block until the owner closes the pipe: normal stop or owner death alike.
        until_owner_leaves()
        return 0
    except OwnerGone:
        return 0
    finally:
        _clean_up(served, runtime, _server_uid(config))


class _Overdue(Exception):
    """A cleanup step ran past the overall deadline."""


def _overdue(_signum: int, _frame: object) -> None:
    raise _Overdue


def _clean_up(served: _Served, runtime: str, uid: int) -> None:
    """Stop the server, release its memory, erase its files: within CLEANUP_DEADLINE.

    Each step is bounded by design, and a timer interrupts whichever still blocks (a
    system call the server's user found a way to stall), so the owner, who waits for
    this process, is never kept waiting without end. The files go last and always get
    a moment, even when an earlier step used up the time.
    """
    data_dir = os.path.join(runtime, "data")
    steps: tuple[tuple[Callable[[], None], float], ...] = (
        (lambda: _stop(served.process), 0.0),
        (lambda: _release_shared_memory(data_dir, uid, served.shmid), 0.0),
        (lambda: remove_tree(runtime), 2.0),
    )
    deadline = time.monotonic() + CLEANUP_DEADLINE
    previous = signal.signal(signal.SIGALRM, _overdue)
    try:
        for step, floor in steps:
            remaining = max(deadline - time.monotonic(), floor)
            if remaining <= 0:
                continue
            try:
                signal.setitimer(signal.ITIMER_REAL, remaining)
                try:
                    step()
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except _Overdue:
                continue
    finally:
        signal.signal(signal.SIGALRM, previous)


def _os_failure(error: OSError, runtime: str) -> str:
    where = error.filename or runtime
    if error.errno == errno.ENOSPC:
        return (
            f"no space left in {where} for the server's files; free space there (df -h) "
            "or set TOOLKIT_RUNTIME_DIR to a folder with room"
        )
    return (
        f"could not prepare the server's files in {runtime}: {error.strerror or error} "
        f"({where}); set TOOLKIT_RUNTIME_DIR to a folder of your own with room"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
