"""A running PostgreSQL server, whichever provider started it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote

__all__ = ["Server"]


@dataclass(frozen=True, kw_only=True)
class Server:
    """Coordinates of a server plus the one way to stop it.

    Consumers never care which provider started the server: they ask for URLs and
    environment variables naming one of its databases, and call :meth:`stop` (or use
    the server as a context manager). ``details`` holds provider facts that tests and
    diagnostics use (the postmaster pid and data dir, a container id).
    """

    provider: str
    host: str
    port: int
    user: str
    password: str | None = field(repr=False)  # never in a log line or a traceback
    database: str
    details: Mapping[str, Any] = field(default_factory=dict)
    _stop: Callable[[], None] = field(default=lambda: None, repr=False)

    def dsn(self, database: str | None = None) -> str:
        """A libpq URI (``postgresql://...``): what psql, psycopg and asyncpg accept."""
        return self._uri("postgresql", database)

    def url(self, database: str | None = None, driver: str = "psycopg") -> str:
        """A SQLAlchemy URL with an explicit driver (``postgresql+psycopg://...``)."""
        return self._uri(f"postgresql+{driver}", database)

    def environ(self, database: str | None = None, scheme: str = "postgresql") -> dict[str, str]:
        """``DATABASE_URL`` (with ``scheme``: ``postgresql+psycopg`` for an app that hands
        it to SQLAlchemy) and libpq's ``PG*`` variables for a child process."""
        env = {
            "DATABASE_URL": self._uri(scheme, database),
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": database or self.database,
        }
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    def stop(self) -> None:
        """Stop the server and remove what its provider made; safe to call twice."""
        self._stop()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _uri(self, scheme: str, database: str | None) -> str:
        auth = quote(self.user, safe="")
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        name = quote(database or self.database, safe="")
        if self.host.startswith("/"):  # a unix socket folder goes in the query
            return f"{scheme}://{auth}@/{name}?host={quote(self.host)}&port={self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{auth}@{host}:{self.port}/{name}"
