"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from notifications import __version__
from notifications.api.deps import USER_HEADER
from notifications.api.routes import notifications, operations, preferences
from notifications.config import Settings, get_settings
from service_kit.http import add_domain_error_handler

__all__ = ["create_app"]

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, running on ``settings`` (default: the environment's, ``NOTIFICATIONS_*``)."""
    app = FastAPI(
        title="notifications",
        version=__version__,
        description=(
            "Notification preferences, an outbox delivered through an HTTP email provider, "
            "and daily digests. The caller is identified by the X-User-Id header, which "
            "the API gateway sets after authenticating the request."
        ),
    )
    app.state.settings = settings if settings is not None else get_settings()
    add_domain_error_handler(app, challenge=USER_HEADER)
    for module in (preferences, notifications, operations):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
