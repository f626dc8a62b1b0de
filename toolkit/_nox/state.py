"""What one nox run has done so far: its seed and which layers ran for which package.

nox runs every session in one process, so module state is run state.
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nox

    from toolkit._nox.reports import Outcome
    from toolkit.changes import Selection
    from toolkit.config import Package, RepoConfig

__all__ = [
    "changed_since",
    "notify",
    "outcome",
    "pytest_args",
    "ran",
    "record",
    "seed",
    "selection",
    "session_names",
    "set_outcome",
]

CHANGED_SINCE_OPTION = "--changed-since="

#: Registered name of each session (a noxfile may rename them), for ``session.notify``.
session_names: dict[str, str] = {}

_seed: int | None = None
_ran: dict[str, list[str]] = {}


def seed() -> int:
    """The run's random-order seed: ``TOOLKIT_SEED``, else drawn once per run."""
    global _seed
    if _seed is None:
        raw = os.environ.get("TOOLKIT_SEED", "").strip()
        _seed = int(raw) if raw.isdigit() else random.Random().randrange(10**9)
    return _seed


def record(package: str, layer: str) -> None:
    layers = _ran.setdefault(package, [])
    if layer not in layers:
        layers.append(layer)


def ran() -> dict[str, list[str]]:
    return {name: list(layers) for name, layers in _ran.items()}


_outcomes: dict[tuple[str, str], Outcome] = {}


def set_outcome(config: RepoConfig, package: Package, layer: str, outcome: Outcome) -> None:
    """How the layer ended in this run, kept for the summary (also on disk, for CI jobs
    that pool reports)."""
    from toolkit._nox import reports

    _outcomes[package.name, layer] = outcome
    reports.write_outcome(config, package, layer, outcome)


def outcome(package: str, layer: str) -> Outcome | None:
    """How the layer ended in this run, if it did."""
    return _outcomes.get((package, layer))


def notify(session: nox.Session, name: str, package: Package | None = None) -> None:
    """Queue one of the toolkit's sessions (under its registered name) after this one.

    nox refuses ``notify`` under ``--no-dependencies``, which ``--parallel`` uses for
    each session: there the user runs coverage and summary explicitly.
    """
    target = session_names.get(name, name) + (f"({package.name})" if package else "")
    try:
        session.notify(target)
    except ValueError:
        session.log(f"not queueing {target} (nox runs without dependencies); run it explicitly")


def changed_since(session: nox.Session) -> str | None:
    """``--changed-since=REF`` among the session's arguments, else ``TOOLKIT_CHANGED_SINCE``."""
    for arg in session.posargs:
        if arg.startswith(CHANGED_SINCE_OPTION):
            return arg.removeprefix(CHANGED_SINCE_OPTION) or None
    return os.environ.get("TOOLKIT_CHANGED_SINCE") or None


def pytest_args(session: nox.Session) -> list[str]:
    """The session's arguments meant for pytest (the toolkit's own removed)."""
    return [arg for arg in session.posargs if not arg.startswith(CHANGED_SINCE_OPTION)]


_selections: dict[str, Selection] = {}


def selection(session: nox.Session, config: RepoConfig) -> Selection | None:
    """The run's changed-package selection (computed once), or None to run everything."""
    ref = changed_since(session)
    if ref is None:
        return None
    if ref not in _selections:
        from toolkit.changes import select

        _selections[ref] = select(config, ref)
    return _selections[ref]
