from __future__ import annotations

from sqlalchemy import select

from users.models import Membership, Role, User
from users.repositories.base import SQLRepository

__all__ = ["MembershipRepository"]


class MembershipRepository(SQLRepository):
    def get(self, organization_id: int, user_id: int) -> Membership | None:
        return self.session.get(Membership, (user_id, organization_id))

    def roles_of(self, user_id: int) -> dict[int, Role]:
        """``{organization id: role}`` for every organization the user belongs to."""
        rows = self.session.execute(
            select(Membership.organization_id, Membership.role).where(Membership.user_id == user_id)
        )
        return {organization_id: role for organization_id, role in rows}

    def members(self, organization_id: int) -> list[tuple[Membership, User]]:
        rows = self.session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == organization_id)
            .order_by(User.id)
        )
        return [(membership, user) for membership, user in rows]

    def count_owners(self, organization_id: int) -> int:
        """Owners of the organization, their rows locked until commit: two concurrent
        removals cannot each see the other owner and leave none."""
        owners = select(Membership.user_id).where(
            Membership.organization_id == organization_id, Membership.role == Role.OWNER
        )
        return len(self.session.scalars(owners.with_for_update()).all())

    def add(self, membership: Membership) -> Membership:
        """Insert now (flush), so an existing membership fails here with IntegrityError."""
        self.session.add(membership)
        self.session.flush()
        return membership

    def delete(self, membership: Membership) -> None:
        self.session.delete(membership)
        self.session.flush()
