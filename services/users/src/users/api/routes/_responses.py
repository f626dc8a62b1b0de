"""Error responses in the OpenAPI document, so clients (and schemathesis) know them."""

from __future__ import annotations

from typing import Any

from users.schemas import ErrorResponse

__all__ = ["errors"]

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for the caller's role",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with existing data",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}
