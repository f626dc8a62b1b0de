"""What one nox run has done so far: its seed and which layers ran for which package.

nox runs every session in one process, so module state is run state.
"""

from __future__ import annotations

import os
import random

__all__ = ["ran", "record", "seed", "session_names"]

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
