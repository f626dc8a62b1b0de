"""FastAPI dependencies: the session, settings, services, and the current user."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service_kit.errors import Unauthorized
from users.config import Settings, app_settings
from users.db import get_db
from users.models import User
from users.repositories import MembershipRepository, OrganizationRepository, UserRepository
from users.security import PasswordHasher, TokenService
from users.services import AuthService, OrganizationService, UserService

__all__ = [
    "AuthServiceDep",
    "CurrentUser",
    "OrganizationServiceDep",
    "UserServiceDep",
    "get_password_hasher",
    "get_token_service",
]

SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


@lru_cache
def get_password_hasher() -> PasswordHasher:
    return PasswordHasher()


def get_token_service(settings: SettingsDep) -> TokenService:
    return TokenService(
        settings.jwt_secret.get_secret_value(),
        algorithm=settings.jwt_algorithm,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
    )


HasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
TokensDep = Annotated[TokenService, Depends(get_token_service)]


def get_auth_service(session: SessionDep, hasher: HasherDep, tokens: TokensDep) -> AuthService:
    return AuthService(UserRepository(session), MembershipRepository(session), hasher, tokens)


def get_user_service(session: SessionDep, hasher: HasherDep) -> UserService:
    return UserService(UserRepository(session), hasher)


def get_organization_service(session: SessionDep) -> OrganizationService:
    return OrganizationService(
        OrganizationRepository(session), MembershipRepository(session), UserRepository(session)
    )


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]
UserServiceDep = Annotated[UserService, Depends(get_user_service)]
OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]

bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/*")


def get_current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    auth: AuthServiceDep,
) -> User:
    if credentials is None:
        raise Unauthorized("not authenticated")
    return auth.authenticate(credentials.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]
