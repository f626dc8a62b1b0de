"""GET and PATCH /api/v1/users/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.anyio

ME = "/api/v1/users/me"
LOGIN = "/api/v1/auth/login"


def _error_fields(response) -> list[str]:
    return [str(error["loc"][-1]) for error in response.json()["detail"]]


class TestReadMe:
    async def test_returns_the_caller_without_password(self, client, user, auth_headers):
        response = await client.get(ME, headers=auth_headers(user))

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == user.id
        assert body["email"] == "alice@example.com"
        assert body["full_name"] == "Alice"
        assert set(body) == {"id", "email", "full_name", "is_active", "created_at"}

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({}, id="no-header"),
            pytest.param({"Authorization": "Bearer"}, id="empty-bearer"),
            pytest.param({"Authorization": "Bearer not-a-token"}, id="garbage"),
            pytest.param({"Authorization": "Token abc"}, id="wrong-scheme"),
        ],
    )
    async def test_without_a_valid_token_is_401(self, client, headers):
        response = await client.get(ME, headers=headers)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_refresh_token_is_not_an_access_token(self, client, user, tokens):
        response = await client.get(
            ME, headers={"Authorization": f"Bearer {tokens.issue_refresh(user.id)}"}
        )

        assert response.status_code == 401

    async def test_expired_access_token_is_401(self, client, user, tokens):
        with freeze_time("2025-01-15 10:00:00", real_asyncio=True) as frozen:
            headers = {"Authorization": f"Bearer {tokens.issue_access(user.id, {})}"}
            assert (await client.get(ME, headers=headers)).status_code == 200

            frozen.tick(timedelta(minutes=15, seconds=1))
            response = await client.get(ME, headers=headers)

        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    async def test_deactivated_user_is_401(self, client, auth_headers):
        user = UserFactory(is_active=False)

        response = await client.get(ME, headers=auth_headers(user))

        assert response.status_code == 401


class TestUpdateMe:
    async def test_full_name_is_updated(self, client, user, auth_headers, db_session):
        response = await client.patch(
            ME, json={"full_name": "Alice Liddell"}, headers=auth_headers(user)
        )

        assert response.status_code == 200
        assert response.json()["full_name"] == "Alice Liddell"
        db_session.refresh(user)
        assert user.full_name == "Alice Liddell"

    async def test_password_change_takes_effect_at_login(self, client, user, auth_headers):
        response = await client.patch(
            ME,
            json={"password": "brand-new-pass-2", "current_password": DEFAULT_PASSWORD},
            headers=auth_headers(user),
        )
        old = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
        new = await client.post(LOGIN, json={"email": user.email, "password": "brand-new-pass-2"})

        assert response.status_code == 200
        assert "password" not in str(response.json())
        assert (old.status_code, new.status_code) == (401, 200)

    async def test_wrong_current_password_is_400(self, client, user, auth_headers):
        response = await client.patch(
            ME,
            json={"password": "brand-new-pass-2", "current_password": "not-my-password-1"},
            headers=auth_headers(user),
        )
        login = await client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})

        assert response.status_code == 400
        assert response.json() == {"detail": "current password is incorrect"}
        assert login.status_code == 200

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param(
                {"password": "brand-new-pass-2"}, "current_password", id="no-current-password"
            ),
            pytest.param(
                {"password": "weak", "current_password": DEFAULT_PASSWORD},
                "password",
                id="weak-new-password",
            ),
            pytest.param({"full_name": ""}, "full_name", id="empty-name"),
            pytest.param({"full_name": "x" * 201}, "full_name", id="name-too-long"),
        ],
    )
    async def test_invalid_update_is_422_naming_the_field(
        self, client, user, auth_headers, payload, field
    ):
        response = await client.patch(ME, json=payload, headers=auth_headers(user))

        assert response.status_code == 422
        assert field in _error_fields(response)

    async def test_anonymous_update_is_401(self, client):
        response = await client.patch(ME, json={"full_name": "Mallory"})

        assert response.status_code == 401
