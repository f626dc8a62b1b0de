"""GET /api/v1/organizations/{org_id}/projects/{project_id}"""

from __future__ import annotations

import pytest

from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, OTHER_ORG_ID, project_url

pytestmark = pytest.mark.anyio


async def test_member_reads_a_project_of_the_organization(client, member) -> None:
    project = ProjectFactory(organization_id=ORG_ID, name="Voyager", owner_id=12, description="Far")

    response = await client.get(project_url(project.id), headers=member.headers)

    assert response.status_code == 200
    assert response.json() | {"created_at": None, "updated_at": None} == {
        "id": project.id,
        "organization_id": ORG_ID,
        "owner_id": 12,
        "name": "Voyager",
        "slug": "voyager",
        "description": "Far",
        "status": "active",
        "created_at": None,
        "updated_at": None,
    }


async def test_missing_project_is_404(client, member) -> None:
    response = await client.get(project_url(987_654), headers=member.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "project not found"}


async def test_project_of_another_organization_is_404_even_for_members_of_both(
    client, make_caller
) -> None:
    project = ProjectFactory(organization_id=OTHER_ORG_ID)
    caller = make_caller(40, {ORG_ID: "owner", OTHER_ORG_ID: "member"})

    wrong_org = await client.get(project_url(project.id, ORG_ID), headers=caller.headers)
    right_org = await client.get(project_url(project.id, OTHER_ORG_ID), headers=caller.headers)

    assert (wrong_org.status_code, right_org.status_code) == (404, 200)


async def test_non_member_gets_404_for_existing_and_missing_projects_alike(
    client, outsider
) -> None:
    project = ProjectFactory(organization_id=ORG_ID)

    existing = await client.get(project_url(project.id), headers=outsider.headers)
    missing = await client.get(project_url(project.id + 1000), headers=outsider.headers)

    assert existing.status_code == missing.status_code == 404
    assert existing.json() == missing.json()


async def test_invalid_project_id_is_422(client, member) -> None:
    response = await client.get(project_url("abc"), headers=member.headers)  # type: ignore[arg-type]

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "project_id"]
