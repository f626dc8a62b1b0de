"""The external provider against a real server (the session's own)."""

from __future__ import annotations

import psycopg
import pytest

from toolkit.postgres import start_server
from toolkit.postgres.server import Server


def test_auto_uses_the_url_and_never_stops_that_server(
    postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES_URL", postgres_server.dsn())

    with start_server() as external:
        assert external.provider == "external"
        assert (external.host, external.port) == (postgres_server.host, postgres_server.port)

    with psycopg.connect(postgres_server.dsn()) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
