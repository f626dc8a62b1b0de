"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from service_kit.http import error_responses

__all__ = ["errors"]

errors = error_responses(
    {
        # FastAPI answers 400 (not 422) for a body it cannot decode at all, e.g. invalid UTF-8.
        400: "The body could not be parsed",
        401: "Missing, invalid or expired access token",
        403: "Not the project's owner nor an org owner/admin",
        404: "No such organization or project, or the caller is not a member",
        409: "A project with the same slug exists in the org",
    }
)
