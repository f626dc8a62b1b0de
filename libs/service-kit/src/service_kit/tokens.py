"""The token contract between the users service (which issues) and the others (which verify).

HS256 with a shared secret; the claims, exactly::

    {"sub": "<user id>", "type": "access" | "refresh", "iat": <int>, "exp": <int>,
     "orgs": {"<organization id>": "owner" | "admin" | "member"}}   # access tokens only

User and organization ids are the users service's (limit :data:`service_kit.ids.MAX_ID`):
a token naming a larger id was never issued, so it is refused, whoever verifies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, ValidationError

from service_kit.errors import Unauthorized
from service_kit.ids import MAX_ID
from service_kit.roles import Role

__all__ = [
    "ALGORITHM",
    "Claims",
    "InvalidToken",
    "TokenType",
    "decode_token",
    "issue_token",
]

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
_REQUIRED = ["sub", "type", "iat", "exp"]


class InvalidToken(Unauthorized):
    """The token cannot be trusted; ``detail`` says why (safe to show)."""

    detail = "invalid token"


def _within_limit(value: str) -> str:
    if int(value) > MAX_ID:
        raise ValueError("id out of range")
    return value


_Id = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,18}$"), AfterValidator(_within_limit)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: _Id
    type: TokenType
    iat: StrictInt
    exp: StrictInt
    orgs: dict[_Id, Role] | None = None


@dataclass(frozen=True)
class Claims:
    """A verified token's claims, ids as integers."""

    user_id: int
    type: TokenType
    issued_at: int
    expires_at: int
    #: The user's role in each organization (access tokens; empty in refresh tokens).
    orgs: dict[int, Role] = field(default_factory=dict)


def issue_token(
    user_id: int,
    token_type: TokenType,
    *,
    secret: str,
    now: datetime,
    ttl: timedelta,
    orgs: Mapping[int, str] | None = None,
    algorithm: str = ALGORITHM,
) -> str:
    """A signed token for ``user_id``, valid from ``now`` for ``ttl``; access tokens carry
    ``orgs`` (an empty mapping when ``None``), refresh tokens never do."""
    issued_at = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "type": token_type,
        "iat": issued_at,
        "exp": issued_at + int(ttl.total_seconds()),
    }
    if token_type == "access":
        claims["orgs"] = {str(org): str(role) for org, role in (orgs or {}).items()}
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(
    token: str,
    *,
    secret: str,
    expected: TokenType,
    algorithm: str = ALGORITHM,
    leeway: int = 0,
) -> Claims:
    """The claims of a valid, unexpired ``expected`` token; :class:`InvalidToken` otherwise.

    ``leeway`` (seconds) tolerates clock skew between issuer and verifier on ``exp`` and
    ``iat``.
    """
    try:
        raw = jwt.decode(
            token, secret, algorithms=[algorithm], leeway=leeway, options={"require": _REQUIRED}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token has expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("invalid token") from None
    try:
        payload = _Payload.model_validate(raw)
    except ValidationError:
        raise InvalidToken("invalid token claims") from None
    if payload.type != expected:
        article = "an" if expected == "access" else "a"
        raise InvalidToken(f"{article} {expected} token is required")
    if expected == "access" and payload.orgs is None:
        raise InvalidToken("invalid token claims")
    return Claims(
        user_id=int(payload.sub),
        type=payload.type,
        issued_at=payload.iat,
        expires_at=payload.exp,
        orgs={int(org): role for org, role in (payload.orgs or {}).items()},
    )
