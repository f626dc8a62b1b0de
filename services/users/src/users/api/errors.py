"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from typing import Any

from service_kit.http import documented_errors

__all__ = ["errors"]

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for the caller's role",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with existing data",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return documented_errors(_DESCRIPTIONS, *codes)
