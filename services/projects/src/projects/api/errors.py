"""The error responses the API documents, with what each status means here."""

from __future__ import annotations

from typing import Any

from service_kit.http import documented_errors

__all__ = ["errors"]

_DESCRIPTIONS = {
    # FastAPI answers 400 (not 422) for a body it cannot decode at all, e.g. invalid UTF-8.
    400: "The body could not be parsed",
    401: "Missing, invalid or expired access token",
    403: "Not the project's owner nor an org owner/admin",
    404: "No such organization or project, or the caller is not a member",
    409: "A project with the same slug exists in the org",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return documented_errors(_DESCRIPTIONS, *codes)
