from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["SQLRepository", "unique_violation"]

_UNIQUE_VIOLATION = "23505"


def unique_violation(error: IntegrityError) -> str | None:
    """The name of the unique constraint ``error`` broke, if it is a unique violation."""
    diag = getattr(error.orig, "diag", None)
    if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION or diag is None:
        return None
    return diag.constraint_name


class SQLRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
