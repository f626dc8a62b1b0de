"""Password hashing (pwdlib, Argon2) and the service's JWT access and refresh tokens.

Token claims are a contract with other services (``projects`` verifies access tokens
with the same secret)::

    {"sub": "<user id>", "type": "access" | "refresh", "iat": <int>, "exp": <int>,
     "orgs": {"<organization id>": "owner" | "admin" | "member"}}   # access tokens only
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash

from users.errors import Unauthorized
from users.models import MAX_ID

__all__ = ["PasswordHasher", "TokenService", "TokenType"]

TokenType = Literal["access", "refresh"]


class PasswordHasher:
    """Argon2id with pwdlib's recommended parameters."""

    def __init__(self, password_hash: PasswordHash | None = None) -> None:
        self._hash = password_hash or PasswordHash.recommended()
        # Verified against when the email is unknown, so that a login for an unknown
        # address costs as much as one with a wrong password.
        self._dummy = self._hash.hash("dummy-password-for-timing-0")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        return self._hash.verify(password, hashed)

    def waste_time(self, password: str) -> None:
        self._hash.verify(password, self._dummy)


class TokenService:
    def __init__(
        self,
        secret: str,
        *,
        algorithm: str = "HS256",
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=7),
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl: dict[TokenType, timedelta] = {"access": access_ttl, "refresh": refresh_ttl}

    def issue_access(self, user_id: int, orgs: Mapping[int, str]) -> str:
        return self._issue(user_id, "access", {"orgs": {str(k): str(v) for k, v in orgs.items()}})

    def issue_refresh(self, user_id: int) -> str:
        return self._issue(user_id, "refresh", {})

    def _issue(self, user_id: int, kind: TokenType, extra: dict[str, Any]) -> str:
        now = datetime.now(UTC)
        issued_at = int(now.timestamp())
        claims = {
            "sub": str(user_id),
            "type": kind,
            "iat": issued_at,
            "exp": issued_at + int(self._ttl[kind].total_seconds()),
            **extra,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def user_id(self, token: str, expected: TokenType) -> int:
        """The user a valid ``expected`` token was issued to; else Unauthorized."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": ["sub", "type", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token has expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token") from None
        if claims["type"] != expected:
            raise Unauthorized(f"invalid token type: expected {expected}")
        subject = claims["sub"]
        if not (subject.isascii() and subject.isdigit()) or not 0 < int(subject) <= MAX_ID:
            raise Unauthorized("invalid token")
        return int(subject)
