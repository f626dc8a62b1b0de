from fastapi import APIRouter

from users.api.routes import auth, organizations, users

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(organizations.router)
