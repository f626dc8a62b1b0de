"""Settings from the environment: prefix USERS_, DATABASE_URL normalised to psycopg."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.conftest import TEST_JWT_SECRET
from users.config import DatabaseSettings, Settings, get_settings


def test_non_postgresql_url_is_rejected(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("USERS_DATABASE_URL", "mysql://u@db/app")

    with pytest.raises(ValidationError, match="PostgreSQL URL"):
        DatabaseSettings()


def test_database_url_from_database_url_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("USERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://ci@localhost:5433/test_users")

    assert DatabaseSettings().database_url == "postgresql+psycopg://ci@localhost:5433/test_users"


def test_prefixed_database_url_wins(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://other/db")
    monkeypatch.setenv("USERS_DATABASE_URL", "postgresql://mine/db")

    assert DatabaseSettings().database_url == "postgresql+psycopg://mine/db"


def test_settings_read_the_users_prefix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("USERS_ACCESS_TOKEN_EXPIRE_MINUTES", "30")
    monkeypatch.setenv("USERS_REFRESH_TOKEN_EXPIRE_DAYS", "14")

    settings = Settings()

    assert settings.jwt_secret.get_secret_value() == TEST_JWT_SECRET
    assert settings.access_token_ttl.total_seconds() == 30 * 60
    assert settings.refresh_token_ttl.days == 14
    assert TEST_JWT_SECRET not in repr(settings)


@pytest.mark.parametrize(
    "secret",
    [pytest.param(None, id="missing"), pytest.param("short-secret", id="shorter-than-32")],
)
def test_jwt_secret_is_required_and_long_enough(monkeypatch: pytest.MonkeyPatch, secret):
    if secret is None:
        monkeypatch.delenv("USERS_JWT_SECRET")
    else:
        monkeypatch.setenv("USERS_JWT_SECRET", secret)

    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings()


def test_get_settings_is_read_once(monkeypatch: pytest.MonkeyPatch):
    first = get_settings()
    monkeypatch.setenv("USERS_ACCESS_TOKEN_EXPIRE_MINUTES", "99")

    assert get_settings() is first
