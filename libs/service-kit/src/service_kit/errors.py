"""What can go wrong in a service's domain, without HTTP.

Services and repositories raise these; the API edge (:mod:`service_kit.http`) turns them
into responses. ``detail`` is safe to show to the caller.
"""

from __future__ import annotations

__all__ = ["Conflict", "DomainError", "Forbidden", "InvalidInput", "NotFound", "Unauthorized"]


class DomainError(Exception):
    """Base of every expected failure; ``detail`` says what happened, for the caller."""

    detail = "the request cannot be carried out"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.detail
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """The request is well-formed but a rule refuses it (e.g. a wrong current password)."""

    detail = "invalid input"


class Unauthorized(DomainError):
    """The caller could not be identified: missing, invalid or expired credentials."""

    detail = "could not validate credentials"


class Forbidden(DomainError):
    """The caller is known but not allowed to do this."""

    detail = "not allowed"


class NotFound(DomainError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    detail = "not found"


class Conflict(DomainError):
    """The request clashes with stored data (a taken name, the last owner...)."""

    detail = "conflict"
