"""Data access: one repository per aggregate, all sharing the request's session."""

from users.repositories.base import SQLRepository, unique_violation
from users.repositories.memberships import MembershipRepository
from users.repositories.organizations import OrganizationRepository
from users.repositories.users import UserRepository

__all__ = [
    "MembershipRepository",
    "OrganizationRepository",
    "SQLRepository",
    "UserRepository",
    "unique_violation",
]
