"""Password hashing (pwdlib, Argon2) and the service's access and refresh tokens.

The tokens follow the contract in :mod:`service_kit.tokens`, which other services
(``projects``) verify with the same secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from pwdlib import PasswordHash

from service_kit.clock import Clock, utcnow
from service_kit.tokens import ALGORITHM, TokenType, decode_token, issue_token

__all__ = ["PasswordHasher", "TokenService", "TokenType"]


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
    """Issues and verifies this service's tokens, with their lifetimes."""

    def __init__(
        self,
        secret: str,
        *,
        algorithm: str = ALGORITHM,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=7),
        clock: Clock = utcnow,
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl: dict[TokenType, timedelta] = {"access": access_ttl, "refresh": refresh_ttl}
        self._clock = clock

    def issue_access(self, user_id: int, orgs: Mapping[int, str]) -> str:
        return self._issue(user_id, "access", orgs)

    def issue_refresh(self, user_id: int) -> str:
        return self._issue(user_id, "refresh", None)

    def _issue(self, user_id: int, kind: TokenType, orgs: Mapping[int, str] | None) -> str:
        return issue_token(
            user_id,
            kind,
            secret=self._secret,
            now=self._clock(),
            ttl=self._ttl[kind],
            orgs=orgs,
            algorithm=self._algorithm,
        )

    def user_id(self, token: str, expected: TokenType) -> int:
        """The user a valid ``expected`` token was issued to; else ``InvalidToken``."""
        claims = decode_token(
            token, secret=self._secret, expected=expected, algorithm=self._algorithm
        )
        return claims.user_id
