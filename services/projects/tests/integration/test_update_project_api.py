"""PATCH /api/v1/organizations/{org_id}/projects/{project_id}"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy.orm import Session

from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, OTHER_ORG_ID, project_url

pytestmark = pytest.mark.anyio

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def project(member):
    """A project of ORG_ID owned by the `member` caller."""
    return ProjectFactory(
        organization_id=ORG_ID,
        owner_id=member.user_id,
        name="Apollo",
        description="Moon",
        created_at=CREATED,
        updated_at=CREATED,
    )


@pytest.mark.parametrize("caller", ["member", "admin", "org_owner"])
async def test_owner_and_org_admins_update_the_project(client, project, request, caller) -> None:
    user = request.getfixturevalue(caller)

    response = await client.patch(
        project_url(project.id), json={"status": "archived"}, headers=user.headers
    )

    assert response.status_code == 200
    assert response.json()["status"] == "archived"


async def test_rename_updates_slug_and_timestamp(
    client, db_session: Session, project, make_caller
) -> None:
    with freeze_time("2025-02-02 08:00:00", real_asyncio=True):
        caller = make_caller(project.owner_id, {ORG_ID: "member"})
        response = await client.patch(
            project_url(project.id),
            json={"name": "Artemis II", "description": "Back to the Moon"},
            headers=caller.headers,
        )

    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["slug"], body["description"]) == (
        "Artemis II",
        "artemis-ii",
        "Back to the Moon",
    )
    assert (body["created_at"], body["updated_at"]) == (
        "2025-01-01T00:00:00Z",
        "2025-02-02T08:00:00Z",
    )
    db_session.refresh(project)
    assert project.slug == "artemis-ii"


async def test_fields_not_sent_are_unchanged(client, member, project) -> None:
    response = await client.patch(
        project_url(project.id), json={"status": "archived"}, headers=member.headers
    )

    assert (response.json()["name"], response.json()["description"]) == ("Apollo", "Moon")


async def test_patch_without_changes_keeps_updated_at(client, member, project) -> None:
    response = await client.patch(
        project_url(project.id), json={"name": "Apollo"}, headers=member.headers
    )

    assert response.status_code == 200
    assert response.json()["updated_at"] == "2025-01-01T00:00:00Z"


async def test_other_member_gets_403(client, other_member, project) -> None:
    response = await client.patch(
        project_url(project.id), json={"name": "Hijacked"}, headers=other_member.headers
    )

    assert response.status_code == 403


async def test_non_member_gets_404_even_as_owner_of_another_org(client, outsider, project) -> None:
    response = await client.patch(
        project_url(project.id), json={"name": "Hijacked"}, headers=outsider.headers
    )

    assert response.status_code == 404


async def test_rename_to_a_taken_slug_is_409_and_changes_nothing(client, member, project) -> None:
    ProjectFactory(organization_id=ORG_ID, name="Gemini")

    response = await client.patch(
        project_url(project.id),
        json={"name": "GEMINI", "description": "changed"},
        headers=member.headers,
    )
    after = await client.get(project_url(project.id), headers=member.headers)

    assert response.status_code == 409
    assert (after.json()["name"], after.json()["description"]) == ("Apollo", "Moon")


async def test_rename_to_a_slug_used_in_another_org_is_fine(client, member, project) -> None:
    ProjectFactory(organization_id=OTHER_ORG_ID, name="Gemini")

    response = await client.patch(
        project_url(project.id), json={"name": "Gemini"}, headers=member.headers
    )

    assert response.status_code == 200


async def test_case_only_rename_keeps_its_own_slug(client, member, project) -> None:
    response = await client.patch(
        project_url(project.id), json={"name": "APOLLO"}, headers=member.headers
    )

    assert (response.status_code, response.json()["slug"]) == (200, "apollo")


@pytest.mark.parametrize(
    "payload,field",
    [
        pytest.param({"status": "deleted"}, "status", id="unknown-status"),
        pytest.param({"name": None}, "name", id="null-name"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"description": "d" * 2001}, "description", id="description-too-long"),
        pytest.param({"slug": "custom"}, "slug", id="slug-is-derived-not-writable"),
        pytest.param({"owner_id": 1}, "owner_id", id="owner-not-writable"),
    ],
)
async def test_invalid_update_is_422_naming_the_field(
    client, member, project, payload, field
) -> None:
    response = await client.patch(project_url(project.id), json=payload, headers=member.headers)

    assert response.status_code == 422
    assert ["body", field] in [error["loc"] for error in response.json()["detail"]]


async def test_update_missing_project_is_404(client, admin) -> None:
    response = await client.patch(project_url(424_242), json={"name": "X"}, headers=admin.headers)

    assert response.status_code == 404
