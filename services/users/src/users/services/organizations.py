from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from service_kit.errors import Conflict, Forbidden, NotFound
from users.models import Membership, Organization, Role, User
from users.repositories import (
    MembershipRepository,
    OrganizationRepository,
    UserRepository,
    unique_violation,
)
from users.schemas import (
    MemberAdd,
    MemberRead,
    OrganizationCreate,
    OrganizationDetail,
    OrganizationRead,
)

__all__ = ["OrganizationService"]


def _read(organization: Organization, role: Role) -> OrganizationRead:
    return OrganizationRead(
        id=organization.id, name=organization.name, slug=organization.slug, role=role
    )


def _member(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        user_id=user.id, email=user.email, full_name=user.full_name, role=membership.role
    )


class OrganizationService:
    """Organizations are visible to their members only: to anyone else they do not
    exist (``NotFound``). Owners and admins manage members; only owners touch owners."""

    def __init__(
        self,
        organizations: OrganizationRepository,
        memberships: MembershipRepository,
        users: UserRepository,
    ) -> None:
        self.organizations = organizations
        self.memberships = memberships
        self.users = users

    def create(self, creator: User, data: OrganizationCreate) -> OrganizationRead:
        organization = Organization(name=data.name, slug=data.slug)
        try:
            self.organizations.add(organization)
            self.memberships.add(
                Membership(user_id=creator.id, organization_id=organization.id, role=Role.OWNER)
            )
            self.organizations.commit()
        except IntegrityError as error:
            self.organizations.rollback()
            if unique_violation(error) == "uq_organizations_slug":
                raise Conflict("slug already taken") from None
            raise
        return _read(organization, Role.OWNER)

    def list_for(self, user: User) -> list[OrganizationRead]:
        return [
            _read(organization, membership.role)
            for organization, membership in self.organizations.for_user(user.id)
        ]

    def get(self, user: User, organization_id: int) -> OrganizationDetail:
        membership = self._membership_of(user, organization_id)
        organization = membership.organization
        members = [_member(m, u) for m, u in self.memberships.members(organization_id)]
        return OrganizationDetail(
            **_read(organization, membership.role).model_dump(), members=members
        )

    def add_member(self, actor: User, organization_id: int, data: MemberAdd) -> MemberRead:
        manager = self._manager(actor, organization_id)
        if data.role == Role.OWNER and manager.role != Role.OWNER:
            raise Forbidden("only owners can add owners")
        user = self.users.get_by_email(data.email)
        if user is None:
            raise NotFound("no user with this email")
        if self.memberships.get(organization_id, user.id) is not None:
            raise Conflict("user is already a member")
        membership = Membership(user_id=user.id, organization_id=organization_id, role=data.role)
        try:
            self.memberships.add(membership)
            self.memberships.commit()
        except IntegrityError as error:
            self.memberships.rollback()
            if unique_violation(error) == "pk_memberships":
                raise Conflict("user is already a member") from None
            raise
        return _member(membership, user)

    def remove_member(self, actor: User, organization_id: int, user_id: int) -> None:
        manager = self._manager(actor, organization_id)
        membership = self.memberships.get(organization_id, user_id)
        if membership is None:
            raise NotFound("member not found")
        if membership.role == Role.OWNER:
            if manager.role != Role.OWNER:
                raise Forbidden("only owners can remove owners")
            if self.memberships.count_owners(organization_id) <= 1:
                raise Conflict("cannot remove the last owner")
        self.memberships.delete(membership)
        self.memberships.commit()

    def _membership_of(self, user: User, organization_id: int) -> Membership:
        membership = self.memberships.get(organization_id, user.id)
        if membership is None:
            raise NotFound("organization not found")
        return membership

    def _manager(self, user: User, organization_id: int) -> Membership:
        membership = self._membership_of(user, organization_id)
        if not membership.role.is_manager:
            raise Forbidden("only owners and admins can manage members")
        return membership
