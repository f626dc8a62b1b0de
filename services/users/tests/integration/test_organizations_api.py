"""Organizations and membership: /api/v1/organizations[/{id}[/members[/{user_id}]]]."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from users.models import Membership, Role

pytestmark = pytest.mark.anyio

ORGS = "/api/v1/organizations"


def _error_fields(response) -> list[str]:
    return [str(error["loc"][-1]) for error in response.json()["detail"]]


@pytest.fixture
def acme(db_session):
    """An organization with an owner, an admin and a plain member."""
    organization = OrganizationFactory(name="Acme", slug="acme")
    return {
        role: MembershipFactory(organization=organization, role=role).user
        for role in (Role.OWNER, Role.ADMIN, Role.MEMBER)
    } | {"org": organization}


class TestCreate:
    async def test_creator_becomes_owner(self, client, user, auth_headers, db_session):
        response = await client.post(
            ORGS, json={"name": "Initech", "slug": "initech"}, headers=auth_headers(user)
        )

        assert response.status_code == 201
        body = response.json()
        assert (body["name"], body["slug"], body["role"]) == ("Initech", "initech", "owner")
        membership = db_session.get(Membership, (user.id, body["id"]))
        assert membership.role is Role.OWNER

    async def test_taken_slug_is_409(self, client, user, auth_headers):
        OrganizationFactory(slug="initech")

        response = await client.post(
            ORGS, json={"name": "Other", "slug": "initech"}, headers=auth_headers(user)
        )

        assert response.status_code == 409
        assert "slug" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param({"name": "Initech", "slug": "Not A Slug"}, "slug", id="bad-slug"),
            pytest.param({"slug": "initech"}, "name", id="missing-name"),
            pytest.param({"name": "Initech"}, "slug", id="missing-slug"),
        ],
    )
    async def test_invalid_body_is_422(self, client, user, auth_headers, payload, field):
        response = await client.post(ORGS, json=payload, headers=auth_headers(user))

        assert response.status_code == 422
        assert field in _error_fields(response)

    async def test_anonymous_is_401(self, client):
        response = await client.post(ORGS, json={"name": "Initech", "slug": "initech"})

        assert response.status_code == 401


class TestList:
    async def test_lists_only_my_organizations_with_my_role(self, client, user, auth_headers):
        mine = [
            MembershipFactory(user=user, role=Role.MEMBER).organization,
            MembershipFactory(user=user, role=Role.OWNER).organization,
        ]
        MembershipFactory()  # someone else's organization

        response = await client.get(ORGS, headers=auth_headers(user))

        assert response.status_code == 200
        assert [(o["id"], o["role"]) for o in response.json()] == [
            (mine[0].id, "member"),
            (mine[1].id, "owner"),
        ]

    async def test_anonymous_is_401(self, client):
        assert (await client.get(ORGS)).status_code == 401


class TestRead:
    async def test_member_sees_organization_and_members(self, client, acme, auth_headers):
        response = await client.get(
            f"{ORGS}/{acme['org'].id}", headers=auth_headers(acme[Role.MEMBER])
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["slug"], body["role"]) == ("acme", "member")
        assert {(m["user_id"], m["role"]) for m in body["members"]} == {
            (acme[role].id, role.value) for role in (Role.OWNER, Role.ADMIN, Role.MEMBER)
        }
        assert "hashed_password" not in str(body)

    @pytest.mark.parametrize(
        "organization_id",
        [
            pytest.param("existing", id="not-a-member"),
            pytest.param(2_000_000_000, id="no-such-org"),
        ],
    )
    async def test_outsider_gets_404(self, client, acme, user, auth_headers, organization_id):
        target = acme["org"].id if organization_id == "existing" else organization_id

        response = await client.get(f"{ORGS}/{target}", headers=auth_headers(user))

        assert response.status_code == 404

    @pytest.mark.parametrize(
        "organization_id",
        [
            pytest.param("0", id="zero"),
            pytest.param("abc", id="not-a-number"),
            pytest.param(str(2**31), id="too-big"),
        ],
    )
    async def test_malformed_id_is_422(self, client, user, auth_headers, organization_id):
        response = await client.get(f"{ORGS}/{organization_id}", headers=auth_headers(user))

        assert response.status_code == 422
        assert "organization_id" in _error_fields(response)

    async def test_anonymous_is_401(self, client, acme):
        assert (await client.get(f"{ORGS}/{acme['org'].id}")).status_code == 401


class TestAddMember:
    @pytest.mark.parametrize(
        ("actor", "role"),
        [
            pytest.param(Role.OWNER, "admin", id="owner-adds-admin"),
            pytest.param(Role.OWNER, "owner", id="owner-adds-owner"),
            pytest.param(Role.ADMIN, "member", id="admin-adds-member"),
        ],
    )
    async def test_manager_adds_existing_user(
        self, client, acme, auth_headers, db_session, actor, role
    ):
        newcomer = UserFactory(email="newcomer@example.com")

        response = await client.post(
            f"{ORGS}/{acme['org'].id}/members",
            json={"email": "Newcomer@Example.com", "role": role},
            headers=auth_headers(acme[actor]),
        )

        assert response.status_code == 201
        assert response.json() == {
            "user_id": newcomer.id,
            "email": "newcomer@example.com",
            "full_name": newcomer.full_name,
            "role": role,
        }
        assert db_session.get(Membership, (newcomer.id, acme["org"].id)).role == role

    async def test_role_defaults_to_member_and_newcomer_sees_the_organization(
        self, client, acme, auth_headers
    ):
        newcomer = UserFactory()

        await client.post(
            f"{ORGS}/{acme['org'].id}/members",
            json={"email": newcomer.email},
            headers=auth_headers(acme[Role.OWNER]),
        )
        response = await client.get(f"{ORGS}/{acme['org'].id}", headers=auth_headers(newcomer))

        assert response.status_code == 200
        assert response.json()["role"] == "member"

    @pytest.mark.parametrize(
        ("actor", "role", "status"),
        [
            pytest.param(Role.MEMBER, "member", 403, id="plain-member-403"),
            pytest.param(Role.ADMIN, "owner", 403, id="admin-cannot-add-owner"),
            pytest.param("outsider", "member", 404, id="outsider-404"),
        ],
    )
    async def test_refused_by_role(self, client, acme, auth_headers, actor, role, status):
        newcomer = UserFactory()
        caller = UserFactory() if actor == "outsider" else acme[actor]

        response = await client.post(
            f"{ORGS}/{acme['org'].id}/members",
            json={"email": newcomer.email, "role": role},
            headers=auth_headers(caller),
        )

        assert response.status_code == status

    async def test_existing_member_is_409(self, client, acme, auth_headers):
        response = await client.post(
            f"{ORGS}/{acme['org'].id}/members",
            json={"email": acme[Role.MEMBER].email, "role": "admin"},
            headers=auth_headers(acme[Role.OWNER]),
        )

        assert response.status_code == 409
        assert "already a member" in response.json()["detail"]

    async def test_unknown_email_is_404(self, client, acme, auth_headers):
        response = await client.post(
            f"{ORGS}/{acme['org'].id}/members",
            json={"email": "ghost@example.com"},
            headers=auth_headers(acme[Role.OWNER]),
        )

        assert response.status_code == 404
        assert response.json() == {"detail": "no user with this email"}

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param(
                {"email": "someone@example.com", "role": "superuser"}, "role", id="bad-role"
            ),
            pytest.param({"email": "nope"}, "email", id="bad-email"),
            pytest.param({"role": "member"}, "email", id="missing-email"),
        ],
    )
    async def test_invalid_body_is_422(self, client, acme, auth_headers, payload, field):
        response = await client.post(
            f"{ORGS}/{acme['org'].id}/members", json=payload, headers=auth_headers(acme[Role.OWNER])
        )

        assert response.status_code == 422
        assert field in _error_fields(response)

    async def test_anonymous_is_401(self, client, acme):
        response = await client.post(f"{ORGS}/{acme['org'].id}/members", json={"email": "a@b.co"})

        assert response.status_code == 401


class TestRemoveMember:
    @pytest.mark.parametrize(
        ("actor", "target"),
        [
            pytest.param(Role.OWNER, Role.MEMBER, id="owner-removes-member"),
            pytest.param(Role.OWNER, Role.ADMIN, id="owner-removes-admin"),
            pytest.param(Role.ADMIN, Role.MEMBER, id="admin-removes-member"),
        ],
    )
    async def test_manager_removes_member_who_then_loses_access(
        self, client, acme, auth_headers, db_session, actor, target
    ):
        org_id, removed = acme["org"].id, acme[target]

        response = await client.delete(
            f"{ORGS}/{org_id}/members/{removed.id}", headers=auth_headers(acme[actor])
        )
        after = await client.get(f"{ORGS}/{org_id}", headers=auth_headers(removed))

        assert response.status_code == 204
        assert response.content == b""
        assert db_session.get(Membership, (removed.id, org_id)) is None
        assert after.status_code == 404

    async def test_owner_removes_co_owner(self, client, acme, auth_headers):
        co_owner = MembershipFactory(organization=acme["org"], role=Role.OWNER).user

        response = await client.delete(
            f"{ORGS}/{acme['org'].id}/members/{co_owner.id}", headers=auth_headers(acme[Role.OWNER])
        )

        assert response.status_code == 204

    async def test_last_owner_cannot_be_removed(self, client, acme, auth_headers, db_session):
        owner = acme[Role.OWNER]

        response = await client.delete(
            f"{ORGS}/{acme['org'].id}/members/{owner.id}", headers=auth_headers(owner)
        )

        assert response.status_code == 409
        assert "last owner" in response.json()["detail"]
        assert db_session.get(Membership, (owner.id, acme["org"].id)) is not None

    @pytest.mark.parametrize(
        ("actor", "target", "status"),
        [
            pytest.param(Role.MEMBER, Role.ADMIN, 403, id="plain-member-403"),
            pytest.param(Role.ADMIN, Role.OWNER, 403, id="admin-cannot-remove-owner"),
            pytest.param("outsider", Role.MEMBER, 404, id="outsider-404"),
            pytest.param(Role.OWNER, "stranger", 404, id="not-a-member-404"),
        ],
    )
    async def test_refused(self, client, acme, auth_headers, actor, target, status):
        caller = UserFactory() if actor == "outsider" else acme[actor]
        removed = UserFactory() if target == "stranger" else acme[target]

        response = await client.delete(
            f"{ORGS}/{acme['org'].id}/members/{removed.id}", headers=auth_headers(caller)
        )

        assert response.status_code == status

    async def test_anonymous_is_401(self, client, acme):
        response = await client.delete(f"{ORGS}/{acme['org'].id}/members/{acme[Role.MEMBER].id}")

        assert response.status_code == 401
