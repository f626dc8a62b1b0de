"""ProjectService rules over a mocked repository: visibility, ownership, slugs."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import MagicMock

import pytest

from projects.repositories.projects import ProjectFilters, SlugTakenError
from projects.schemas import ProjectCreate, ProjectUpdate
from projects.services.projects import ProjectService
from service_kit.errors import Conflict, Forbidden, NotFound
from tests.unit.conftest import NOW, ORG_ID, OTHER_ORG_ID


class TestCreate:
    @pytest.mark.parametrize("role", ["owner", "admin", "member"])
    def test_any_member_creates_and_becomes_owner(
        self, project_service, mock_project_repository, principal_for, role
    ) -> None:
        principal = principal_for(5, role)

        project = project_service.create(
            principal, ORG_ID, ProjectCreate(name=" Mars Rover ", description="Wheels")
        )

        assert (project.owner_id, project.organization_id) == (5, ORG_ID)
        assert (project.name, project.slug, project.description) == (
            "Mars Rover",
            "mars-rover",
            "Wheels",
        )
        assert project.status == "active"
        assert project.created_at == project.updated_at == NOW
        mock_project_repository.add.assert_called_once_with(project)
        mock_project_repository.commit.assert_called_once_with()

    def test_non_member_gets_not_found_and_nothing_is_written(
        self, project_service, mock_project_repository, principal_for
    ) -> None:
        with pytest.raises(NotFound):
            project_service.create(principal_for(5, None), ORG_ID, ProjectCreate(name="X"))

        mock_project_repository.add.assert_not_called()
        mock_project_repository.commit.assert_not_called()

    def test_taken_slug_is_a_conflict_without_commit(
        self, project_service, mock_project_repository, principal_for
    ) -> None:
        mock_project_repository.add.side_effect = SlugTakenError("duplicate key")

        with pytest.raises(Conflict, match="mars-rover"):
            project_service.create(
                principal_for(5, "member"), ORG_ID, ProjectCreate(name="Mars rover")
            )

        mock_project_repository.commit.assert_not_called()


class TestRead:
    def test_member_lists_with_filters_and_page(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        page = ([make_project()], 1)
        mock_project_repository.list_page.return_value = page
        filters = ProjectFilters(status="archived", q="ro", owner_id=3)

        result = project_service.list(
            principal_for(5, "member"), ORG_ID, filters, limit=10, offset=20
        )

        assert result == page
        mock_project_repository.list_page.assert_called_once_with(
            ORG_ID, filters, limit=10, offset=20
        )

    def test_list_of_another_organization_is_not_found(
        self, project_service, mock_project_repository, principal_for
    ) -> None:
        with pytest.raises(NotFound, match="organization"):
            project_service.list(
                principal_for(5, "owner"), OTHER_ORG_ID, ProjectFilters(), limit=20, offset=0
            )

        mock_project_repository.list_page.assert_not_called()

    def test_member_gets_project_of_the_organization(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        project = make_project(id=3)
        mock_project_repository.get.return_value = project

        assert project_service.get(principal_for(5, "member"), ORG_ID, 3) is project
        mock_project_repository.get.assert_called_once_with(ORG_ID, 3)

    def test_missing_project_is_not_found(self, project_service, principal_for) -> None:
        with pytest.raises(NotFound, match="project"):
            project_service.get(principal_for(5, "member"), ORG_ID, 3)

    def test_non_member_does_not_learn_whether_project_exists(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        mock_project_repository.get.return_value = make_project()

        with pytest.raises(NotFound):
            project_service.get(principal_for(5, None), ORG_ID, 1)

        mock_project_repository.get.assert_not_called()


WRITE_PERMISSIONS = [
    pytest.param(1, "member", True, id="project-owner-member"),
    pytest.param(2, "admin", True, id="org-admin"),
    pytest.param(2, "owner", True, id="org-owner"),
    pytest.param(2, "member", False, id="other-member"),
]


class TestUpdate:
    @pytest.mark.parametrize("user_id,role,allowed", WRITE_PERMISSIONS)
    def test_only_owner_or_org_admin_may_update(
        self,
        project_service,
        mock_project_repository,
        principal_for,
        make_project,
        user_id,
        role,
        allowed,
    ) -> None:
        mock_project_repository.get.return_value = make_project(owner_id=1)
        update = ProjectUpdate(status="archived")

        if allowed:
            project = project_service.update(principal_for(user_id, role), ORG_ID, 1, update)
            assert project.status == "archived"
            mock_project_repository.commit.assert_called_once_with()
        else:
            with pytest.raises(Forbidden):
                project_service.update(principal_for(user_id, role), ORG_ID, 1, update)
            mock_project_repository.update.assert_not_called()

    def test_rename_changes_slug_and_updated_at(
        self, mock_project_repository, principal_for, make_project
    ) -> None:
        later = NOW + timedelta(hours=1)
        service = ProjectService(mock_project_repository, clock=lambda: later)
        mock_project_repository.get.return_value = make_project()

        project = service.update(
            principal_for(1, "member"), ORG_ID, 1, ProjectUpdate(name="Artemis II")
        )

        mock_project_repository.update.assert_called_once_with(
            project, {"name": "Artemis II", "slug": "artemis-ii", "updated_at": later}
        )
        assert (project.slug, project.created_at, project.updated_at) == ("artemis-ii", NOW, later)

    def test_only_fields_sent_and_changed_are_written(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        mock_project_repository.get.return_value = make_project(description="old")

        project_service.update(
            principal_for(1, "member"),
            ORG_ID,
            1,
            ProjectUpdate.model_validate({"description": "new", "status": "active"}),
        )

        changes = mock_project_repository.update.call_args.args[1]
        assert changes == {"description": "new", "updated_at": NOW}

    def test_update_without_changes_writes_nothing(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        project = make_project(name="Apollo")
        mock_project_repository.get.return_value = project

        result = project_service.update(
            principal_for(1, "member"), ORG_ID, 1, ProjectUpdate(name="Apollo")
        )

        assert result is project
        mock_project_repository.update.assert_not_called()
        mock_project_repository.commit.assert_not_called()

    def test_rename_to_taken_slug_is_a_conflict(
        self, project_service, mock_project_repository, principal_for, make_project
    ) -> None:
        mock_project_repository.get.return_value = make_project()
        mock_project_repository.update.side_effect = SlugTakenError("duplicate key")

        with pytest.raises(Conflict, match="gemini"):
            project_service.update(
                principal_for(1, "member"), ORG_ID, 1, ProjectUpdate(name="Gemini")
            )

        mock_project_repository.commit.assert_not_called()

    def test_update_of_missing_project_is_not_found(self, project_service, principal_for) -> None:
        with pytest.raises(NotFound):
            project_service.update(principal_for(1, "owner"), ORG_ID, 9, ProjectUpdate(name="X"))


class TestDelete:
    @pytest.mark.parametrize("user_id,role,allowed", WRITE_PERMISSIONS)
    def test_only_owner_or_org_admin_may_delete(
        self,
        project_service,
        mock_project_repository,
        principal_for,
        make_project,
        user_id,
        role,
        allowed,
    ) -> None:
        project = make_project(owner_id=1)
        mock_project_repository.get.return_value = project

        if allowed:
            project_service.delete(principal_for(user_id, role), ORG_ID, 1)
            mock_project_repository.delete.assert_called_once_with(project)
            mock_project_repository.commit.assert_called_once_with()
        else:
            with pytest.raises(Forbidden):
                project_service.delete(principal_for(user_id, role), ORG_ID, 1)
            mock_project_repository.delete.assert_not_called()

    def test_non_member_delete_is_not_found_even_for_own_project(
        self, project_service, mock_project_repository: MagicMock, principal_for, make_project
    ) -> None:
        mock_project_repository.get.return_value = make_project(owner_id=1)

        with pytest.raises(NotFound):
            project_service.delete(principal_for(1, None), ORG_ID, 1)

        mock_project_repository.delete.assert_not_called()
