"""The HTTP layer without a database: error mapping and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import MagicMock

import pytest
from httpx import ASGITransport, AsyncClient

from service_kit.errors import Conflict
from users.api.deps import get_auth_service
from users.db import get_db
from users.main import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def auth_service_mock() -> MagicMock:
    return MagicMock()


@pytest.fixture
async def offline_client(auth_service_mock) -> AsyncIterator[AsyncClient]:
    app = create_app()
    app.dependency_overrides[get_db] = lambda: MagicMock()
    app.dependency_overrides[get_auth_service] = lambda: auth_service_mock
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_missing_token_is_401_with_bearer_challenge(offline_client, auth_service_mock):
    response = await offline_client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "not authenticated"}
    assert response.headers["www-authenticate"] == "Bearer"
    auth_service_mock.authenticate.assert_not_called()


async def test_non_bearer_scheme_is_401(offline_client):
    response = await offline_client.get(
        "/api/v1/users/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )

    assert response.status_code == 401


async def test_service_conflict_becomes_409_json(offline_client, auth_service_mock):
    auth_service_mock.register.side_effect = Conflict("email already registered")

    response = await offline_client.post(
        "/api/v1/auth/register", json={"email": "a@example.com", "password": "long-enough-1"}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "email already registered"}
    assert "www-authenticate" not in response.headers


def test_openapi_documents_every_endpoint_and_no_password_in_responses():
    document = create_app().openapi()

    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert operations == {
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        ("GET", "/api/v1/users/me"),
        ("PATCH", "/api/v1/users/me"),
        ("POST", "/api/v1/organizations"),
        ("GET", "/api/v1/organizations"),
        ("GET", "/api/v1/organizations/{organization_id}"),
        ("POST", "/api/v1/organizations/{organization_id}/members"),
        ("DELETE", "/api/v1/organizations/{organization_id}/members/{user_id}"),
    }
    schemas = document["components"]["schemas"]
    for name in ("UserRead", "AuthResponse", "TokenPair", "MemberRead", "OrganizationDetail"):
        assert not [field for field in schemas[name]["properties"] if "password" in field]
