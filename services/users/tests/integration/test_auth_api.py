"""POST /api/v1/auth/register, /login and /refresh against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from users.models import Role, User

pytestmark = pytest.mark.anyio

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"


def _keys(value) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _error_fields(response) -> list[str]:
    return [str(error["loc"][-1]) for error in response.json()["detail"]]


class TestRegister:
    async def test_creates_the_user_and_signs_in(self, client, db_session, claims_of):
        payload = {"email": "New@Example.com", "password": "V3rySecurePass", "full_name": "Ada"}

        response = await client.post(REGISTER, json=payload)

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"user", "access_token", "refresh_token", "token_type"}
        assert body["token_type"] == "bearer"
        assert body["user"]["email"] == "new@example.com"
        assert body["user"]["full_name"] == "Ada"
        assert body["user"]["is_active"] is True
        assert not {key for key in _keys(body) if "password" in key}
        stored = db_session.get(User, body["user"]["id"])
        assert stored.hashed_password.startswith("$argon2id$")
        assert claims_of(body["access_token"])["sub"] == str(stored.id)

    async def test_tokens_work_right_away(self, client):
        body = (
            await client.post(
                REGISTER, json={"email": "b@example.com", "password": "V3rySecurePass"}
            )
        ).json()

        me = await client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
        refreshed = await client.post(REFRESH, json={"refresh_token": body["refresh_token"]})

        assert me.status_code == 200 and me.json()["email"] == "b@example.com"
        assert refreshed.status_code == 200

    @pytest.mark.parametrize(
        "email",
        [
            pytest.param("taken@example.com", id="same-case"),
            pytest.param("TAKEN@Example.com", id="different-case"),
        ],
    )
    async def test_duplicate_email_is_409(self, client, email):
        UserFactory(email="taken@example.com")

        response = await client.post(REGISTER, json={"email": email, "password": "V3rySecurePass"})

        assert response.status_code == 409
        assert "already registered" in response.json()["detail"].lower()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param(
                {"email": "not-an-email", "password": "V3rySecurePass"}, "email", id="invalid-email"
            ),
            pytest.param(
                {"email": "ok@example.com", "password": "Short1"}, "password", id="too-short"
            ),
            pytest.param(
                {"email": "ok@example.com", "password": "onlyletters"}, "password", id="no-digit"
            ),
            pytest.param(
                {"email": "ok@example.com", "password": "1234567890"}, "password", id="no-letter"
            ),
            pytest.param({"password": "V3rySecurePass"}, "email", id="missing-email"),
            pytest.param({"email": "ok@example.com"}, "password", id="missing-password"),
            pytest.param(
                {"email": "ok@example.com", "password": "V3rySecurePass", "full_name": "A\x00"},
                "full_name",
                id="nul-in-name",
            ),
        ],
    )
    async def test_invalid_input_is_422_naming_the_field(self, client, db_session, payload, field):
        response = await client.post(REGISTER, json=payload)

        assert response.status_code == 422
        assert field in _error_fields(response)
        assert db_session.query(User).count() == 0


class TestLogin:
    async def test_right_credentials_get_tokens_listing_memberships(self, client, user, claims_of):
        membership = MembershipFactory(user=user, role=Role.ADMIN)

        response = await client.post(
            LOGIN, json={"email": "Alice@Example.com", "password": DEFAULT_PASSWORD}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        claims = claims_of(body["access_token"])
        assert claims["sub"] == str(user.id)
        assert claims["type"] == "access"
        assert claims["orgs"] == {str(membership.organization_id): "admin"}
        assert claims_of(body["refresh_token"])["type"] == "refresh"

    @pytest.mark.parametrize(
        ("email", "password"),
        [
            pytest.param("nobody@example.com", DEFAULT_PASSWORD, id="unknown-email"),
            pytest.param("alice@example.com", "wrong-password-1", id="wrong-password"),
        ],
    )
    async def test_bad_credentials_are_401_with_one_message(self, client, user, email, password):
        response = await client.post(LOGIN, json={"email": email, "password": password})

        assert response.status_code == 401
        assert response.json() == {"detail": "incorrect email or password"}

    async def test_inactive_user_cannot_log_in(self, client):
        UserFactory(email="gone@example.com", is_active=False)

        response = await client.post(
            LOGIN, json={"email": "gone@example.com", "password": DEFAULT_PASSWORD}
        )

        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param({"email": "alice@example.com"}, "password", id="missing-password"),
            pytest.param({"email": "alice", "password": "x"}, "email", id="invalid-email"),
            pytest.param(
                {"email": "alice@example.com", "password": ""}, "password", id="empty-password"
            ),
        ],
    )
    async def test_invalid_body_is_422(self, client, payload, field):
        response = await client.post(LOGIN, json=payload)

        assert response.status_code == 422
        assert field in _error_fields(response)


class TestRefresh:
    async def test_new_pair_reflects_memberships_of_now(self, client, user, tokens, claims_of):
        with freeze_time("2025-01-15 10:00:00", real_asyncio=True) as frozen:
            refresh_token = tokens.issue_refresh(user.id)
            membership = MembershipFactory(user=user, role=Role.OWNER)
            frozen.move_to("2025-01-16 10:00:00")

            response = await client.post(REFRESH, json={"refresh_token": refresh_token})

            assert response.status_code == 200
            claims = claims_of(response.json()["access_token"])
            assert claims["orgs"] == {str(membership.organization_id): "owner"}
            assert claims["iat"] == 1737021600  # 2025-01-16 10:00:00 UTC: a new token
            assert response.json()["refresh_token"] != refresh_token

    async def test_expired_refresh_token_is_401(self, client, user, tokens):
        with freeze_time("2025-01-15 10:00:00", real_asyncio=True) as frozen:
            refresh_token = tokens.issue_refresh(user.id)
            frozen.tick(timedelta(days=7, seconds=1))
            response = await client.post(REFRESH, json={"refresh_token": refresh_token})

        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "make_token",
        [
            pytest.param(lambda tokens, user: tokens.issue_access(user.id, {}), id="access-token"),
            pytest.param(lambda tokens, user: "garbage.token.value", id="garbage"),
            pytest.param(
                lambda tokens, user: tokens.issue_refresh(user.id + 1000), id="unknown-user"
            ),
        ],
    )
    async def test_unusable_refresh_token_is_401(self, client, user, tokens, make_token):
        response = await client.post(REFRESH, json={"refresh_token": make_token(tokens, user)})

        assert response.status_code == 401

    async def test_missing_refresh_token_is_422(self, client):
        response = await client.post(REFRESH, json={})

        assert response.status_code == 422
        assert "refresh_token" in _error_fields(response)
