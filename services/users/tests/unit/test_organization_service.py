"""OrganizationService: creation, visibility, and who may manage which members."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from sqlalchemy.exc import IntegrityError

from service_kit.errors import Conflict, Forbidden, NotFound
from users.models import Organization, Role
from users.schemas import MemberAdd, OrganizationCreate

ORG = 10


def _unique_violation(constraint: str) -> IntegrityError:
    orig = MagicMock(sqlstate="23505")
    orig.diag.constraint_name = constraint
    return IntegrityError("INSERT ...", {}, orig)


@pytest.fixture
def memberships_by_user(membership_repository):
    """Memberships of organization ORG, keyed by user id, served by the mocked repository."""
    table: dict[int, object] = {}
    membership_repository.get.side_effect = lambda org, user_id: (
        table.get(user_id) if org == ORG else None
    )
    return table


class TestCreate:
    def test_creator_becomes_owner(
        self, organization_service, organization_repository, membership_repository, make_user
    ):
        read = organization_service.create(
            make_user(1), OrganizationCreate(name="Acme", slug="acme")
        )

        assert (read.id, read.name, read.slug, read.role) == (10, "Acme", "acme", Role.OWNER)
        owner = membership_repository.add.call_args.args[0]
        assert (owner.user_id, owner.organization_id, owner.role) == (1, 10, Role.OWNER)
        organization_repository.commit.assert_called_once_with()

    def test_taken_slug_is_a_conflict(
        self, organization_service, organization_repository, make_user
    ):
        organization_repository.add.side_effect = _unique_violation("uq_organizations_slug")

        with pytest.raises(Conflict, match="slug already taken"):
            organization_service.create(make_user(1), OrganizationCreate(name="A", slug="acme"))

        organization_repository.rollback.assert_called_once_with()

    def test_other_integrity_errors_propagate(
        self, organization_service, membership_repository, make_user
    ):
        membership_repository.add.side_effect = _unique_violation("pk_memberships")

        with pytest.raises(IntegrityError):
            organization_service.create(make_user(1), OrganizationCreate(name="A", slug="acme"))


class TestRead:
    def test_lists_the_users_organizations_with_roles(
        self, organization_service, organization_repository, make_user, make_membership
    ):
        user = make_user(1)
        organization_repository.for_user.return_value = [
            (Organization(id=10, name="A", slug="a"), make_membership(user, Role.OWNER, 10)),
            (Organization(id=11, name="B", slug="b"), make_membership(user, Role.MEMBER, 11)),
        ]

        listed = organization_service.list_for(user)

        assert [(o.id, o.role) for o in listed] == [(10, Role.OWNER), (11, Role.MEMBER)]

    def test_member_sees_the_organization_and_its_members(
        self,
        organization_service,
        membership_repository,
        memberships_by_user,
        make_user,
        make_membership,
    ):
        user, other = make_user(1), make_user(2)
        memberships_by_user[1] = make_membership(user, Role.MEMBER)
        membership_repository.members.return_value = [
            (make_membership(other, Role.OWNER), other),
            (memberships_by_user[1], user),
        ]

        detail = organization_service.get(user, ORG)

        assert (detail.id, detail.slug, detail.role) == (ORG, "acme", Role.MEMBER)
        assert [(m.user_id, m.role) for m in detail.members] == [(2, Role.OWNER), (1, Role.MEMBER)]

    def test_non_member_gets_not_found(self, organization_service, memberships_by_user, make_user):
        with pytest.raises(NotFound, match="organization not found"):
            organization_service.get(make_user(1), ORG)


class TestAddMember:
    @pytest.mark.parametrize("actor_role", [Role.OWNER, Role.ADMIN])
    def test_owner_or_admin_adds_an_existing_user(
        self,
        organization_service,
        membership_repository,
        user_repository,
        memberships_by_user,
        make_user,
        make_membership,
        actor_role,
    ):
        actor, invitee = make_user(1), make_user(2)
        memberships_by_user[1] = make_membership(actor, actor_role)
        user_repository.get_by_email.return_value = invitee

        added = organization_service.add_member(
            actor, ORG, MemberAdd(email="user2@example.com", role=Role.ADMIN)
        )

        assert (added.user_id, added.email, added.role) == (2, "user2@example.com", Role.ADMIN)
        stored = membership_repository.add.call_args.args[0]
        assert (stored.user_id, stored.organization_id, stored.role) == (2, ORG, Role.ADMIN)
        membership_repository.commit.assert_called_once_with()

    @pytest.mark.parametrize(
        ("actor_role", "new_role", "error", "message"),
        [
            pytest.param(
                Role.MEMBER, Role.MEMBER, Forbidden, "owners and admins", id="plain-member"
            ),
            pytest.param(Role.ADMIN, Role.OWNER, Forbidden, "only owners", id="admin-adds-owner"),
            pytest.param(None, Role.MEMBER, NotFound, "organization not found", id="outsider"),
        ],
    )
    def test_refused_by_role(
        self,
        organization_service,
        membership_repository,
        memberships_by_user,
        make_user,
        make_membership,
        actor_role,
        new_role,
        error,
        message,
    ):
        actor = make_user(1)
        if actor_role is not None:
            memberships_by_user[1] = make_membership(actor, actor_role)

        with pytest.raises(error, match=message):
            organization_service.add_member(
                actor, ORG, MemberAdd(email="user2@example.com", role=new_role)
            )

        membership_repository.add.assert_not_called()

    def test_unknown_email_is_not_found(
        self, organization_service, memberships_by_user, make_user, make_membership
    ):
        actor = make_user(1)
        memberships_by_user[1] = make_membership(actor, Role.OWNER)

        with pytest.raises(NotFound, match="no user with this email"):
            organization_service.add_member(actor, ORG, MemberAdd(email="ghost@example.com"))

    def test_existing_member_is_a_conflict(
        self,
        organization_service,
        user_repository,
        memberships_by_user,
        make_user,
        make_membership,
    ):
        actor, member = make_user(1), make_user(2)
        memberships_by_user.update(
            {1: make_membership(actor, Role.OWNER), 2: make_membership(member, Role.MEMBER)}
        )
        user_repository.get_by_email.return_value = member

        with pytest.raises(Conflict, match="already a member"):
            organization_service.add_member(actor, ORG, MemberAdd(email="user2@example.com"))

    @pytest.mark.parametrize(
        ("constraint", "raised"),
        [
            pytest.param("pk_memberships", Conflict, id="concurrent-add"),
            pytest.param("something_else", IntegrityError, id="other-constraint"),
        ],
    )
    def test_insert_race(
        self,
        organization_service,
        membership_repository,
        user_repository,
        memberships_by_user,
        make_user,
        make_membership,
        constraint,
        raised,
    ):
        actor = make_user(1)
        memberships_by_user[1] = make_membership(actor, Role.OWNER)
        user_repository.get_by_email.return_value = make_user(2)
        membership_repository.add.side_effect = _unique_violation(constraint)

        with pytest.raises(raised):
            organization_service.add_member(actor, ORG, MemberAdd(email="user2@example.com"))

        membership_repository.rollback.assert_called_once_with()


class TestRemoveMember:
    @pytest.mark.parametrize(
        ("actor_role", "target_role", "owners"),
        [
            pytest.param(Role.OWNER, Role.MEMBER, 1, id="owner-removes-member"),
            pytest.param(Role.ADMIN, Role.MEMBER, 1, id="admin-removes-member"),
            pytest.param(Role.ADMIN, Role.ADMIN, 1, id="admin-removes-admin"),
            pytest.param(Role.OWNER, Role.OWNER, 2, id="owner-removes-co-owner"),
        ],
    )
    def test_allowed_removals(
        self,
        organization_service,
        membership_repository,
        memberships_by_user,
        make_user,
        make_membership,
        actor_role,
        target_role,
        owners,
    ):
        actor, target = make_user(1), make_user(2)
        memberships_by_user.update(
            {1: make_membership(actor, actor_role), 2: make_membership(target, target_role)}
        )
        membership_repository.count_owners.return_value = owners

        organization_service.remove_member(actor, ORG, 2)

        membership_repository.delete.assert_called_once_with(memberships_by_user[2])
        membership_repository.commit.assert_called_once_with()

    def test_last_owner_cannot_be_removed(
        self,
        organization_service,
        membership_repository,
        memberships_by_user,
        make_user,
        make_membership,
    ):
        owner = make_user(1)
        memberships_by_user[1] = make_membership(owner, Role.OWNER)
        membership_repository.count_owners.return_value = 1

        with pytest.raises(Conflict, match="last owner"):
            organization_service.remove_member(owner, ORG, 1)

        membership_repository.delete.assert_not_called()

    @pytest.mark.parametrize(
        ("actor_role", "target_role", "error", "message"),
        [
            pytest.param(
                Role.MEMBER, Role.MEMBER, Forbidden, "owners and admins", id="plain-member"
            ),
            pytest.param(
                Role.ADMIN, Role.OWNER, Forbidden, "only owners", id="admin-removes-owner"
            ),
            pytest.param(Role.OWNER, None, NotFound, "member not found", id="not-a-member"),
            pytest.param(None, Role.MEMBER, NotFound, "organization not found", id="outsider"),
        ],
    )
    def test_refused_removals(
        self,
        organization_service,
        membership_repository,
        memberships_by_user,
        make_user,
        make_membership,
        actor_role,
        target_role,
        error,
        message,
    ):
        actor, target = make_user(1), make_user(2)
        if actor_role is not None:
            memberships_by_user[1] = make_membership(actor, actor_role)
        if target_role is not None:
            memberships_by_user[2] = make_membership(target, target_role)

        with pytest.raises(error, match=message):
            organization_service.remove_member(actor, ORG, 2)

        membership_repository.delete.assert_not_called()
