from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from service_kit.ids import MAX_ID
from users.api.deps import CurrentUser, OrganizationServiceDep
from users.api.errors import errors
from users.schemas import (
    MemberAdd,
    MemberRead,
    OrganizationCreate,
    OrganizationDetail,
    OrganizationRead,
)

router = APIRouter(prefix="/organizations", tags=["organizations"])

OrganizationId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationRead,
    responses=errors(401, 409),
)
def create_organization(
    data: OrganizationCreate, user: CurrentUser, organizations: OrganizationServiceDep
) -> OrganizationRead:
    """Create an organization; its creator becomes its owner."""
    return organizations.create(user, data)


@router.get("", response_model=list[OrganizationRead], responses=errors(401))
def list_organizations(
    user: CurrentUser, organizations: OrganizationServiceDep
) -> list[OrganizationRead]:
    """The caller's organizations, with the caller's role in each."""
    return organizations.list_for(user)


@router.get("/{organization_id}", response_model=OrganizationDetail, responses=errors(401, 404))
def read_organization(
    organization_id: OrganizationId, user: CurrentUser, organizations: OrganizationServiceDep
) -> OrganizationDetail:
    """An organization and its members; 404 unless the caller is a member."""
    return organizations.get(user, organization_id)


@router.post(
    "/{organization_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberRead,
    responses=errors(401, 403, 404, 409),
)
def add_member(
    organization_id: OrganizationId,
    data: MemberAdd,
    user: CurrentUser,
    organizations: OrganizationServiceDep,
) -> MemberRead:
    """Add an existing user by email (owners and admins; only owners add owners)."""
    return organizations.add_member(user, organization_id, data)


@router.delete(
    "/{organization_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404, 409),
)
def remove_member(
    organization_id: OrganizationId,
    user_id: UserId,
    user: CurrentUser,
    organizations: OrganizationServiceDep,
) -> None:
    """Remove a member (owners and admins; only owners remove owners; never the last one)."""
    organizations.remove_member(user, organization_id, user_id)
