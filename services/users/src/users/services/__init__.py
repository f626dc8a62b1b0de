"""Business logic; each service takes its repositories by constructor injection."""

from users.services.auth import AuthService
from users.services.organizations import OrganizationService
from users.services.users import UserService

__all__ = ["AuthService", "OrganizationService", "UserService"]
