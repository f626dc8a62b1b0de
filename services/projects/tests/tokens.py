"""Tokens in the users service's format, minted for tests (no dependency on `users`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

# Set as PROJECTS_JWT_SECRET for every test. Settings require >= 32 bytes; 64 keeps
# PyJWT's key-length warning quiet even for the HS512 token a test signs with it.
TEST_SECRET = "test-secret-for-the-projects-service-0123456789-0123456789-abcdef"
ACCESS_LIFETIME = timedelta(minutes=15)


def make_claims(
    user_id: int | str,
    orgs: Mapping[int | str, str] | None = None,
    *,
    token_type: str = "access",
    issued_at: datetime | None = None,
    lifetime: timedelta = ACCESS_LIFETIME,
) -> dict[str, Any]:
    """The exact claims contract: sub, type, iat, exp, orgs (string keys)."""
    iat = issued_at or datetime.now(UTC)
    return {
        "sub": str(user_id),
        "type": token_type,
        "iat": int(iat.timestamp()),
        "exp": int((iat + lifetime).timestamp()),
        "orgs": {str(org_id): role for org_id, role in (orgs or {}).items()},
    }


def encode(
    claims: Mapping[str, Any], *, secret: str = TEST_SECRET, algorithm: str = "HS256"
) -> str:
    return jwt.encode(dict(claims), secret, algorithm=algorithm)


def make_token(
    user_id: int | str,
    orgs: Mapping[int | str, str] | None = None,
    *,
    token_type: str = "access",
    secret: str = TEST_SECRET,
    issued_at: datetime | None = None,
    lifetime: timedelta = ACCESS_LIFETIME,
) -> str:
    claims = make_claims(
        user_id, orgs, token_type=token_type, issued_at=issued_at, lifetime=lifetime
    )
    return encode(claims, secret=secret)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
