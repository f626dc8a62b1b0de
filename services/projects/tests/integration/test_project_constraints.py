"""Database-level rules, below the API: the (organization_id, slug) unique constraint,
the status check, and the repository's handling of them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from projects.models import Project
from projects.repositories.projects import ProjectFilters, ProjectRepository, SlugTakenError
from tests.factories import ProjectFactory


def test_unique_slug_per_organization_constraint(db_session: Session) -> None:
    ProjectFactory(organization_id=1, slug="apollo")

    with pytest.raises(IntegrityError, match="uq_projects_organization_id_slug"):
        ProjectFactory(organization_id=1, slug="apollo")
        db_session.flush()


def test_same_slug_in_different_organizations_is_allowed(db_session: Session) -> None:
    ProjectFactory(organization_id=1, slug="apollo")
    ProjectFactory(organization_id=2, slug="apollo")

    db_session.flush()

    assert db_session.scalars(
        select(Project.organization_id).where(Project.slug == "apollo")
    ).all() == [1, 2]


def test_status_check_constraint(db_session: Session) -> None:
    with pytest.raises(IntegrityError, match="ck_projects_status"):
        ProjectFactory(status="deleted")
        db_session.flush()


def test_repository_turns_slug_violation_into_slug_taken_and_stays_usable(
    db_session: Session,
) -> None:
    repository = ProjectRepository(db_session)
    existing = ProjectFactory(organization_id=1, name="Apollo")
    duplicate = ProjectFactory.build(organization_id=1, name="APOLLO")

    with pytest.raises(SlugTakenError):
        repository.add(duplicate)

    assert duplicate not in db_session
    assert repository.get(1, existing.id) is existing
    repository.add(ProjectFactory.build(organization_id=1, name="Gemini"))
    assert repository.list_page(1, ProjectFilters(), limit=10, offset=0)[1] == 2


def test_repository_update_conflict_restores_stored_values(db_session: Session) -> None:
    repository = ProjectRepository(db_session)
    ProjectFactory(organization_id=1, name="Gemini")
    apollo = ProjectFactory(organization_id=1, name="Apollo")

    with pytest.raises(SlugTakenError):
        repository.update(apollo, {"name": "Gemini", "slug": "gemini"})

    assert (apollo.name, apollo.slug) == ("Apollo", "apollo")


def test_repository_lets_other_integrity_errors_through(db_session: Session) -> None:
    repository = ProjectRepository(db_session)
    project = ProjectFactory()

    with pytest.raises(IntegrityError, match="ck_projects_status"):
        repository.update(project, {"status": "deleted"})
    with pytest.raises(IntegrityError, match="ck_projects_status"):
        repository.add(ProjectFactory.build(status="deleted"))
