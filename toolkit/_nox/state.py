"""What one nox run has done so far: its seed and which layers ran for which package.

nox runs every session in one process, so module state is run state.
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nox

    from toolkit.config import Package

__all__ = ["notify", "ran", "record", "seed", "session_names"]

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
