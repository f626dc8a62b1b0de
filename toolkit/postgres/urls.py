"""Read the database URLs users hand us (``TOOLKIT_POSTGRES_URL``, ``DATABASE_URL``)."""

from __future__ import annotations

from toolkit.errors import ToolkitError
from toolkit.postgres.server import Server

__all__ = ["parse_url"]

_EXAMPLE = "postgresql://user:password@host:5432/database"


def parse_url(url: str, *, source: str) -> Server:
    """A Server (that nobody stops) for ``url``; ToolkitError if it is malformed.

    Accepts libpq URIs and SQLAlchemy URLs with any driver (``postgresql+asyncpg``):
    the driver is the application's business, the coordinates are ours.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    def malformed(why: str) -> ToolkitError:
        return ToolkitError(f"{source} is malformed ({why}): {url!r}", f"use the form {_EXAMPLE}")

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise malformed("not a URL") from None
    except ValueError as error:
        raise malformed(str(error)) from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise malformed(f"scheme {parsed.drivername!r} is not postgresql")
    host = parsed.host or parsed.query.get("host")
    if not host:
        raise malformed("no host")
    if not isinstance(host, str):
        host = host[0]
    return Server(
        provider="external",
        host=host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )
