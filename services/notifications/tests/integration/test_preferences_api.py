"""GET/PUT /api/v1/preferences."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import Preference
from tests.factories import PreferenceFactory
from tests.integration.conftest import USER_ID

pytestmark = pytest.mark.anyio

URL = "/api/v1/preferences"
VALID = {
    "email": "ada@example.com",
    "email_enabled": True,
    "in_app_enabled": False,
    "digest_enabled": True,
    "digest_hour": 7,
    "timezone": "Europe/Berlin",
}


class TestGetPreferences:
    async def test_returns_callers_preferences(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        PreferenceFactory(user_id=USER_ID, email="me@example.com", timezone="Asia/Tokyo")
        PreferenceFactory(user_id=USER_ID + 1, email="someone@example.com")

        response = await client.get(URL, headers=user_headers)

        assert response.status_code == 200
        body = response.json()
        assert body["user_id"] == USER_ID
        assert body["email"] == "me@example.com"
        assert body["timezone"] == "Asia/Tokyo"

    async def test_without_preferences_is_404(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        response = await client.get(URL, headers=user_headers)

        assert response.status_code == 404
        assert response.json() == {"detail": "no preferences set"}

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({}, id="missing-header"),
            pytest.param({"X-User-Id": "alice"}, id="not-an-id"),
        ],
    )
    async def test_without_identity_is_401(
        self, client: AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.get(URL, headers=headers)

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "X-User-Id"


class TestPutPreferences:
    async def test_first_put_creates_201(
        self, client: AsyncClient, user_headers: dict[str, str], async_db_session: AsyncSession
    ) -> None:
        with freeze_time("2025-05-05 12:00:00", real_asyncio=True):
            response = await client.put(URL, json=VALID, headers=user_headers)

        assert response.status_code == 201
        assert response.json() == {
            **VALID,
            "user_id": USER_ID,
            "updated_at": "2025-05-05T12:00:00Z",
        }
        stored = await async_db_session.scalar(
            select(Preference).where(Preference.user_id == USER_ID)
        )
        assert stored is not None and stored.timezone == "Europe/Berlin"

    async def test_second_put_replaces_200(
        self, client: AsyncClient, user_headers: dict[str, str], async_db_session: AsyncSession
    ) -> None:
        PreferenceFactory(user_id=USER_ID, email="old@example.com", digest_enabled=True)

        response = await client.put(URL, json={"email": "new@example.com"}, headers=user_headers)

        assert response.status_code == 200
        body = response.json()
        assert body["email"] == "new@example.com"
        # PUT replaces: fields left out go back to their defaults
        assert body["digest_enabled"] is False
        rows = await async_db_session.scalar(
            select(func.count()).select_from(Preference).where(Preference.user_id == USER_ID)
        )
        assert rows == 1

    async def test_put_then_get_round_trips(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        await client.put(URL, json=VALID, headers=user_headers)

        response = await client.get(URL, headers=user_headers)

        assert response.status_code == 200
        assert {key: response.json()[key] for key in VALID} == VALID

    async def test_put_only_touches_the_callers_row(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        other_user_headers: dict[str, str],
    ) -> None:
        await client.put(URL, json={"email": "other@example.com"}, headers=other_user_headers)

        await client.put(URL, json={"email": "mine@example.com"}, headers=user_headers)

        other = await client.get(URL, headers=other_user_headers)
        assert other.json()["email"] == "other@example.com"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="unknown-timezone"),
            pytest.param({"timezone": "../../etc/passwd"}, "timezone", id="path-as-timezone"),
            pytest.param({"digest_hour": 24}, "digest_hour", id="hour-too-large"),
            pytest.param({"digest_hour": -1}, "digest_hour", id="hour-negative"),
            pytest.param({"email": "nope"}, "email", id="invalid-email"),
            pytest.param({"digest_enabled": "sometimes"}, "digest_enabled", id="not-a-bool"),
            pytest.param({"unknown": 1}, "unknown", id="unknown-field"),
        ],
    )
    async def test_invalid_values_are_422(
        self,
        client: AsyncClient,
        user_headers: dict[str, str],
        changes: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.put(URL, json={**VALID, **changes}, headers=user_headers)

        assert response.status_code == 422
        assert ["body", field] in [error["loc"] for error in response.json()["detail"]]

    async def test_missing_email_is_422(
        self, client: AsyncClient, user_headers: dict[str, str]
    ) -> None:
        response = await client.put(URL, json={"digest_hour": 3}, headers=user_headers)

        assert response.status_code == 422
        assert ["body", "email"] in [error["loc"] for error in response.json()["detail"]]

    async def test_without_identity_is_401(self, client: AsyncClient) -> None:
        response = await client.put(URL, json=VALID)

        assert response.status_code == 401
