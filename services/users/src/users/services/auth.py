from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from service_kit.errors import Conflict, Unauthorized
from users.models import User
from users.repositories import MembershipRepository, UserRepository, unique_violation
from users.schemas import AuthResponse, TokenPair, UserCreate, UserRead
from users.security import PasswordHasher, TokenService

__all__ = ["AuthService"]

BAD_CREDENTIALS = "incorrect email or password"


class AuthService:
    def __init__(
        self,
        users: UserRepository,
        memberships: MembershipRepository,
        hasher: PasswordHasher,
        tokens: TokenService,
    ) -> None:
        self.users = users
        self.memberships = memberships
        self.hasher = hasher
        self.tokens = tokens

    def register(self, data: UserCreate) -> AuthResponse:
        if self.users.get_by_email(data.email) is not None:
            raise Conflict("email already registered")
        user = User(
            email=data.email,
            full_name=data.full_name,
            hashed_password=self.hasher.hash(data.password),
            is_active=True,
        )
        try:
            self.users.add(user)
            self.users.commit()
        except IntegrityError as error:
            # Another request registered the same email between the check and the insert.
            self.users.rollback()
            if unique_violation(error) == "uq_users_email":
                raise Conflict("email already registered") from None
            raise
        pair = self._pair_for(user)
        return AuthResponse(user=UserRead.model_validate(user), **pair.model_dump())

    def login(self, email: str, password: str) -> TokenPair:
        """Same answer for an unknown email, a wrong password and an inactive user."""
        user = self.users.get_by_email(email)
        if user is None:
            self.hasher.waste_time(password)
            raise Unauthorized(BAD_CREDENTIALS)
        if not self.hasher.verify(password, user.hashed_password) or not user.is_active:
            raise Unauthorized(BAD_CREDENTIALS)
        return self._pair_for(user)

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for a valid refresh token, with the memberships of now."""
        return self._pair_for(self._active_user(self.tokens.user_id(refresh_token, "refresh")))

    def authenticate(self, access_token: str) -> User:
        """The active user an access token was issued to."""
        return self._active_user(self.tokens.user_id(access_token, "access"))

    def _active_user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None or not user.is_active:
            raise Unauthorized("invalid token")
        return user

    def _pair_for(self, user: User) -> TokenPair:
        return TokenPair(
            access_token=self.tokens.issue_access(user.id, self.memberships.roles_of(user.id)),
            refresh_token=self.tokens.issue_refresh(user.id),
        )
