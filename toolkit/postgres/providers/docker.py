"""A throwaway server in a container, through testcontainers (Docker or Podman)."""

from __future__ import annotations

import importlib.util
import os

from toolkit.errors import ToolkitError
from toolkit.postgres._once import once
from toolkit.postgres.engine_probe import docker_host, engine_answers
from toolkit.postgres.server import Server

__all__ = ["DEFAULT_IMAGE", "LABEL", "available", "start"]

DEFAULT_IMAGE = "postgres:17-alpine"
#: Every container we start carries this label, so leftovers can be found and swept.
LABEL = "org.monorepo-toolkit.postgres"
_USER = _PASSWORD = "postgres"


def available() -> bool:
    """An engine answers and testcontainers (the ``docker`` extra) is installed."""
    return importlib.util.find_spec("testcontainers") is not None and engine_answers()


def image() -> str:
    return os.environ.get("TOOLKIT_POSTGRES_IMAGE") or DEFAULT_IMAGE


def start() -> Server:
    """Start a container from ``TOOLKIT_POSTGRES_IMAGE`` and wait until it is ready."""
    if not engine_answers():
        raise ToolkitError(
            f"no container engine answers at {docker_host()}",
            "start Docker (or Podman's API service and set DOCKER_HOST), or use "
            "TOOLKIT_POSTGRES=embedded",
        )
    try:
        from testcontainers.postgres import PostgresContainer
    except ImportError:
        raise ToolkitError(
            "testcontainers is not installed",
            "pip install 'monorepo-toolkit[docker]'",
        ) from None
    from docker.errors import DockerException, ImageNotFound

    name = image()
    container = PostgresContainer(
        name, username=_USER, password=_PASSWORD, dbname="postgres", driver=None
    ).with_kwargs(labels={LABEL: str(os.getpid())})
    try:
        container.start()
    except ImageNotFound:
        container.stop()
        raise ToolkitError(
            f"container image {name!r} is not available to the engine at {docker_host()}",
            "pull or build it, or set TOOLKIT_POSTGRES_IMAGE to an image the engine has",
        ) from None
    except DockerException as error:
        container.stop()
        raise ToolkitError(
            f"the container engine at {docker_host()} failed to start {name!r}: {error}",
            "check the engine (docker info), or use TOOLKIT_POSTGRES=embedded",
        ) from None
    except BaseException:
        container.stop()
        raise
    return Server(
        provider="docker",
        host=container.get_container_host_ip(),
        port=int(container.get_exposed_port(5432)),
        user=_USER,
        password=_PASSWORD,
        database="postgres",
        details={"container_id": container.get_wrapped_container().id, "image": name},
        _stop=once(container.stop),
    )
