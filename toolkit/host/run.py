"""One nox run: its configuration, seed, what each package's layers did, its server.

nox runs every session of a run in one process. The :class:`Run` is created when the
sessions are registered and handed to every session's work, so nothing lives in
module globals and the work can be unit-tested with a fresh ``Run``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.host.database import RunDatabase
from toolkit.variables import POSTGRES_VERSION

if TYPE_CHECKING:
    import nox

    from toolkit.host.changes import Selection
    from toolkit.host.config import Package, RepoConfig
    from toolkit.host.reports import Outcome

__all__ = [
    "CHANGED_SINCE_OPTION",
    "NO_CACHE_OPTION",
    "Run",
    "changed_since",
    "changed_since_in",
    "pytest_args",
    "seed_from_env",
]

CHANGED_SINCE_OPTION = "--changed-since="
#: ``nox -s unit -- --no-cache``: run the tests whatever the result cache holds.
NO_CACHE_OPTION = "--no-cache"


@dataclass
class Run:
    """What one nox run knows and has done so far."""

    config: RepoConfig
    #: Registered name of each session (a noxfile may rename them), for ``notify``.
    session_names: dict[str, str] = field(default_factory=dict)
    database: RunDatabase = field(default_factory=RunDatabase)
    _seed: int | None = None
    _ran: dict[str, list[str]] = field(default_factory=dict)
    _outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    _selections: dict[str, Selection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.config.postgres and not os.environ.get(POSTGRES_VERSION):
            self.database.server_environ[POSTGRES_VERSION] = self.config.postgres

    def seed(self) -> int:
        """The run's random-order seed: ``TOOLKIT_SEED``, else drawn once per run."""
        if self._seed is None:
            given = seed_from_env()
            self._seed = given if given is not None else random.Random().randrange(10**9)
        return self._seed

    def record(self, package: str, layer: str) -> None:
        """A layer session started for ``package``: it gets a row in the summary."""
        layers = self._ran.setdefault(package, [])
        if layer not in layers:
            layers.append(layer)

    def ran(self) -> dict[str, list[str]]:
        return {name: list(layers) for name, layers in self._ran.items()}

    def set_outcome(self, package: Package, layer: str, outcome: Outcome) -> None:
        """How the layer ended in this run, kept for the summary (also on disk, for CI
        jobs that pool reports)."""
        from toolkit.host import reports

        self._outcomes[package.name, layer] = outcome
        reports.write_outcome(self.config, package, layer, outcome)

    def outcome(self, package: str, layer: str) -> Outcome | None:
        """How the layer ended in this run, if it did."""
        return self._outcomes.get((package, layer))

    def notify(self, session: nox.Session, name: str, package: Package | None = None) -> None:
        """Queue one of the toolkit's sessions (under its registered name) after this one.

        nox refuses ``notify`` under ``--no-dependencies``, which ``--parallel`` uses for
        each session: there the user runs coverage and summary explicitly.
        """
        target = self.session_names.get(name, name) + (f"({package.name})" if package else "")
        try:
            session.notify(target)
        except ValueError:
            session.log(f"not queueing {target} (nox runs without dependencies); run it explicitly")

    def selection(self, session: nox.Session) -> Selection | None:
        """The run's changed-package selection (computed once), or None to run everything."""
        ref = changed_since(session)
        return None if ref is None else self.select(ref)

    def select(self, ref: str) -> Selection:
        """The packages changed since ``ref`` (computed once per ref)."""
        if ref not in self._selections:
            from toolkit.host.changes import select

            self._selections[ref] = select(self.config, ref)
        return self._selections[ref]


def seed_from_env() -> int | None:
    """``TOOLKIT_SEED`` (None when unset). A value that is no seed is refused: the user
    asked to replay an order, and a run in another order would pass for the replay."""
    raw = os.environ.get("TOOLKIT_SEED", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ToolkitError(
            f"TOOLKIT_SEED={raw!r} is not a seed",
            "use the whole number a run printed (replay: TOOLKIT_SEED=1234), or unset it",
        )
    return int(raw)


def changed_since(session: nox.Session) -> str | None:
    """``--changed-since=REF`` among the session's arguments, else ``TOOLKIT_CHANGED_SINCE``."""
    return changed_since_in(session.posargs)


def changed_since_in(posargs: Sequence[str]) -> str | None:
    """``--changed-since=REF`` among ``posargs``, else ``TOOLKIT_CHANGED_SINCE``."""
    for arg in posargs:
        if arg.startswith(CHANGED_SINCE_OPTION):
            return arg.removeprefix(CHANGED_SINCE_OPTION) or None
    return os.environ.get("TOOLKIT_CHANGED_SINCE") or None


def pytest_args(session: nox.Session) -> list[str]:
    """The session's arguments meant for pytest (the toolkit's own removed)."""
    return [
        arg
        for arg in session.posargs
        if not arg.startswith(CHANGED_SINCE_OPTION) and arg != NO_CACHE_OPTION
    ]
