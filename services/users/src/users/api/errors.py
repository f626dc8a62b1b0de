"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from service_kit.http import error_responses

__all__ = ["errors"]

errors = error_responses(
    {
        400: "Bad request",
        401: "Missing, invalid or expired credentials",
        403: "Not allowed for the caller's role",
        404: "Not found (or not visible to the caller)",
        409: "Conflict with existing data",
    }
)
