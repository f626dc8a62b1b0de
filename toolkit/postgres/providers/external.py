"""A server someone else runs, named by ``TOOLKIT_POSTGRES_URL``; never stopped by us."""

from __future__ import annotations

import os

from toolkit.errors import ToolkitError
from toolkit.postgres.provider import Provider
from toolkit.postgres.server import Server
from toolkit.postgres.urls import parse_url

__all__ = ["PROVIDER", "available", "start"]

_VARIABLE = "TOOLKIT_POSTGRES_URL"

_CONNECT_TIMEOUT = 5


def start(url: str, *, source: str = "TOOLKIT_POSTGRES_URL") -> Server:
    """A Server for ``url`` once a connection to it succeeds."""
    server = parse_url(url, source=source)
    import psycopg

    try:
        psycopg.connect(server.dsn(), connect_timeout=_CONNECT_TIMEOUT).close()
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ToolkitError(
            f"PostgreSQL at {server.host}:{server.port} (from {source}) does not answer: {reason}",
            f"start that server, fix {source}, or unset it to let the toolkit start one",
        ) from None
    return server


def available() -> str | None:
    return None if os.environ.get(_VARIABLE) else f"{_VARIABLE} is not set"


PROVIDER = Provider(
    name="external",
    available=available,
    start=lambda options: start(os.environ[_VARIABLE]),
    fix=f"set {_VARIABLE}=postgresql://user:password@host:5432/database",
)
