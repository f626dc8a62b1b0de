"""Domain errors as HTTP responses: the only place their status codes are decided, and
how services document those responses in OpenAPI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service_kit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)

__all__ = [
    "STATUS_CODES",
    "ErrorResponse",
    "add_domain_error_handler",
    "error_responses",
    "status_code",
]

STATUS_CODES: dict[type[DomainError], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
}


def status_code(error: DomainError) -> HTTPStatus:
    """The status for ``error``'s nearest kind; 400 for a bare ``DomainError``."""
    for kind in type(error).__mro__:
        if kind in STATUS_CODES:
            return STATUS_CODES[kind]
    return HTTPStatus.BAD_REQUEST


def add_domain_error_handler(app: FastAPI, *, challenge: str) -> None:
    """Answer every ``DomainError`` with ``{"detail": ...}`` and its status; a 401 names
    the authentication scheme (``challenge``) in ``WWW-Authenticate``, as RFC 9110 asks."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)  # registered for DomainError only
        status = status_code(error)
        headers = {"WWW-Authenticate": challenge} if status == HTTPStatus.UNAUTHORIZED else None
        return JSONResponse({"detail": error.detail}, status_code=status, headers=headers)

    app.add_exception_handler(DomainError, handle)


class ErrorResponse(BaseModel):
    """The body of every error answer: ``{"detail": "..."}``."""

    detail: str


def error_responses(
    descriptions: Mapping[int, str],
) -> Callable[..., dict[int | str, dict[str, Any]]]:
    """``errors(*codes)`` for a service's routes: an operation's ``responses=`` for those
    statuses, each with :class:`ErrorResponse` and what the status means in that service, so
    clients (and contract tests) know every status an operation answers."""
    known = dict(descriptions)

    def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
        return {code: {"model": ErrorResponse, "description": known[code]} for code in codes}

    return errors
