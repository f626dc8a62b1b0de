from __future__ import annotations

import pytest

from toolkit.postgres.databases import database_name


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("test", "users"), "test_users", id="plain"),
        pytest.param(("test", "my-service", "gw1"), "test_my_service_gw1", id="xdist-worker"),
        pytest.param(("Test", "Users.API"), "test_users_api", id="case-and-dots"),
        pytest.param(("42", "x"), "db_42_x", id="leading-digit"),
    ],
)
def test_database_name_is_a_valid_identifier(parts: tuple[str, ...], expected: str) -> None:
    assert database_name(*parts) == expected


def test_database_name_keeps_long_names_distinct_within_postgres_limit() -> None:
    first = database_name("test", "a" * 80, "gw0")
    second = database_name("test", "a" * 80, "gw1")

    assert len(first) <= 63
    assert len(second) <= 63
    assert first != second
