"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from users import __version__
from users.api.routes import api_router
from users.errors import ServiceError

__all__ = ["create_app"]


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


def create_app() -> FastAPI:
    app = FastAPI(title="users", version=__version__)
    app.include_router(api_router)
    app.add_exception_handler(ServiceError, _service_error)
    return app
