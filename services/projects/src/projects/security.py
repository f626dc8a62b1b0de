"""Access tokens issued by the users service, verified locally (contract:
:mod:`service_kit.tokens`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service_kit.roles import Role
from service_kit.tokens import decode_token

__all__ = ["Principal", "decode_access_token"]


@dataclass(frozen=True)
class Principal:
    """Who is calling, and their role in each organization they belong to."""

    user_id: int
    orgs: dict[int, Role] = field(default_factory=dict)

    def role_in(self, organization_id: int) -> Role | None:
        return self.orgs.get(organization_id)


def decode_access_token(token: str, *, secret: str, leeway: int = 0) -> Principal:
    """The principal of a valid, unexpired access token; ``InvalidToken`` otherwise."""
    claims = decode_token(token, secret=secret, expected="access", leeway=leeway)
    return Principal(user_id=claims.user_id, orgs=claims.orgs)
