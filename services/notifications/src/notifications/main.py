"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from notifications import __version__
from notifications.api.routes import notifications, operations, preferences

__all__ = ["create_app"]

API_PREFIX = "/api/v1"


def create_app() -> FastAPI:
    app = FastAPI(
        title="notifications",
        version=__version__,
        description=(
            "Notification preferences, an outbox delivered through an HTTP email provider, "
            "and daily digests. The caller is identified by the X-User-Id header, which "
            "the API gateway sets after authenticating the request."
        ),
    )
    for module in (preferences, notifications, operations):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
