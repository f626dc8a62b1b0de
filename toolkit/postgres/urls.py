"""Read the database URLs users hand us (``TOOLKIT_POSTGRES_URL``, ``DATABASE_URL``).

Parsed with the standard library: an app's environment may hold any SQLAlchemy
version, or none, and the coordinates of a server do not depend on it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from toolkit.errors import ToolkitError
from toolkit.postgres.server import Server

__all__ = ["parse_url"]

_EXAMPLE = "postgresql://user:password@host:5432/database"
_SCHEME = re.compile(r"^(?P<backend>[a-z][a-z0-9]*)(?:\+[a-z0-9_]+)?$")
#: Everything between ``//`` and the last ``@``: a password may hold ``#``, ``/`` or
#: ``?`` unencoded, which is often why the URL is malformed in the first place.
_CREDENTIALS = re.compile(r"//(?P<user>[^:@/?#]*):.*@")


def parse_url(url: str, *, source: str) -> Server:
    """A Server (that nobody stops) for ``url``; ToolkitError if it is malformed.

    Accepts libpq URIs and SQLAlchemy URLs with any driver (``postgresql+asyncpg``):
    the driver is the application's business, the coordinates are ours. A unix socket
    folder may stand in the query (``?host=/run/postgresql``).
    """

    def malformed(why: str) -> ToolkitError:
        # The line may end up in a CI log: no part of the credentials is shown, and
        # urlsplit's own words (which quote what it could not read) only when the URL
        # holds none.
        shown = _CREDENTIALS.sub(r"//\g<user>:***@", url)
        reason = "its parts cannot be read" if shown != url else why
        return ToolkitError(
            f"{source} is malformed ({reason}): {shown!r}",
            f"use the form {_EXAMPLE}, with special characters in the password "
            "percent-encoded (# as %23, / as %2F, ? as %3F, @ as %40)",
        )

    if "://" not in url:
        raise malformed("not a URL")
    try:
        parts = urlsplit(url)
    except ValueError as error:  # an unclosed [IPv6 address
        raise malformed(str(error)) from None
    scheme = _SCHEME.match(parts.scheme.lower())
    if scheme is None or scheme["backend"] not in ("postgresql", "postgres"):
        raise malformed(f"scheme {parts.scheme!r} is not postgresql")
    try:
        port = parts.port
        parts.hostname  # noqa: B018  (an invalid IPv6 address raises here)
    except ValueError as error:
        raise malformed(str(error)) from None
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or [""])[0]
    if not host:
        raise malformed("no host")
    if port is None and query.get("port"):
        if not query["port"][0].isdigit():
            raise malformed(f"port {query['port'][0]!r} is not a number")
        port = int(query["port"][0])
    database = unquote(parts.path.lstrip("/"))
    return Server(
        provider="external",
        host=host,
        port=port or 5432,
        user=unquote(parts.username) if parts.username else "postgres",
        password=unquote(parts.password) if parts.password is not None else None,
        database=database or "postgres",
    )
