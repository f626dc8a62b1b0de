"""Data access for projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from projects.models import SLUG_UNIQUE_CONSTRAINT, Project

__all__ = ["ProjectFilters", "ProjectRepository", "SlugTakenError", "escape_like"]


class SlugTakenError(Exception):
    """Another project of the organization has this slug (the unique constraint said so)."""


@dataclass(frozen=True)
class ProjectFilters:
    status: str | None = None
    q: str | None = None
    owner_id: int | None = None


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_slug_conflict(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == SLUG_UNIQUE_CONSTRAINT


class ProjectRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, organization_id: int, project_id: int) -> Project | None:
        return self.session.scalar(
            select(Project).where(
                Project.organization_id == organization_id, Project.id == project_id
            )
        )

    def list_page(
        self, organization_id: int, filters: ProjectFilters, *, limit: int, offset: int
    ) -> tuple[list[Project], int]:
        """One page in a stable order (created_at, then id), and the total matching."""
        query = self._filtered(select(Project), organization_id, filters)
        count = self._filtered(select(func.count(Project.id)), organization_id, filters)
        items = self.session.scalars(
            query.order_by(Project.created_at, Project.id).limit(limit).offset(offset)
        ).all()
        return list(items), self.session.scalar(count) or 0

    @staticmethod
    def _filtered[T: Select](query: T, organization_id: int, filters: ProjectFilters) -> T:
        query = query.where(Project.organization_id == organization_id)
        if filters.status is not None:
            query = query.where(Project.status == filters.status)
        if filters.owner_id is not None:
            query = query.where(Project.owner_id == filters.owner_id)
        if filters.q:
            query = query.where(Project.name.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
        return query

    def add(self, project: Project) -> Project:
        """Insert ``project``; ``SlugTakenError`` if its slug is taken in its organization."""
        try:
            # A savepoint: a violation undoes this insert only, and the failed object
            # is expunged instead of lingering as pending in the session.
            with self.session.begin_nested():
                self.session.add(project)
        except IntegrityError as error:
            if _is_slug_conflict(error):
                raise SlugTakenError(str(error.orig)) from error
            raise
        return project

    def update(self, project: Project, changes: dict[str, Any]) -> Project:
        """Apply ``changes`` to ``project`` and write them; on ``SlugTakenError`` the
        project keeps its stored values."""
        try:
            with self.session.begin_nested():
                for field, value in changes.items():
                    setattr(project, field, value)
        except IntegrityError as error:
            if _is_slug_conflict(error):
                raise SlugTakenError(str(error.orig)) from error
            raise
        return project

    def delete(self, project: Project) -> None:
        self.session.delete(project)
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()
