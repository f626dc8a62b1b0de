"""Which provider serves this run: ``TOOLKIT_POSTGRES=auto|external|docker|embedded``.

``auto`` takes the first provider of :func:`toolkit.postgres.providers.registry` that is
available: an existing server named by ``TOOLKIT_POSTGRES_URL``, then a container when
an engine answers, then embedded binaries. An explicit choice is never silently
replaced: if it cannot work, the user hears why.
"""

from __future__ import annotations

import os

from toolkit.errors import ToolkitError
from toolkit.postgres.provider import Provider
from toolkit.postgres.providers import registry

__all__ = ["choices", "choose_provider"]


def choices() -> tuple[str, ...]:
    """What ``TOOLKIT_POSTGRES`` and ``--provider`` accept."""
    return ("auto", *(provider.name for provider in registry()))


def choose_provider(requested: str | None = None) -> Provider:
    """The provider to use: ``requested``, else ``$TOOLKIT_POSTGRES``, resolved if auto."""
    choice = (requested or os.environ.get("TOOLKIT_POSTGRES") or "auto").strip().lower()
    if choice not in choices():
        raise ToolkitError(
            f"TOOLKIT_POSTGRES={choice!r} is not a provider", f"use one of {', '.join(choices())}"
        )
    providers = registry()
    if choice != "auto":
        (provider,) = (provider for provider in providers if provider.name == choice)
        if provider.name == "external" and (reason := provider.available()):
            raise ToolkitError(f"TOOLKIT_POSTGRES=external but {reason}", provider.fix)
        return provider
    reasons = []
    for provider in providers:
        reason = provider.available()
        if reason is None:
            return provider
        reasons.append(reason)
    raise ToolkitError(
        f"no PostgreSQL available: {', '.join(reasons)}",
        "; or ".join(provider.fix for provider in reversed(providers)),
    )
