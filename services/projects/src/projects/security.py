"""Access tokens issued by the users service, verified locally (HS256, shared key).

The claims contract, exactly::

    {"sub": "<user id>", "type": "access" | "refresh", "iat": <int>, "exp": <int>,
     "orgs": {"<organization id>": "owner" | "admin" | "member"}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

__all__ = [
    "ALGORITHM",
    "InvalidTokenError",
    "Principal",
    "Role",
    "decode_access_token",
]

ALGORITHM = "HS256"
_DIGITS = r"^[1-9][0-9]{0,18}$"
MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def manages_projects(self) -> bool:
        """Organization owners and admins may change or delete any of its projects."""
        return self in (Role.OWNER, Role.ADMIN)


class InvalidTokenError(Exception):
    """The request's credentials cannot be trusted; the message says why (safe to show)."""


class _Claims(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: Annotated[str, Field(pattern=_DIGITS)]
    type: Literal["access", "refresh"]
    iat: StrictInt
    exp: StrictInt
    orgs: dict[Annotated[str, Field(pattern=_DIGITS)], Role]

    @field_validator("sub")
    @classmethod
    def _sub_is_an_id(cls, value: str) -> str:
        if int(value) > MAX_ID:
            raise ValueError("user id out of range")
        return value


@dataclass(frozen=True)
class Principal:
    """Who is calling, and their role in each organization they belong to."""

    user_id: int
    orgs: dict[int, Role] = field(default_factory=dict)

    def role_in(self, organization_id: int) -> Role | None:
        return self.orgs.get(organization_id)


def decode_access_token(token: str, *, secret: str, leeway: int = 0) -> Principal:
    """The principal of a valid, unexpired access token; ``InvalidTokenError`` otherwise."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=leeway,
            options={"require": ["sub", "type", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("token has expired") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("invalid token") from None
    try:
        claims = _Claims.model_validate(payload)
    except ValidationError:
        raise InvalidTokenError("invalid token claims") from None
    if claims.type != "access":
        raise InvalidTokenError("an access token is required")
    return Principal(
        user_id=int(claims.sub),
        orgs={int(org_id): role for org_id, role in claims.orgs.items()},
    )
