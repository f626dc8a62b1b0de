"""Domain errors, mapped to HTTP responses in ``main``."""

from __future__ import annotations

__all__ = ["ConflictError", "DomainError", "ForbiddenError", "NotFoundError"]


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status_code = 404


class ForbiddenError(DomainError):
    status_code = 403


class ConflictError(DomainError):
    status_code = 409
