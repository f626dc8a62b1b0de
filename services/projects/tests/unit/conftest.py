"""Unit fixtures: the service over a mocked repository, fixed clock, principals.

Nothing here touches a database or the network (run with pytest-socket's
--disable-socket --allow-unix-socket to check).
"""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

import pytest

from projects.models import Project
from projects.repositories.projects import ProjectRepository
from projects.security import Principal
from projects.services.projects import ProjectService
from service_kit.roles import Role

NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
ORG_ID = 7
OTHER_ORG_ID = 8


@pytest.fixture
def mock_project_repository() -> MagicMock:
    """A repository whose reads find nothing and whose writes succeed."""
    repo = MagicMock(spec=ProjectRepository)
    repo.get.return_value = None
    repo.list_page.return_value = ([], 0)
    repo.add.side_effect = lambda project: project
    repo.update.side_effect = _apply
    return repo


def _apply(project: Project, changes: dict) -> Project:
    for field, value in changes.items():
        setattr(project, field, value)
    return project


@pytest.fixture
def project_service(mock_project_repository: MagicMock) -> ProjectService:
    return ProjectService(repository=mock_project_repository, clock=lambda: NOW)


@pytest.fixture
def make_project():
    """An unsaved Project as the repository would return it."""

    def make(**overrides) -> Project:
        values = {
            "id": 1,
            "organization_id": ORG_ID,
            "owner_id": 1,
            "name": "Apollo",
            "slug": "apollo",
            "description": "",
            "status": "active",
            "created_at": NOW,
            "updated_at": NOW,
        }
        values.update(overrides)
        return Project(**values)

    return make


@pytest.fixture
def principal_for():
    def make(user_id: int, role: str | None) -> Principal:
        return Principal(user_id=user_id, orgs={ORG_ID: Role(role)} if role else {})

    return make
