"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from service_kit.http import add_domain_error_handler
from users import __version__
from users.api.routes import api_router
from users.config import Settings, get_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, running on ``settings`` (default: the environment's, ``USERS_*``)."""
    app = FastAPI(title="users", version=__version__)
    app.state.settings = settings if settings is not None else get_settings()
    add_domain_error_handler(app, challenge="Bearer")
    app.include_router(api_router)
    return app
