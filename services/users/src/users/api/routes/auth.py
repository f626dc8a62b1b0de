from __future__ import annotations

from fastapi import APIRouter, status

from users.api.deps import AuthServiceDep
from users.api.errors import errors
from users.schemas import AuthResponse, LoginRequest, RefreshRequest, TokenPair, UserCreate

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResponse,
    responses=errors(409),
)
def register(data: UserCreate, auth: AuthServiceDep) -> AuthResponse:
    """Create an account and sign in: the user and a token pair."""
    return auth.register(data)


@router.post("/login", response_model=TokenPair, responses=errors(401))
def login(data: LoginRequest, auth: AuthServiceDep) -> TokenPair:
    """Exchange email and password for a token pair."""
    return auth.login(data.email, data.password)


@router.post("/refresh", response_model=TokenPair, responses=errors(401))
def refresh(data: RefreshRequest, auth: AuthServiceDep) -> TokenPair:
    """Exchange a refresh token for a new pair (access token with current memberships)."""
    return auth.refresh(data.refresh_token)
