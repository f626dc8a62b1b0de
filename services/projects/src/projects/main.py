"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from projects import __version__
from projects.api.routes import projects
from projects.config import Settings, get_settings
from projects.errors import DomainError

__all__ = ["create_app"]


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return JSONResponse(status_code=error.status_code, content={"detail": error.detail})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` default to the environment's (``PROJECTS_*``)."""
    app = FastAPI(
        title="projects",
        version=__version__,
        description="Projects inside organizations, authorised by the users service's tokens.",
    )
    app.state.settings = settings if settings is not None else get_settings()
    app.add_exception_handler(DomainError, _domain_error)
    app.include_router(projects.router)
    return app
