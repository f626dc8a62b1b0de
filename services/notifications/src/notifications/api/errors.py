"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from service_kit.http import error_responses

__all__ = ["errors"]

errors = error_responses(
    {
        400: "Malformed request body (not decodable)",
        401: "Missing or invalid X-User-Id header",
        403: "The caller may not do this",
        404: "Not found (or not the caller's)",
        409: "Conflict",
    }
)
