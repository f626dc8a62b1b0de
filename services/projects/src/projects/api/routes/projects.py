"""/api/v1/organizations/{org_id}/projects"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator

from projects.api.deps import CurrentPrincipal, Projects
from projects.api.errors import errors
from projects.models import MAX_PROJECT_ID, NAME_MAX_LENGTH, ProjectStatus
from projects.repositories.projects import ProjectFilters
from projects.schemas import (
    ProjectCreate,
    ProjectList,
    ProjectRead,
    ProjectUpdate,
    storable_text,
)
from service_kit.ids import MAX_ID

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/organizations/{org_id}/projects",
    tags=["projects"],
    responses=errors(401, 404),
)

SearchText = Annotated[str, AfterValidator(storable_text)]
OrgId = Annotated[int, Path(ge=1, le=MAX_ID, description="Organization id")]
ProjectId = Annotated[int, Path(ge=1, le=MAX_PROJECT_ID, description="Project id")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    responses=errors(400, 409),
)
def create_project(
    org_id: OrgId, body: ProjectCreate, principal: CurrentPrincipal, service: Projects
) -> ProjectRead:
    """Create a project; any member may, and becomes its owner."""
    project = service.create(principal, org_id, body)
    return ProjectRead.model_validate(project)


@router.get("", response_model=ProjectList)
def list_projects(
    org_id: OrgId,
    principal: CurrentPrincipal,
    service: Projects,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_PROJECT_ID)] = 0,
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    q: Annotated[
        SearchText | None,
        Query(max_length=NAME_MAX_LENGTH, description="Case-insensitive substring of the name"),
    ] = None,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ProjectList:
    """The organization's projects, oldest first (created_at, then id)."""
    filters = ProjectFilters(
        status=status_.value if status_ is not None else None,
        q=q,
        owner_id=owner_id,
    )
    items, total = service.list(principal, org_id, filters, limit=limit, offset=offset)
    return ProjectList(
        items=[ProjectRead.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{project_id}", response_model=ProjectRead)
def get_project(
    org_id: OrgId, project_id: ProjectId, principal: CurrentPrincipal, service: Projects
) -> ProjectRead:
    return ProjectRead.model_validate(service.get(principal, org_id, project_id))


@router.patch(
    "/{project_id}",
    response_model=ProjectRead,
    responses=errors(400, 403, 409),
)
def update_project(
    org_id: OrgId,
    project_id: ProjectId,
    body: ProjectUpdate,
    principal: CurrentPrincipal,
    service: Projects,
) -> ProjectRead:
    """Change name, description or status; the project's owner or an org owner/admin."""
    return ProjectRead.model_validate(service.update(principal, org_id, project_id, body))


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(403),
)
def delete_project(
    org_id: OrgId, project_id: ProjectId, principal: CurrentPrincipal, service: Projects
) -> Response:
    """Delete a project; the project's owner or an org owner/admin."""
    service.delete(principal, org_id, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
