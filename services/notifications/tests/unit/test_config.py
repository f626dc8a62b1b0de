"""Settings from the environment (monkeypatched), and the provider they configure."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifications.api.deps import get_email_provider
from notifications.config import Settings, get_settings


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+asyncpg://u@db/n", id="other-driver"),
        pytest.param("mysql://u@db/n", id="other-database"),
    ],
)
def test_database_url_with_other_driver_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", url)

    with pytest.raises(ValidationError, match="postgresql"):
        Settings()


def test_database_url_falls_back_to_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFICATIONS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://ci@localhost:5432/ci")

    assert Settings().database_url == "postgresql+psycopg://ci@localhost:5432/ci"


def test_service_url_wins_over_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ci@localhost/ci")
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", "postgresql://svc@localhost/svc")

    assert Settings().database_url == "postgresql+psycopg://svc@localhost/svc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1,2, 3", frozenset({1, 2, 3}), id="comma-separated"),
        pytest.param("[4, 5]", frozenset({4, 5}), id="json-list"),
        pytest.param("", frozenset(), id="empty"),
    ],
)
def test_admin_user_ids_from_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: frozenset[int]
) -> None:
    monkeypatch.setenv("NOTIFICATIONS_ADMIN_USER_IDS", raw)

    assert Settings().admin_user_ids == expected


def test_get_settings_reads_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", "5")
    first = get_settings()
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", "7")

    assert get_settings() is first
    assert first.email_max_attempts == 5


@pytest.mark.anyio
async def test_email_provider_dependency_uses_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_PROVIDER_API_KEY", "s3cret")
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_PROVIDER_TIMEOUT", "2.5")
    get_settings.cache_clear()

    async def no_sleep(delay: float) -> None:
        return None

    dependency = get_email_provider(get_settings(), no_sleep)
    provider = await anext(dependency)
    try:
        assert str(provider.http.base_url) == "https://email-provider.test"
        assert provider.http.headers["Authorization"] == "Bearer s3cret"
        assert provider.http.timeout.read == 2.5
        assert provider.max_attempts == 3
        assert provider.sleep is no_sleep
    finally:
        await dependency.aclose()
    assert provider.http.is_closed
