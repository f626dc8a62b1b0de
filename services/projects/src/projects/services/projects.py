"""Business rules for projects: visibility, ownership, slugs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projects.models import Project, ProjectStatus
from projects.repositories.projects import ProjectFilters, SlugTakenError
from projects.security import Principal
from projects.slugs import slugify
from service_kit.clock import Clock, utcnow
from service_kit.errors import Conflict, Forbidden, NotFound
from service_kit.roles import Role

if TYPE_CHECKING:
    from projects.repositories.projects import ProjectRepository
    from projects.schemas import ProjectCreate, ProjectUpdate

__all__ = ["ProjectService"]

ORGANIZATION_NOT_FOUND = "organization not found"
PROJECT_NOT_FOUND = "project not found"


class ProjectService:
    """Rules:

    - Members of an organization (any role) see and create its projects; to anyone
      else the organization and its projects do not exist (``NotFound``, never
      ``Forbidden``).
    - A project is changed or deleted by its owner or by an organization owner/admin;
      other members get ``Forbidden``.
    - Names are unique per organization through their slug (``Conflict`` on a clash).
    """

    def __init__(self, repository: ProjectRepository, *, clock: Clock = utcnow) -> None:
        self.repository = repository
        self.clock = clock

    @staticmethod
    def _membership(principal: Principal, organization_id: int) -> Role:
        role = principal.role_in(organization_id)
        if role is None:
            raise NotFound(ORGANIZATION_NOT_FOUND)
        return role

    def _visible(
        self, principal: Principal, organization_id: int, project_id: int
    ) -> tuple[Role, Project]:
        role = self._membership(principal, organization_id)
        project = self.repository.get(organization_id, project_id)
        if project is None:
            raise NotFound(PROJECT_NOT_FOUND)
        return role, project

    @staticmethod
    def can_modify(principal: Principal, role: Role, project: Project) -> bool:
        return project.owner_id == principal.user_id or role.is_manager

    def _writable(self, principal: Principal, organization_id: int, project_id: int) -> Project:
        role, project = self._visible(principal, organization_id, project_id)
        if not self.can_modify(principal, role, project):
            raise Forbidden(
                "only the project's owner or an organization owner or admin may change it"
            )
        return project

    def create(self, principal: Principal, organization_id: int, data: ProjectCreate) -> Project:
        self._membership(principal, organization_id)
        now = self.clock()
        project = Project(
            organization_id=organization_id,
            owner_id=principal.user_id,
            name=data.name,
            slug=slugify(data.name),
            description=data.description,
            status=ProjectStatus.ACTIVE.value,
            created_at=now,
            updated_at=now,
        )
        try:
            self.repository.add(project)
        except SlugTakenError:
            raise Conflict(_slug_taken(project.slug)) from None
        self.repository.commit()
        return project

    def list(
        self,
        principal: Principal,
        organization_id: int,
        filters: ProjectFilters,
        *,
        limit: int,
        offset: int,
    ) -> tuple[list[Project], int]:
        self._membership(principal, organization_id)
        return self.repository.list_page(organization_id, filters, limit=limit, offset=offset)

    def get(self, principal: Principal, organization_id: int, project_id: int) -> Project:
        return self._visible(principal, organization_id, project_id)[1]

    def update(
        self, principal: Principal, organization_id: int, project_id: int, data: ProjectUpdate
    ) -> Project:
        project = self._writable(principal, organization_id, project_id)
        changes: dict[str, Any] = {
            field: value
            for field, value in data.changes().items()
            if getattr(project, field) != value
        }
        if "status" in changes:
            changes["status"] = ProjectStatus(changes["status"]).value
        if "name" in changes:
            changes["slug"] = slugify(changes["name"])
        if not changes:
            return project
        changes["updated_at"] = self.clock()
        try:
            self.repository.update(project, changes)
        except SlugTakenError:
            raise Conflict(_slug_taken(changes["slug"])) from None
        self.repository.commit()
        return project

    def delete(self, principal: Principal, organization_id: int, project_id: int) -> None:
        project = self._writable(principal, organization_id, project_id)
        self.repository.delete(project)
        self.repository.commit()


def _slug_taken(slug: str) -> str:
    return f"a project named like this already exists in the organization (slug {slug!r})"
