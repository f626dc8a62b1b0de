from __future__ import annotations

import pytest

from service_kit.roles import Role


@pytest.mark.parametrize(
    ("role", "manager"),
    [
        pytest.param(Role.OWNER, True, id="owner"),
        pytest.param(Role.ADMIN, True, id="admin"),
        pytest.param(Role.MEMBER, False, id="member"),
    ],
)
def test_owners_and_admins_are_managers(role: Role, manager: bool) -> None:
    assert role.is_manager is manager


def test_roles_are_their_claim_values() -> None:
    assert [str(role) for role in Role] == ["owner", "admin", "member"]
