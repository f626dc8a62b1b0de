"""``toolkit reproduce <package> -- <pytest args>``: a finding's command, self-contained.

An isolation finding must show its failure when pasted into a fresh shell at the
repository root: no server running, no variables exported. This starts a server (the
usual provider rules), builds the package's template (its setup commands), applies
its ``[tool.toolkit.env]``, runs pytest in the package's folder with the given
arguments (test ids in the order to run them), stops the server, and exits with
pytest's code. It runs in the package's environment, the one its sessions use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

__all__ = ["environ_for", "reproduce"]

#: The database name a reproduction uses (never one a session is using).
REPRODUCE_SUFFIX = "reproduce"


def environ_for(root: Path | str, package_name: str) -> tuple[Path, dict[str, str], ExitStack]:
    """Folder, environment and cleanup to run ``package_name``'s tests as its sessions do."""
    from toolkit.host.config import load_config
    from toolkit.testing.database import ensure_package_template
    from toolkit.variables import POSTGRES_VERSION, TEMPLATE

    config = load_config(root)
    package = config.package(package_name)
    environ = dict(package.env)
    cleanup = ExitStack()
    if package.needs_database:
        from toolkit.postgres import start_server

        if config.postgres:  # the repository's major, unless the environment names one
            os.environ.setdefault(POSTGRES_VERSION, config.postgres)

        server = cleanup.enter_context(start_server())
        try:
            template = ensure_package_template(package, server)
        except BaseException:
            cleanup.close()
            raise
        database = f"{package.name.replace('-', '_')}_{REPRODUCE_SUFFIX}"
        environ |= server.environ(database, package.database_url_scheme)
        environ[TEMPLATE] = template
    return package.path, environ, cleanup


def reproduce(package_name: str, pytest_args: Sequence[str], root: Path | str = ".") -> int:
    """Run pytest for ``package_name`` with ``pytest_args``; pytest's exit code."""
    from toolkit._foreground import run_foreground

    folder, environ, cleanup = environ_for(root, package_name)
    with cleanup:
        return run_foreground(
            [sys.executable, "-m", "pytest", *pytest_args], {**os.environ, **environ}, cwd=folder
        )
