"""PostgreSQL for test runs: one interface, three providers.

>>> from toolkit.postgres import start_server
>>> with start_server() as server:          # doctest: +SKIP
...     run_tests(env=server.environ())

The provider comes from ``TOOLKIT_POSTGRES`` (see :mod:`toolkit.postgres.selection`);
servers the toolkit starts are stopped and erased on every exit path.
"""

from __future__ import annotations

import os

from toolkit.errors import ToolkitError
from toolkit.postgres.provider import StartOptions
from toolkit.postgres.selection import choices, choose_provider
from toolkit.postgres.server import Server

__all__ = ["Server", "choices", "choose_provider", "start_server"]


def _port_from_env() -> int | None:
    raw = os.environ.get("TOOLKIT_POSTGRES_PORT", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ToolkitError(
            f"TOOLKIT_POSTGRES_PORT={raw!r} is not a port number",
            "use a number from 1 to 65535, or unset it for a free port",
        )
    return int(raw)


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
    return chosen.start(StartOptions(port=port if port is not None else _port_from_env()))
