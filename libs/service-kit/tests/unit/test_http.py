"""Domain errors reach the caller as JSON with the status the API edge chose."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from service_kit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from service_kit.http import add_domain_error_handler, error_responses, status_code

pytestmark = pytest.mark.anyio


class SlugTaken(Conflict):
    """A service's own, more precise kind of conflict."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    app = FastAPI()
    add_domain_error_handler(app, challenge="Bearer")

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        errors: dict[str, DomainError] = {
            "input": InvalidInput("current password is incorrect"),
            "auth": Unauthorized(),
            "forbidden": Forbidden("only owners"),
            "missing": NotFound("project not found"),
            "conflict": SlugTaken("slug taken"),
            "bare": DomainError(),
        }
        raise errors[kind]

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        pytest.param("input", 400, "current password is incorrect", id="invalid-input"),
        pytest.param("auth", 401, "could not validate credentials", id="unauthorized"),
        pytest.param("forbidden", 403, "only owners", id="forbidden"),
        pytest.param("missing", 404, "project not found", id="not-found"),
        pytest.param("conflict", 409, "slug taken", id="subclass-of-conflict"),
        pytest.param("bare", 400, "the request cannot be carried out", id="bare-domain-error"),
    ],
)
async def test_domain_error_becomes_its_status_and_detail(
    client: AsyncClient, kind: str, status: int, detail: str
) -> None:
    response = await client.get(f"/fail/{kind}")

    assert (response.status_code, response.json()) == (status, {"detail": detail})


async def test_unauthorized_names_the_challenge(client: AsyncClient) -> None:
    response = await client.get("/fail/auth")

    assert response.headers["www-authenticate"] == "Bearer"


async def test_other_errors_carry_no_challenge(client: AsyncClient) -> None:
    response = await client.get("/fail/forbidden")

    assert "www-authenticate" not in response.headers


def test_status_follows_the_nearest_kind() -> None:
    assert status_code(SlugTaken()) == 409


def test_documented_errors_name_the_error_body_and_the_services_description() -> None:
    app = FastAPI()

    errors = error_responses({404: "No such thing", 409: "Taken"})

    @app.get("/thing", responses=errors(404))
    async def thing() -> None:
        return None

    document = app.openapi()

    documented = document["paths"]["/thing"]["get"]["responses"]["404"]
    assert documented["description"] == "No such thing"
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "409" not in document["paths"]["/thing"]["get"]["responses"]
