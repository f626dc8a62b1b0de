"""testcontainers' ``PostgresContainer``, ready when a query from this host succeeds.

testcontainers' own readiness check runs ``psql`` inside the container once a second:
it needs ``sh`` and ``psql`` in the image, costs an ``exec`` per try (two ``conmon``
processes each under Podman), and proves nothing about the published port the tests
will use. Here the check is the real thing: a connection from this host, through the
published port, with the credentials the tests get, running ``SELECT 1``, every 50 ms.
The official image's entrypoint (and ours) initialises the database with a temporary
server listening on the unix socket only, so a TCP answer comes from the final server.

Importing this module imports testcontainers: the provider does it lazily.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import psycopg

try:  # where recent testcontainers keep it; the old path still works but warns
    from testcontainers.community.postgres import PostgresContainer
except ImportError:  # pragma: no cover - older testcontainers
    from testcontainers.postgres import PostgresContainer

__all__ = ["AddressUnknown", "NotReady", "ReadyPostgresContainer"]

_POLL = 0.05
_STATUS_EVERY = 0.5


class NotReady(Exception):
    """The container exited, or PostgreSQL did not answer in time; the message says why."""


class AddressUnknown(Exception):
    """testcontainers could not tell where this host reaches the container's port."""


class ReadyPostgresContainer(PostgresContainer):
    """Started means a query through the published port has succeeded."""

    ready_timeout = 60.0

    def address(self) -> tuple[str, int]:
        """Host and port where this host reaches the server (the published port).

        testcontainers works it out from how it believes it runs (on the engine's host,
        in a sibling container, in a nested engine); when that belief is wrong, as with
        a stray ``/.dockerenv`` next to Podman, it fails deep inside with a KeyError.
        """
        try:
            return self.get_container_host_ip(), int(self.get_exposed_port(self.port))
        except (KeyError, IndexError, TypeError, ValueError, ConnectionError) as error:
            raise AddressUnknown(f"{type(error).__name__}: {error}") from error

    def dsn(self) -> str:
        """libpq URI of the maintenance database, through the published port."""
        host, port = self.address()
        host = f"[{host}]" if ":" in host else host
        auth = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql://{auth}@{host}:{port}/{quote(self.dbname, safe='')}"

    def last_log_line(self) -> str:
        container = self.get_wrapped_container()
        lines = container.logs(tail=20).decode(errors="replace").splitlines()
        meaningful = [line.strip() for line in lines if line.strip()]
        return meaningful[-1] if meaningful else "no output"

    def _stopped(self) -> str | None:
        """The container's status if it is no longer starting or running, else None.

        Not just "exited": Podman reports states of its own ("stopped") on the way.
        """
        container = self.get_wrapped_container()
        container.reload()
        return (
            None if container.status in ("created", "running", "restarting") else container.status
        )

    def _connect(self) -> None:
        """Called by ``DbContainer.start()`` once the container runs: wait for a real query."""
        try:
            dsn = self.dsn()  # waits until the container runs, which one that exits never does
        except TimeoutError:
            raise NotReady(f"the container exited: {self.last_log_line()}") from None
        deadline = time.monotonic() + self.ready_timeout
        next_status = time.monotonic() + _STATUS_EVERY
        last_error = "no attempt"
        while True:
            try:
                with psycopg.connect(dsn, connect_timeout=2) as connection:
                    connection.execute("SELECT 1").fetchone()
                return
            except psycopg.OperationalError as error:
                last_error = str(error).strip().splitlines()[-1] if str(error).strip() else "?"
            now = time.monotonic()
            if now >= next_status:
                next_status = now + _STATUS_EVERY
                status = self._stopped()
                if status is not None:
                    raise NotReady(f"the container exited ({status}): {self.last_log_line()}")
            if now >= deadline:
                raise NotReady(
                    f"PostgreSQL did not answer within {self.ready_timeout:.0f} s "
                    f"({last_error}; container log: {self.last_log_line()})"
                )
            time.sleep(_POLL)
