"""Start (or reach) a server with the provider the user asked for."""

from __future__ import annotations

from toolkit.errors import ToolkitError
from toolkit.postgres.provider import StartOptions
from toolkit.postgres.selection import choose_provider
from toolkit.postgres.server import Server
from toolkit.postgres.settings import port_from_env

__all__ = ["start_server"]


def start_server(provider: str | None = None, *, port: int | None = None) -> Server:
    """Start (or, for ``external``, reach) a server; raise ToolkitError if none can be had.

    ``port`` (or ``TOOLKIT_POSTGRES_PORT``) applies to the embedded provider; left
    unset, a free port is taken.
    """
    if port is not None and not 0 < port < 65536:
        raise ToolkitError(
            f"port {port} (--port / TOOLKIT_POSTGRES_PORT) is not a port number",
            "use a number from 1 to 65535, or leave it unset for a free port",
        )
    chosen = choose_provider(provider)
    return chosen.start(StartOptions(port=port if port is not None else port_from_env()))
