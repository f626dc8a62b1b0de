"""Authentication on every endpoint: missing, invalid, expired and refresh tokens are 401."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, project_url, projects_url
from tests.tokens import bearer, make_token

pytestmark = pytest.mark.anyio

ENDPOINTS = [
    pytest.param("POST", None, {"name": "X"}, id="create"),
    pytest.param("GET", None, None, id="list"),
    pytest.param("GET", "project", None, id="get"),
    pytest.param("PATCH", "project", {"name": "X"}, id="update"),
    pytest.param("DELETE", "project", None, id="delete"),
]


async def call(client, method: str, target, body, headers: dict[str, str]):
    url = project_url(target.id) if target is not None else projects_url()
    return await client.request(method, url, json=body, headers=headers)


@pytest.fixture
def project():
    return ProjectFactory(organization_id=ORG_ID, owner_id=1)


@pytest.mark.parametrize("method,target,body", ENDPOINTS)
async def test_missing_token_is_401(client, project, method, target, body) -> None:
    response = await call(client, method, project if target else None, body, {})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method,target,body", ENDPOINTS)
async def test_refresh_token_is_401(client, project, method, target, body) -> None:
    token = make_token(1, {ORG_ID: "owner"}, token_type="refresh")

    response = await call(client, method, project if target else None, body, bearer(token))

    assert response.status_code == 401
    assert response.json() == {"detail": "an access token is required"}


@pytest.mark.parametrize("method,target,body", ENDPOINTS)
async def test_token_with_wrong_signature_is_401(client, project, method, target, body) -> None:
    token = make_token(1, {ORG_ID: "owner"}, secret="x" * 64)

    response = await call(client, method, project if target else None, body, bearer(token))

    assert response.status_code == 401


async def test_token_works_until_expiry_then_is_401(client) -> None:
    with freeze_time("2025-06-01 12:00:00", real_asyncio=True) as frozen:
        headers = bearer(make_token(1, {ORG_ID: "member"}, lifetime=timedelta(minutes=15)))
        frozen.tick(timedelta(minutes=14))
        fresh = await client.get(projects_url(), headers=headers)
        frozen.tick(timedelta(minutes=2))
        stale = await client.get(projects_url(), headers=headers)

    assert fresh.status_code == 200
    assert (stale.status_code, stale.json()) == (401, {"detail": "token has expired"})


@pytest.fixture
def leeway_60s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the app (and its settings) is built: request it before `client`."""
    monkeypatch.setenv("PROJECTS_JWT_LEEWAY_SECONDS", "60")


async def test_configured_leeway_accepts_slightly_expired_token(leeway_60s, client) -> None:
    with freeze_time("2025-06-01 12:00:00", real_asyncio=True) as frozen:
        headers = bearer(make_token(1, {ORG_ID: "member"}, lifetime=timedelta(minutes=15)))
        frozen.tick(timedelta(minutes=15, seconds=30))
        response = await client.get(projects_url(), headers=headers)

    assert response.status_code == 200
