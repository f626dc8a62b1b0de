"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from typing import Any

from service_kit.http import documented_errors

__all__ = ["errors"]

_DESCRIPTIONS = {
    400: "Malformed request body (not decodable)",
    401: "Missing or invalid X-User-Id header",
    403: "The caller may not do this",
    404: "Not found (or not the caller's)",
    409: "Conflict",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return documented_errors(_DESCRIPTIONS, *codes)
