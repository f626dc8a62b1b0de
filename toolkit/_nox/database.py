"""One PostgreSQL server for the whole nox run, owned by nox's process.

The server is started by ``toolkit postgres --until-eof`` from the first package
environment that needs it (the host itself has no database driver), and serves every
package, each in its own database. Its stdin is a pipe from nox: when nox ends,
however it ends, the pipe closes and the server is stopped and erased.
"""

from __future__ import annotations

import atexit
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import nox

__all__ = ["RunServer", "server_for_run"]


@dataclass(frozen=True)
class RunServer:
    url: str  # libpq URI of the maintenance database

    def environ(self, database: str) -> dict[str, str]:
        """DATABASE_URL and PG* naming ``database`` on this server."""
        parts = urlsplit(self.url)
        url = urlunsplit(parts._replace(path=f"/{database}"))
        env = {
            "DATABASE_URL": url,
            "PGHOST": parts.hostname or "",
            "PGPORT": str(parts.port or 5432),
            "PGUSER": parts.username or "",
            "PGDATABASE": database,
        }
        if parts.password is not None:
            env["PGPASSWORD"] = parts.password
        return env


_process: subprocess.Popen[bytes] | None = None
_server: RunServer | None = None


def _stop() -> None:
    if _process is not None and _process.poll() is None:
        assert _process.stdin is not None
        _process.stdin.close()
        _process.wait()


def server_for_run(session: nox.Session, python: Path) -> RunServer:
    """The run's server, started on first use with the toolkit in ``python``'s venv."""
    global _process, _server
    if _server is not None and _process is not None and _process.poll() is None:
        return _server
    session.log("starting PostgreSQL for this run (TOOLKIT_POSTGRES decides where from)")
    _process = subprocess.Popen(
        [str(python), "-m", "toolkit", "postgres", "--until-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    atexit.register(_stop)
    assert _process.stdout is not None and _process.stderr is not None
    url = _process.stdout.readline().decode().strip()
    if not url:
        _process.wait()
        lines = _process.stderr.read().decode().strip().splitlines()
        session.error(lines[-1] if lines else f"toolkit postgres exited with {_process.returncode}")
    _server = RunServer(url)
    session.log(f"PostgreSQL for this run: {url}")
    return _server
