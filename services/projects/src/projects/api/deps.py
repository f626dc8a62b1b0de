"""FastAPI dependencies: the caller's principal and the project service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from projects.config import Settings
from projects.db import get_db
from projects.repositories.projects import ProjectRepository
from projects.security import InvalidTokenError, Principal, decode_access_token
from projects.services.projects import ProjectService

__all__ = ["CurrentPrincipal", "Projects", "get_current_principal", "get_project_service"]

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token issued by the users service.",
)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_settings_from_app(request: Request) -> Settings:
    return request.app.state.settings


def get_current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: Annotated[Settings, Depends(get_settings_from_app)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("not authenticated")
    try:
        return decode_access_token(
            credentials.credentials,
            secret=settings.jwt_secret.get_secret_value(),
            leeway=settings.jwt_leeway_seconds,
        )
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from None


def get_project_service(db: Annotated[Session, Depends(get_db)]) -> ProjectService:
    return ProjectService(ProjectRepository(db))


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]
Projects = Annotated[ProjectService, Depends(get_project_service)]
