"""Fixtures for tests that need a container engine (Docker, or Podman's Docker API).

Those tests skip, naming how to get an engine, when none answers on ``DOCKER_HOST``;
with ``TOOLKIT_REQUIRE_ENGINE=1`` (CI) they fail instead, so a broken engine setup
cannot pass as a green run.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

from toolkit.postgres._docker_watchdog import LABEL
from toolkit.postgres.engine_probe import DEFAULT_SOCKET, engine_answers

# Read before the root conftest's clean_environment removes them for each test.
ENGINE_HOST = os.environ.get("DOCKER_HOST", "")
IMAGE = os.environ.get("TOOLKIT_POSTGRES_IMAGE", "")
REQUIRE_ENGINE = os.environ.get("TOOLKIT_REQUIRE_ENGINE", "") not in ("", "0")


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail where an engine is required (CI)."""
    if REQUIRE_ENGINE:
        pytest.fail(f"TOOLKIT_REQUIRE_ENGINE is set but {reason}", pytrace=False)
    pytest.skip(reason)


def ours(client: Any) -> dict[str, dict[str, str]]:
    """Labels of every container of the toolkit on the engine, by container id."""
    containers = client.api.containers(all=True, filters={"label": LABEL})  # no inspect races
    return {container["Id"]: container.get("Labels") or {} for container in containers}


@pytest.fixture(scope="session")
def engine_client() -> Iterator[Any]:
    """A Docker SDK client on the engine the provider uses, or a skip (a failure in CI)."""
    address = ENGINE_HOST or DEFAULT_SOCKET
    reason = None
    if importlib.util.find_spec("testcontainers") is None:
        reason = "testcontainers is not installed (pip install -e '.[docker]')"
    elif not engine_answers(address):
        reason = (
            f"no container engine answers at {address}: start Docker, or on Debian/Ubuntu "
            'run eval "$(python -m tools.podman setup)" as root'
        )
    if reason:
        skip_or_fail(reason)
    import docker

    client = docker.DockerClient(base_url=address)
    yield client
    client.close()


@pytest.fixture
def engine(engine_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The engine's settings back in the environment for this test (and its children)."""
    if ENGINE_HOST:
        monkeypatch.setenv("DOCKER_HOST", ENGINE_HOST)
    if IMAGE:
        monkeypatch.setenv("TOOLKIT_POSTGRES_IMAGE", IMAGE)
    return engine_client
