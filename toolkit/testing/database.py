"""The package's own database, whatever its tests use: built by its setup, cloned per process.

Most apps read ``DATABASE_URL`` themselves and never touch the toolkit's fixtures. For
them the sessions hand over two variables: ``DATABASE_URL`` (with ``PG*``) naming the
package's database, and ``TOOLKIT_DATABASE_TEMPLATE`` naming a template database that
the package's ``setup`` commands (migrations, data scripts) built once. Every pytest
process then (re)creates its database from that template before any conftest is
imported (:func:`prepare_process_database`, called by the plugin), so a layer, an
xdist worker (``<database>_gw<N>``) and each isolation run start from the same state,
and the app's settings read a URL that already works.

Runs inside a package's environment (psycopg is there); the nox host only starts it.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit, urlunsplit

from toolkit.errors import ToolkitError
from toolkit.variables import TEMPLATE

if TYPE_CHECKING:
    from toolkit.host.config import Package
    from toolkit.postgres.server import Server

__all__ = [
    "SetupSchema",
    "ensure_package_template",
    "prepare_process_database",
    "spawns_workers",
]


def _source_files(package: Package) -> Iterator[Path]:
    """The package's files a setup command may read: everything but tests and tooling."""
    from toolkit.postgres.schema import package_files

    tests = {path for layer in package.test_dirs if (path := package.test_dir(layer))}
    return package_files(package.path, tests)


@dataclass(frozen=True)
class SetupSchema:
    """A template built by the package's own commands (``[tool.toolkit] setup``).

    Its fingerprint covers the commands, the package's env and URL scheme, every
    source file (migrations, models, data scripts, their data files) and what is
    installed in its environment (:func:`~toolkit.postgres.schema.installed_digest`):
    changing any of them builds a new template; editing tests does not. The built
    template is kept across runs (:mod:`toolkit.postgres._stored_templates`).
    """

    package: Package
    #: A setup is slow to run: the built template is kept across runs.
    stored: ClassVar[bool] = True

    @property
    def family(self) -> str:
        """Whose template it is: a newer one of the same package replaces older ones."""
        return f"{socket.gethostname()}:{self.package.path.resolve()}:setup"

    def fingerprint(self) -> str:
        from toolkit.postgres.schema import installed_digest

        digest = hashlib.sha256()
        for part in (
            *self.package.setup,
            *(f"{key}={value}" for key, value in sorted(self.package.env.items())),
            self.package.database_url_scheme,
        ):
            digest.update(part.encode() + b"\0")
        for path in _source_files(self.package):
            digest.update(str(path.relative_to(self.package.path)).encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                continue  # a dangling link or a file that vanished: nothing to read
        digest.update(f"installed\0{installed_digest([self.package.path])}".encode())
        return digest.hexdigest()

    def apply(self, url: str) -> None:
        from toolkit.postgres.urls import parse_url

        server = parse_url(url, source="the template database's URL")
        env = {
            **os.environ,
            **self.package.env,
            **server.environ(server.database, self.package.database_url_scheme),
        }
        bin_dir = Path(sys.executable).parent
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
        for command in self.package.setup:
            _run_setup_command(self.package, command, env)


def _run_setup_command(package: Package, command: str, env: Mapping[str, str]) -> None:
    where = f"setup command {command!r} of {package.name}"
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise ToolkitError(f"{where} cannot be parsed ({error})", "fix its quoting") from None
    program = shutil.which(argv[0], path=env["PATH"]) if argv else None
    if program is None:
        raise ToolkitError(
            f"{where}: {argv[0] if argv else command!r} is not installed in its environment",
            "add it to the package's dependencies or its test group",
        )
    # The template's name is this process's only output: the commands talk on stderr.
    output: list[str] = []
    with subprocess.Popen(
        [program, *argv[1:]],
        cwd=package.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stderr.write(line)
            output.append(line)
    if child.returncode != 0:
        from toolkit.postgres.extensions import explain

        extension = explain(RuntimeError("".join(output)))
        if extension is not None:  # the most common reason real migrations fail here
            raise ToolkitError(f"{where} failed: {extension.cause}", extension.fix)
        raise ToolkitError(
            f"{where} failed with exit code {child.returncode} (its output is above)",
            f"fix it, then try it by hand in {package.path} with DATABASE_URL set",
        )


def ensure_package_template(package: Package, server: Server) -> str:
    """The template for ``package`` on ``server``: its setup's, else an empty database."""
    from toolkit.postgres.databases import ensure_template
    from toolkit.postgres.schema import EmptySchema

    return ensure_template(server, SetupSchema(package) if package.setup else EmptySchema())


def _renamed(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def spawns_workers(options: object, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether pytest's (early) ``options`` make this process an xdist controller: one
    that starts workers and runs no test itself, so needs no database of its own.

    Read before xdist resolves its options (conftests load first): ``-n N``, ``-n
    auto`` (``PYTEST_XDIST_AUTO_NUM_WORKERS=0`` and ``--pdb`` make that none) or
    ``--tx``; ``--collect-only`` collects in the controller, which then keeps its
    database (collection may import the app).
    """
    numprocesses = getattr(options, "numprocesses", None)
    if getattr(options, "collectonly", False):
        return False
    if numprocesses in ("auto", "logical"):
        if getattr(options, "usepdb", False):
            return False
        return environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").strip() != "0"
    if isinstance(numprocesses, int):
        return numprocesses > 0
    return bool(getattr(options, "tx", None))


def prepare_process_database(
    environ: os._Environ[str] | dict[str, str] = os.environ, *, controller: bool = False
) -> None:
    """Create this process's database fresh from the template the sessions named.

    Under xdist each worker gets ``<database>_<worker>`` and its own ``DATABASE_URL``
    and ``PGDATABASE``; the ``controller`` (:func:`spawns_workers`) runs no test and
    gets none. Without ``TOOLKIT_DATABASE_TEMPLATE`` nothing happens: a user's own
    ``DATABASE_URL`` is never touched.
    """
    template = environ.get(TEMPLATE)
    url = environ.get("DATABASE_URL")
    if not template or not url or (controller and not environ.get("PYTEST_XDIST_WORKER")):
        return
    import psycopg

    from toolkit.postgres.databases import clone_database
    from toolkit.postgres.urls import parse_url

    server = parse_url(url, source="DATABASE_URL")
    database = server.database
    worker = environ.get("PYTEST_XDIST_WORKER")
    if worker:
        database = f"{database}_{worker}"
        environ["DATABASE_URL"] = _renamed(url, database)
        environ["PGDATABASE"] = database
    try:
        clone_database(server, template, database)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ToolkitError(
            f"cannot create database {database!r} from template {template!r} on "
            f"{server.host}:{server.port} ({reason})",
            "check that the run's server is up (it stops when the nox run ends)",
        ) from None
