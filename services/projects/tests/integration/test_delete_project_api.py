"""DELETE /api/v1/organizations/{org_id}/projects/{project_id}"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from projects.models import Project
from tests.factories import ProjectFactory
from tests.integration.helpers import ORG_ID, OTHER_ORG_ID, project_url, projects_url

pytestmark = pytest.mark.anyio


@pytest.fixture
def project(member):
    return ProjectFactory(organization_id=ORG_ID, owner_id=member.user_id, name="Skylab")


@pytest.mark.parametrize("caller", ["member", "admin", "org_owner"])
async def test_owner_and_org_admins_delete_the_project(
    client, db_session: Session, project, request, caller
) -> None:
    user = request.getfixturevalue(caller)
    project_id = project.id

    response = await client.delete(project_url(project_id), headers=user.headers)

    assert (response.status_code, response.content) == (204, b"")
    assert db_session.scalars(select(Project).where(Project.id == project_id)).first() is None
    again = await client.get(project_url(project_id), headers=user.headers)
    assert again.status_code == 404


async def test_other_member_gets_403_and_project_remains(client, other_member, project) -> None:
    response = await client.delete(project_url(project.id), headers=other_member.headers)
    still_there = await client.get(project_url(project.id), headers=other_member.headers)

    assert (response.status_code, still_there.status_code) == (403, 200)


async def test_non_member_gets_404(client, outsider, project) -> None:
    response = await client.delete(project_url(project.id), headers=outsider.headers)

    assert response.status_code == 404


async def test_deleting_twice_is_404(client, member, project) -> None:
    first = await client.delete(project_url(project.id), headers=member.headers)
    second = await client.delete(project_url(project.id), headers=member.headers)

    assert (first.status_code, second.status_code) == (204, 404)


async def test_delete_through_another_org_path_is_404(client, make_caller, project) -> None:
    caller = make_caller(50, {ORG_ID: "owner", OTHER_ORG_ID: "owner"})

    response = await client.delete(project_url(project.id, OTHER_ORG_ID), headers=caller.headers)

    assert response.status_code == 404


async def test_deleted_slug_can_be_reused(client, member, project) -> None:
    await client.delete(project_url(project.id), headers=member.headers)

    response = await client.post(projects_url(), json={"name": "Skylab"}, headers=member.headers)

    assert response.status_code == 201


async def test_delete_with_invalid_id_is_422(client, member) -> None:
    response = await client.delete(project_url(-1), headers=member.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "project_id"]
