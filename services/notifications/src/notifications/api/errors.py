"""Documented error responses, so the OpenAPI schema lists every status an endpoint returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["ErrorOut", "responses"]


class ErrorOut(BaseModel):
    detail: str


_DESCRIPTIONS = {
    400: "Malformed request body (not decodable)",
    401: "Missing or invalid X-User-Id header",
    403: "The caller may not do this",
    404: "Not found (or not the caller's)",
    409: "Conflict",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}
