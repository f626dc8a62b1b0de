from __future__ import annotations

import re

import pytest

from toolkit.postgres import databases
from toolkit.postgres.databases import database_name


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("test", "users"), "test_users", id="plain"),
        pytest.param(("test", "users", "gw1"), "test_users_gw1", id="xdist-worker"),
        pytest.param(("test", "my-service"), "test_my_service_[0-9a-f]{6}", id="dash"),
        pytest.param(("Test", "Users.API"), "test_users_api_[0-9a-f]{6}", id="case-and-dots"),
        pytest.param(("42", "x"), "db_42_x_[0-9a-f]{6}", id="leading-digit"),
    ],
)
def test_database_name_is_a_valid_identifier(parts: tuple[str, ...], expected: str) -> None:
    assert re.fullmatch(expected, database_name(*parts))


def test_names_that_fold_alike_stay_apart() -> None:
    """Before: ``svc-ä`` and ``svc-ö`` were both ``test_svc``."""
    first, second = database_name("test", "svc-ä"), database_name("test", "svc-ö")

    assert first != second
    assert first.startswith("test_svc_") and first.isascii()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("svc-a", "svc_a", id="dash-and-underscore"),
        pytest.param("Users", "users", id="case"),
        pytest.param("svc.a", "svc-a", id="dot-and-dash"),
        pytest.param(
            "svc_a_" + database_name("test", "svc-a")[-6:], "svc-a", id="a-hash-lookalike"
        ),
    ],
)
def test_two_package_names_never_fold_to_one_database(first: str, second: str) -> None:
    """Before: ``svc-a`` and ``svc_a`` were both ``test_svc_a``."""
    assert database_name("test", first) != database_name("test", second)


def test_run_database_names_differ_between_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_RUN_ID", "run1")
    first = databases.run_database_name("test", "users")
    monkeypatch.setenv("TOOLKIT_RUN_ID", "run2")
    second = databases.run_database_name("test", "users")

    assert (first, second) == ("test_users_run1", "test_users_run2")


def test_run_id_without_a_run_is_one_random_token_per_process(monkeypatch) -> None:
    monkeypatch.delenv("TOOLKIT_RUN_ID", raising=False)
    monkeypatch.setattr(databases, "_RUN_ID", None)

    token = databases.run_id()

    assert re.fullmatch("[0-9a-f]{8}", token)
    assert databases.run_id() == token


def test_database_name_keeps_long_names_distinct_within_postgres_limit() -> None:
    first = database_name("test", "a" * 80, "gw0")
    second = database_name("test", "a" * 80, "gw1")

    assert len(first) <= 63
    assert len(second) <= 63
    assert first != second
