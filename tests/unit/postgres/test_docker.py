"""Where the docker provider publishes the server's port (no engine needed)."""

from __future__ import annotations

import pytest

pytest.importorskip("testcontainers")

from toolkit.postgres.providers import docker
from toolkit.postgres.providers._docker_container import ReadyPostgresContainer


def _container() -> ReadyPostgresContainer:
    # An explicit API version: the client is built without asking an engine.
    return ReadyPostgresContainer(
        "postgres:17-alpine", password="x", driver=None, docker_client_kw={"version": "1.41"}
    )


@pytest.mark.parametrize("host", ["unix:///var/run/docker.sock", "unix:///run/podman.sock"])
def test_local_engine_publishes_on_loopback_only(host: str, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", host)
    container = _container()

    docker._publish_locally(container)

    assert container.ports == {"5432": ("127.0.0.1",)}


def test_remote_engine_publishes_where_this_machine_reaches_it(monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://build-host:2375")
    container = _container()

    docker._publish_locally(container)

    assert container.ports == {"5432": None}


def test_image_follows_the_wanted_major(monkeypatch) -> None:
    monkeypatch.delenv("TOOLKIT_POSTGRES_IMAGE", raising=False)
    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "16")

    assert docker.image() == "postgres:16-alpine"

    monkeypatch.setenv("TOOLKIT_POSTGRES_IMAGE", "registry.local/pg:custom")
    assert docker.image() == "registry.local/pg:custom"
