from __future__ import annotations

from fastapi import APIRouter

from users.api.deps import CurrentUser, UserServiceDep
from users.api.errors import errors
from users.models import User
from users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead, responses=errors(401))
def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserRead, responses=errors(400, 401))
def update_me(data: UserUpdate, user: CurrentUser, users: UserServiceDep) -> User:
    """Change the full name, or the password (the current one is required)."""
    return users.update(user, data)
