"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from projects import __version__
from projects.api.routes import projects
from projects.config import Settings, get_settings
from service_kit.http import add_domain_error_handler

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, running on ``settings`` (default: the environment's, ``PROJECTS_*``)."""
    app = FastAPI(
        title="projects",
        version=__version__,
        description="Projects inside organizations, authorised by the users service's tokens.",
    )
    app.state.settings = settings if settings is not None else get_settings()
    add_domain_error_handler(app, challenge="Bearer")
    app.include_router(projects.router)
    return app
