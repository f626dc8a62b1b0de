from __future__ import annotations

from sqlalchemy import select

from users.models import Membership, Organization
from users.repositories.base import SQLRepository

__all__ = ["OrganizationRepository"]


class OrganizationRepository(SQLRepository):
    def add(self, organization: Organization) -> Organization:
        """Insert now (flush), so a duplicate slug fails here with IntegrityError."""
        self.session.add(organization)
        self.session.flush()
        return organization

    def for_user(self, user_id: int) -> list[tuple[Organization, Membership]]:
        """The user's organizations with the user's membership in each, by id."""
        rows = self.session.execute(
            select(Organization, Membership)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id)
            .order_by(Organization.id)
        )
        return [(organization, membership) for organization, membership in rows]
