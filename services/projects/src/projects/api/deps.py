"""FastAPI dependencies: the caller's principal and the project service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from projects.config import Settings, app_settings
from projects.db import get_db
from projects.repositories.projects import ProjectRepository
from projects.security import Principal, decode_access_token
from projects.services.projects import ProjectService
from service_kit.errors import Unauthorized

__all__ = ["CurrentPrincipal", "Projects", "get_current_principal", "get_project_service"]

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token issued by the users service.",
)


def get_current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: Annotated[Settings, Depends(app_settings)],
) -> Principal:
    """The caller; ``Unauthorized`` (401) without a valid access token."""
    if credentials is None:
        raise Unauthorized("not authenticated")
    return decode_access_token(
        credentials.credentials,
        secret=settings.jwt_secret.get_secret_value(),
        leeway=settings.jwt_leeway_seconds,
    )


def get_project_service(db: Annotated[Session, Depends(get_db)]) -> ProjectService:
    return ProjectService(ProjectRepository(db))


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]
Projects = Annotated[ProjectService, Depends(get_project_service)]
