"""What can go wrong in the service, each with the HTTP status the API answers with."""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "ServiceError",
    "Unauthorized",
]


class ServiceError(Exception):
    status_code = 400
    detail = "bad request"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.detail
        super().__init__(self.detail)


class BadRequest(ServiceError):
    status_code = 400


class Unauthorized(ServiceError):
    status_code = 401
    detail = "could not validate credentials"


class Forbidden(ServiceError):
    status_code = 403
    detail = "not allowed"


class NotFound(ServiceError):
    status_code = 404
    detail = "not found"


class Conflict(ServiceError):
    status_code = 409
    detail = "conflict"
