"""Where servers come from, in the order ``auto`` tries them: an existing server, a
container, embedded binaries.

Selection, the CLI and the errors all read :data:`REGISTRY`; a fourth provider is one
module with a :class:`~toolkit.postgres.provider.Provider` and one line here.
"""

from __future__ import annotations

from toolkit.postgres.provider import Provider
from toolkit.postgres.providers import docker, embedded, external

__all__ = ["REGISTRY", "registry"]

REGISTRY: tuple[Provider, ...] = (external.PROVIDER, docker.PROVIDER, embedded.PROVIDER)


def registry() -> tuple[Provider, ...]:
    """Every provider, in ``auto``'s order of preference."""
    return REGISTRY
