from __future__ import annotations

from sqlalchemy import select

from users.models import User
from users.repositories.base import SQLRepository

__all__ = ["UserRepository"]


class UserRepository(SQLRepository):
    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def add(self, user: User) -> User:
        """Insert now (flush), so a duplicate email fails here with IntegrityError."""
        self.session.add(user)
        self.session.flush()
        return user
