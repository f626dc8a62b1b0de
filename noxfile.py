"""This repository's sessions: the toolkit's own, reused exactly as another repo would.

nox -s unit integration coverage isolation     # the sample services
nox -s tests                                   # the toolkit's own test suite
nox -s lint                                    # ruff and mypy, as CI runs them
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import nox

# This repository is the toolkit: its sessions come from the checkout itself, so that
# `pip install nox uv && nox` works from a fresh clone. nox does not put the noxfile's
# folder on sys.path; other repositories install the toolkit instead (see the README).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import toolkit.sessions  # noqa: F401  (registers unit, integration, coverage, isolation, summary)

nox.options.sessions = ["unit", "integration"]


LINT_TOOLS = ("ruff>=0.9", "mypy>=1.13")


@nox.session(python="3.12", venv_backend="uv|virtualenv", tags=["toolkit"])
def lint(session: nox.Session) -> None:
    """ruff (rules and format) on the repository; mypy --strict on the toolkit and the
    samples' shared library, mypy's default checks on the sample services."""
    samples = [f"-e{folder}" for folder in sorted(glob.glob("libs/*") + glob.glob("services/*"))]
    session.install(
        *LINT_TOOLS, "nox", "-e", ".[embedded,docker,runner,fixtures,fastapi,alembic]", *samples
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "toolkit")
    session.run("mypy", *sorted(glob.glob("libs/*/src/*") + glob.glob("services/*/src/*")))


@nox.session(python="3.12", venv_backend="uv|virtualenv", tags=["toolkit"])
def tests(session: nox.Session) -> None:
    """The toolkit's own tests (unit and integration, real PostgreSQL)."""
    session.install(
        "-e",
        ".[embedded,docker,runner]",
        *nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "test"),
    )
    session.run("pytest", *session.posargs)
