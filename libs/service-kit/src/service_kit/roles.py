"""A member's role in an organization, as the users service stores it and tokens carry it."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def is_manager(self) -> bool:
        """Owners and admins manage an organization: its members and all its projects."""
        return self in (Role.OWNER, Role.ADMIN)
