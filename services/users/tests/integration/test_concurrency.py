"""Races between real transactions: separate connections, real commits, no shared session.

These tests cannot run inside the rolled-back ``db_session``: each request gets its own
``Session(engine)`` in its own thread (its own app instance and event loop), so the
database alone decides who wins. Every row they commit is deleted in ``finally``.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from tests.factories import DEFAULT_PASSWORD_HASH, FAST_PASSWORD_HASHER
from users.api.deps import get_password_hasher
from users.db import get_db
from users.main import create_app
from users.models import Membership, Organization, Role, User

pytestmark = pytest.mark.concurrency

REGISTER = "/api/v1/auth/register"


def _send_together(engine: Engine, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send each request from its own thread, app and session, released at once."""
    barrier = threading.Barrier(len(requests))
    responses: list[httpx.Response | BaseException | None] = [None] * len(requests)

    def own_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    async def send(request: dict[str, Any]) -> httpx.Response:
        app = create_app()
        app.dependency_overrides[get_db] = own_session
        app.dependency_overrides[get_password_hasher] = lambda: FAST_PASSWORD_HASHER
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            barrier.wait(timeout=30)
            return await client.request(**request)

    def worker(index: int) -> None:
        try:
            responses[index] = asyncio.run(send(requests[index]))
        except BaseException as error:  # reported by the main thread below
            responses[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for response in responses:
        if not isinstance(response, httpx.Response):
            raise AssertionError(f"a concurrent request did not complete: {response!r}")
    return responses  # type: ignore[return-value]


def test_concurrent_registrations_of_one_email_create_one_user(engine: Engine):
    email = f"race-{uuid.uuid4().hex}@example.com"
    payload = {"email": email, "password": "V3rySecurePass"}
    try:
        responses = _send_together(
            engine, [{"method": "POST", "url": REGISTER, "json": payload}] * 6
        )

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * 5
        for response in responses:
            if response.status_code == 409:
                assert "already registered" in response.json()["detail"]
        with Session(engine) as session:
            assert session.scalar(select(func.count()).where(User.email == email)) == 1
    finally:
        with engine.begin() as connection:
            connection.execute(delete(User).where(User.email == email))


@pytest.fixture
def two_owners(engine: Engine) -> Iterator[tuple[int, int, int]]:
    """A committed organization with exactly two owners: (organization, owner a, owner b)."""
    tag = uuid.uuid4().hex[:12]
    with Session(engine) as session:
        organization = Organization(name="Race", slug=f"race-{tag}")
        owners = [
            User(email=f"owner-{n}-{tag}@example.com", hashed_password=DEFAULT_PASSWORD_HASH)
            for n in (1, 2)
        ]
        session.add_all([organization, *owners])
        session.flush()
        session.add_all(
            Membership(user_id=owner.id, organization_id=organization.id, role=Role.OWNER)
            for owner in owners
        )
        session.commit()
        ids = (organization.id, owners[0].id, owners[1].id)
    try:
        yield ids
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Organization).where(Organization.id == ids[0]))
            connection.execute(delete(User).where(User.id.in_(ids[1:])))


def test_two_owners_removing_each_other_leave_one_owner(engine: Engine, two_owners, tokens):
    organization_id, owner_a, owner_b = two_owners

    def removal(actor: int, target: int) -> dict[str, Any]:
        return {
            "method": "DELETE",
            "url": f"/api/v1/organizations/{organization_id}/members/{target}",
            "headers": {"Authorization": f"Bearer {tokens.issue_access(actor, {})}"},
        }

    responses = _send_together(engine, [removal(owner_a, owner_b), removal(owner_b, owner_a)])

    # The loser sees 409 (it waited on the winner's lock: "last owner") or, if the winner
    # had already committed, 404 (it is no longer a member); never a second 204.
    first, second = sorted(response.status_code for response in responses)
    assert first == 204
    assert second in {404, 409}
    with Session(engine) as session:
        owners = session.scalars(
            select(Membership.user_id).where(
                Membership.organization_id == organization_id, Membership.role == Role.OWNER
            )
        ).all()
    assert len(owners) == 1
