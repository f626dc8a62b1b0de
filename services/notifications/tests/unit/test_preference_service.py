"""PreferenceService: create on first PUT, replace afterwards (repository mocked)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from notifications.models import Preference
from notifications.schemas import PreferenceIn
from notifications.services import PreferenceService
from service_kit.errors import NotFound

pytestmark = pytest.mark.anyio

DATA = PreferenceIn(
    email="ada@example.com", digest_enabled=True, digest_hour=7, timezone="Europe/Berlin"
)


async def test_put_without_preferences_creates_them(
    preference_service: PreferenceService, preference_repository: MagicMock
) -> None:
    created_row = Preference(user_id=5, **DATA.model_dump())
    preference_repository.create.return_value = created_row

    preference, created = await preference_service.put(5, DATA)

    assert created is True
    assert preference is created_row
    preference_repository.create.assert_awaited_once_with(
        5,
        {
            "email": "ada@example.com",
            "email_enabled": True,
            "in_app_enabled": True,
            "digest_enabled": True,
            "digest_hour": 7,
            "timezone": "Europe/Berlin",
        },
    )
    preference_repository.commit.assert_awaited_once()


async def test_put_with_preferences_replaces_them(
    preference_service: PreferenceService, preference_repository: MagicMock
) -> None:
    existing = Preference(user_id=5, email="old@example.com")
    preference_repository.get_by_user.return_value = existing
    preference_repository.update.return_value = existing

    preference, created = await preference_service.put(5, DATA)

    assert created is False
    assert preference is existing
    preference_repository.update.assert_awaited_once_with(existing, DATA.model_dump())
    preference_repository.create.assert_not_awaited()
    preference_repository.commit.assert_awaited_once()


async def test_get_for_unknown_user_is_not_found(
    preference_service: PreferenceService, preference_repository: MagicMock
) -> None:
    with pytest.raises(NotFound, match="no preferences set"):
        await preference_service.get(99)
    preference_repository.get_by_user.assert_awaited_once_with(99)
