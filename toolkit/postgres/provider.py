"""What a provider is: a name, a check that says why it cannot serve (or None when it
can), a ``start``, and the fix to offer when nothing can serve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolkit.postgres.server import Server

__all__ = ["Provider", "StartOptions"]


@dataclass(frozen=True)
class StartOptions:
    """What a caller may ask of a new server (providers ignore what they cannot do)."""

    port: int | None = None


@dataclass(frozen=True)
class Provider:
    name: str
    #: None when the provider can serve here; else why not, in a few words.
    available: Callable[[], str | None]
    start: Callable[[StartOptions], Server]
    #: What the user can do to make it available.
    fix: str
