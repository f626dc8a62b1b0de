from __future__ import annotations

from service_kit.errors import InvalidInput
from users.models import User
from users.repositories import UserRepository
from users.schemas import UserUpdate
from users.security import PasswordHasher

__all__ = ["UserService"]


class UserService:
    def __init__(self, users: UserRepository, hasher: PasswordHasher) -> None:
        self.users = users
        self.hasher = hasher

    def update(self, user: User, data: UserUpdate) -> User:
        """Apply the fields the client sent; a new password needs the current one."""
        if data.password is not None:
            # The schema guarantees current_password accompanies a new password.
            if not self.hasher.verify(data.current_password or "", user.hashed_password):
                raise InvalidInput("current password is incorrect")
            user.hashed_password = self.hasher.hash(data.password)
        if "full_name" in data.model_fields_set:
            user.full_name = data.full_name
        self.users.commit()
        return user
