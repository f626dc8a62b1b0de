"""POST /api/v1/organizations/{org_id}/projects"""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from projects.models import Project
from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, OTHER_ORG_ID, projects_url

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
async def test_any_member_creates_a_project_and_owns_it(
    client, db_session: Session, make_caller, role
) -> None:
    with freeze_time("2025-03-01 09:30:00", real_asyncio=True):
        user = make_caller(31, {ORG_ID: role})
        response = await client.post(
            projects_url(),
            json={"name": "  Mars Rover ", "description": "Six wheels"},
            headers=user.headers,
        )

    assert response.status_code == 201
    body = response.json()
    assert body | {"id": None} == {
        "id": None,
        "organization_id": ORG_ID,
        "owner_id": user.user_id,
        "name": "Mars Rover",
        "slug": "mars-rover",
        "description": "Six wheels",
        "status": "active",
        "created_at": "2025-03-01T09:30:00Z",
        "updated_at": "2025-03-01T09:30:00Z",
    }
    stored = db_session.scalars(select(Project).where(Project.id == body["id"])).one()
    assert (stored.owner_id, stored.slug) == (user.user_id, "mars-rover")


async def test_owner_id_cannot_be_chosen_by_the_client(client, member) -> None:
    response = await client.post(
        projects_url(), json={"name": "Apollo", "owner_id": 1}, headers=member.headers
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "owner_id"]


async def test_duplicate_slug_in_same_organization_is_409(client, member) -> None:
    ProjectFactory(organization_id=ORG_ID, name="Mars Rover")

    response = await client.post(
        projects_url(), json={"name": "mars-rover!"}, headers=member.headers
    )

    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


async def test_same_slug_in_another_organization_is_fine(client, make_caller) -> None:
    ProjectFactory(organization_id=OTHER_ORG_ID, name="Mars Rover")
    caller = make_caller(20, {ORG_ID: "member", OTHER_ORG_ID: "member"})

    response = await client.post(
        projects_url(), json={"name": "Mars Rover"}, headers=caller.headers
    )

    assert response.status_code == 201
    assert response.json()["slug"] == "mars-rover"


async def test_conflict_leaves_existing_data_and_session_usable(client, member) -> None:
    first = await client.post(projects_url(), json={"name": "Gemini"}, headers=member.headers)
    clash = await client.post(projects_url(), json={"name": "GEMINI"}, headers=member.headers)
    after = await client.post(projects_url(), json={"name": "Gemini 2"}, headers=member.headers)
    listing = await client.get(projects_url(), headers=member.headers)

    assert (first.status_code, clash.status_code, after.status_code) == (201, 409, 201)
    assert [item["name"] for item in listing.json()["items"]] == ["Gemini", "Gemini 2"]


@pytest.mark.parametrize(
    "payload,field",
    [
        pytest.param({}, "name", id="missing-name"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": "x" * 201}, "name", id="name-too-long"),
        pytest.param({"name": "***"}, "name", id="name-without-letters-or-digits"),
        pytest.param(
            {"name": "A", "description": "d" * 2001}, "description", id="description-too-long"
        ),
        pytest.param({"name": "A\x00"}, "name", id="nul-character"),
    ],
)
async def test_invalid_payload_is_422_naming_the_field(client, member, payload, field) -> None:
    response = await client.post(projects_url(), json=payload, headers=member.headers)

    assert response.status_code == 422
    assert ["body", field] in [error["loc"] for error in response.json()["detail"]]


async def test_non_member_cannot_create_and_gets_404(client, outsider, db_session: Session) -> None:
    response = await client.post(
        projects_url(), json={"name": "Intrusion"}, headers=outsider.headers
    )

    assert response.status_code == 404
    assert db_session.scalars(select(Project)).all() == []


async def test_create_without_token_is_401(client) -> None:
    response = await client.post(projects_url(), json={"name": "Anonymous"})

    assert response.status_code == 401
