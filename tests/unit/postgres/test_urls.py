from __future__ import annotations

import pytest

from toolkit.errors import ToolkitError
from toolkit.postgres.urls import parse_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgresql://app:s3cret@db.example:6543/orders",
            ("db.example", 6543, "app", "s3cret", "orders"),
            id="libpq-uri",
        ),
        pytest.param(
            "postgresql+asyncpg://app@db.example/orders",
            ("db.example", 5432, "app", None, "orders"),
            id="sqlalchemy-url-other-driver",
        ),
        pytest.param(
            "postgres://db.example",
            ("db.example", 5432, "postgres", None, "postgres"),
            id="defaults",
        ),
        pytest.param(
            "postgresql://app:p%40ss@db.example/orders",
            ("db.example", 5432, "app", "p@ss", "orders"),
            id="quoted-password",
        ),
        pytest.param(
            "postgresql+psycopg://postgres@/app?host=/run/pg%20sock&port=5433",
            ("/run/pg sock", 5433, "postgres", None, "app"),
            id="socket-folder-in-the-query",
        ),
    ],
)
def test_parse_url_reads_coordinates(url: str, expected: tuple) -> None:
    server = parse_url(url, source="TOOLKIT_POSTGRES_URL")

    assert (server.host, server.port, server.user, server.password, server.database) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("postgres//nope", "not a URL", id="no-scheme"),
        pytest.param("mysql://db.example/orders", "is not postgresql", id="wrong-scheme"),
        pytest.param("postgresql://app@db.example:port/orders", "port", id="bad-port"),
        pytest.param("postgresql:///orders", "no host", id="no-host"),
    ],
)
def test_parse_url_rejects_malformed_url_with_the_fix(url: str, reason: str) -> None:
    with pytest.raises(ToolkitError) as caught:
        parse_url(url, source="TOOLKIT_POSTGRES_URL")

    message = str(caught.value)
    assert message.startswith("TOOLKIT_POSTGRES_URL is malformed")
    assert reason in message
    assert "postgresql://user:password@host:5432/database" in message
    assert "\n" not in message


def test_malformed_url_is_shown_without_its_password() -> None:
    with pytest.raises(ToolkitError) as caught:
        parse_url("postgresql://app:s3cret@db.example:port/orders", source="TOOLKIT_POSTGRES_URL")

    assert "s3cret" not in str(caught.value)
    assert "'postgresql://app:***@db.example:port/orders'" in str(caught.value)


def test_parse_url_round_trips_through_dsn() -> None:
    server = parse_url("postgresql://app:p%40ss@db.example:6543/orders", source="X")

    assert parse_url(server.dsn(), source="X") == server
    assert server.url("other") == "postgresql+psycopg://app:p%40ss@db.example:6543/other"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:S3cr#tPw@db.example.com:5432/app",
        "postgresql://app:S3/cr?tPw@db.example.com:5432/app",
        "postgresql://app:S3cr@tPw@[::1/app",
    ],
)
def test_no_part_of_a_password_is_shown_however_malformed_the_url(url: str) -> None:
    """An unencoded #, / or ? in a password is often what makes the URL unreadable, and
    urlsplit's own message quotes what it could not read."""
    with pytest.raises(ToolkitError) as raised:
        parse_url(url, source="TOOLKIT_POSTGRES_URL")

    message = str(raised.value)
    assert "S3cr" not in message and "tPw" not in message
    assert "%23" in message  # how to write it instead
