"""The HTTP layer over a mocked ProjectService: authentication, error mapping,
parameter validation. No database: the service dependency is replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import MagicMock

import pytest
from httpx import ASGITransport, AsyncClient

from projects.api.deps import get_project_service
from projects.main import create_app
from projects.repositories.projects import ProjectFilters
from projects.security import Principal
from projects.services.projects import ProjectService
from service_kit.errors import Conflict, Forbidden, NotFound
from service_kit.roles import Role
from tests.tokens import bearer, make_token
from tests.unit.conftest import ORG_ID

pytestmark = pytest.mark.anyio

URL = f"/api/v1/organizations/{ORG_ID}/projects"


@pytest.fixture
def mock_service() -> MagicMock:
    service = MagicMock(spec=ProjectService)
    service.list.return_value = ([], 0)
    return service


@pytest.fixture
async def api(mock_service: MagicMock) -> AsyncIterator[AsyncClient]:
    app = create_app()
    app.dependency_overrides[get_project_service] = lambda: mock_service
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
def headers() -> dict[str, str]:
    return bearer(make_token(5, {ORG_ID: "member"}))


async def test_request_without_token_is_401_with_bearer_challenge(api, mock_service) -> None:
    response = await api.get(URL)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "not authenticated"}
    mock_service.list.assert_not_called()


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer not.a.token", id="bearer-garbage"),
    ],
)
async def test_non_bearer_or_garbage_credentials_are_401(api, authorization: str) -> None:
    response = await api.get(URL, headers={"Authorization": authorization})

    assert response.status_code == 401


async def test_principal_from_token_and_query_reach_the_service(api, mock_service, headers) -> None:
    response = await api.get(
        URL,
        params={"status": "archived", "q": "ro", "owner_id": 3, "limit": 5, "offset": 10},
        headers=headers,
    )

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 5, "offset": 10}
    mock_service.list.assert_called_once_with(
        Principal(user_id=5, orgs={ORG_ID: Role.MEMBER}),
        ORG_ID,
        ProjectFilters(status="archived", q="ro", owner_id=3),
        limit=5,
        offset=10,
    )


@pytest.mark.parametrize(
    "error,status",
    [
        pytest.param(NotFound("project not found"), 404, id="not-found"),
        pytest.param(Forbidden("not yours"), 403, id="forbidden"),
        pytest.param(Conflict("slug taken"), 409, id="conflict"),
    ],
)
async def test_domain_errors_map_to_status_and_detail(
    api, mock_service, headers, error, status
) -> None:
    mock_service.delete.side_effect = error

    response = await api.delete(f"{URL}/1", headers=headers)

    assert response.status_code == status
    assert response.json() == {"detail": error.detail}


@pytest.mark.parametrize(
    "params,field",
    [
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": 101}, "limit", id="limit-over-100"),
        pytest.param({"offset": -1}, "offset", id="negative-offset"),
        pytest.param({"status": "deleted"}, "status", id="unknown-status"),
        pytest.param({"owner_id": "me"}, "owner_id", id="owner-id-not-integer"),
        pytest.param({"q": "a\x00"}, "q", id="q-with-nul"),
        pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
    ],
)
async def test_invalid_list_parameters_are_422_naming_the_field(
    api, mock_service, headers, params, field
) -> None:
    response = await api.get(URL, params=params, headers=headers)

    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]
    mock_service.list.assert_not_called()


@pytest.mark.parametrize(
    "path,field",
    [
        pytest.param("/api/v1/organizations/0/projects", "org_id", id="org-id-zero"),
        pytest.param("/api/v1/organizations/abc/projects", "org_id", id="org-id-not-integer"),
        pytest.param(
            f"/api/v1/organizations/{2**63}/projects", "org_id", id="org-id-beyond-bigint"
        ),
        pytest.param(f"{URL}/0", "project_id", id="project-id-zero"),
    ],
)
async def test_invalid_path_ids_are_422(api, headers, path: str, field: str) -> None:
    response = await api.get(path, headers=headers)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["path", field]]


async def test_create_with_unknown_field_is_422(api, mock_service, headers) -> None:
    response = await api.post(URL, json={"name": "A", "owner_id": 1}, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "owner_id"]
    mock_service.create.assert_not_called()


async def test_openapi_documents_bearer_security_and_error_responses(api) -> None:
    schema = (await api.get("/openapi.json")).json()

    operation = schema["paths"]["/api/v1/organizations/{org_id}/projects/{project_id}"]["patch"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])
