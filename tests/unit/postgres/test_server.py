from __future__ import annotations

from toolkit.postgres.server import Server


def _server(**overrides) -> Server:
    fields = dict(
        provider="external",
        host="127.0.0.1",
        port=5433,
        user="app",
        password="pw",
        database="main",
    )
    return Server(**{**fields, **overrides})


def test_environ_names_the_database_for_libpq_and_apps() -> None:
    env = _server().environ("users")

    assert env == {
        "DATABASE_URL": "postgresql://app:pw@127.0.0.1:5433/users",
        "PGHOST": "127.0.0.1",
        "PGPORT": "5433",
        "PGUSER": "app",
        "PGPASSWORD": "pw",
        "PGDATABASE": "users",
    }


def test_environ_omits_password_when_there_is_none() -> None:
    env = _server(password=None).environ()

    assert "PGPASSWORD" not in env
    assert env["DATABASE_URL"] == "postgresql://app@127.0.0.1:5433/main"


def test_unix_socket_host_goes_in_the_query() -> None:
    server = _server(host="/run/postgresql", password=None)

    assert server.dsn() == "postgresql://app@/main?host=/run/postgresql&port=5433"


def test_stop_runs_the_provider_stop_and_context_manager_calls_it() -> None:
    calls = []

    with _server(_stop=lambda: calls.append("stop")):
        assert calls == []

    assert calls == ["stop"]


def test_password_stays_out_of_the_repr() -> None:
    server = _server(password="s3cret-per-server")

    assert "s3cret-per-server" not in repr(server)
    assert "s3cret-per-server" in server.dsn()
