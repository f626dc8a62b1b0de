"""A throwaway server in a container, through testcontainers (Docker or Podman).

The engine is whatever answers the Docker API on ``DOCKER_HOST`` (or the default
socket): Docker Engine, Docker Desktop, or Podman's ``podman system service`` (see
``python -m tools.podman`` in the repository for a machine without Docker). The image is
``TOOLKIT_POSTGRES_IMAGE``, default an official ``postgres`` tag; any image whose
entrypoint honours the official image's ``POSTGRES_*`` variables and ``postgres -c``
arguments works.

Three promises, as for the embedded provider:

- ready means ready: :func:`start` returns once a query through the published port
  has succeeded (:mod:`._docker_container`), not when a log line appeared;
- nothing is left behind: the container is removed by :meth:`Server.stop`, on an
  exception or Ctrl-C during start, and by a watchdog process when the owner dies
  without stopping it, SIGKILL included (:mod:`toolkit.postgres._docker_watchdog`),
  which also sweeps containers of dead owners. Ryuk, testcontainers' reaper, is left
  off unless the user configures it: its image must be pulled, and the watchdog does
  its job;
- a failure the user can fix (no engine, no image, an image that does not start) is
  one :class:`ToolkitError` line naming the cause and the fix.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError
from toolkit.postgres._binaries import wanted_major
from toolkit.postgres._docker_watchdog import LABEL, owner_labels
from toolkit.postgres._guardian import Guardian
from toolkit.postgres._once import once
from toolkit.postgres.engine_probe import api_version, docker_host, engine_answers
from toolkit.postgres.provider import Provider
from toolkit.postgres.server import Server
from toolkit.postgres.settings import TEST_SETTINGS

if TYPE_CHECKING:
    from toolkit.postgres.providers._docker_container import ReadyPostgresContainer

__all__ = ["DEFAULT_IMAGE", "LABEL", "available", "image", "start"]

DEFAULT_IMAGE = "postgres:17-alpine"
_USER = "postgres"
#: A guardian: it removes the container when the process that started it goes.
_WATCHDOG = "toolkit.postgres._docker_watchdog"
_WATCHDOG_STOP_TIMEOUT = 30.0


def available() -> str | None:
    """None when an engine answers and testcontainers (the ``docker`` extra) is
    installed; else why not."""
    if importlib.util.find_spec("testcontainers") is None:
        return "testcontainers (the docker extra) is not installed"
    if not engine_answers():
        return f"no container engine answers at {docker_host()}"
    return None


def image() -> str:
    """``TOOLKIT_POSTGRES_IMAGE``, else the official image of ``TOOLKIT_POSTGRES_VERSION``'s
    major (``postgres:16-alpine``), else :data:`DEFAULT_IMAGE`."""
    explicit = os.environ.get("TOOLKIT_POSTGRES_IMAGE")
    if explicit:
        return explicit
    major = wanted_major()
    return f"postgres:{major}-alpine" if major is not None else DEFAULT_IMAGE


def _command() -> list[str]:
    """``postgres -c ...`` with the embedded server's test settings (no durability)."""
    command = ["postgres"]
    for key, value in TEST_SETTINGS.items():
        command += ["-c", f"{key}={value}"]
    return command


@contextlib.contextmanager
def _ryuk_off_unless_configured() -> Iterator[None]:
    """Start without Ryuk unless the user decided (env var or ~/.testcontainers.properties).

    Scoped to our own start, so other testcontainers use in the same process keeps
    whatever the user configured.
    """
    from testcontainers.core.config import testcontainers_config as config

    configured = (
        "TESTCONTAINERS_RYUK_DISABLED" in os.environ or "ryuk.disabled" in config.tc_properties
    )
    if configured:
        yield
        return
    before = config.ryuk_disabled
    config.ryuk_disabled = True
    try:
        yield
    finally:
        config.ryuk_disabled = before


class _Watchdog:
    """The process that removes the container if this one dies first."""

    def __init__(self, token: str, engine: str | None, api: str | None) -> None:
        config = {"token": token, "docker_host": engine, "api_version": api}
        self.guardian = Guardian(_WATCHDOG, config)
        self.process = self.guardian.process

    def wait_guarding(self) -> dict[str, Any]:
        """Its report once it guards (after its sweep); raises if it could not start."""
        report = self.guardian.handshake()
        if "error" in report:
            raise ToolkitError(
                f"the container watchdog could not reach the engine at {docker_host()}: "
                f"{report['error']}",
                "check the engine (docker info / podman info), or use TOOLKIT_POSTGRES=embedded",
            )
        result: dict[str, Any] = report
        return result

    def release(self) -> None:
        """The server was stopped on purpose: tell the watchdog, let it check, reap it."""
        self.guardian.send(b"stop\n")
        self.guardian.release(timeout=_WATCHDOG_STOP_TIMEOUT)


def _engine_error(error: BaseException, name: str) -> ToolkitError:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ToolkitError(
        f"the container engine at {docker_host()} failed to start {name!r}: {reason}",
        "check the engine (docker info / podman info), or use TOOLKIT_POSTGRES=embedded",
    )


def _image_error(reason: str, name: str) -> ToolkitError:
    reason = reason.strip().splitlines()[0] if reason.strip() else "no reason given"
    return ToolkitError(
        f"container image {name!r} is not available to the engine at {docker_host()} "
        f"and could not be pulled ({reason})",
        "pull or build it (without a registry: python -m tools.podman setup in a "
        "monorepo-toolkit clone), or set TOOLKIT_POSTGRES_IMAGE to an image the engine has",
    )


def _pull(client: Any, name: str) -> None:
    """Pull ``name``; the engine's own reason if it cannot (the SDK drops stream errors)."""
    import docker.errors
    from docker.utils import parse_repository_tag

    repository, tag = parse_repository_tag(name)
    try:
        for event in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise _image_error(str(event["error"]), name)
    except docker.errors.APIError as error:
        raise _image_error(str(error.explanation or error), name) from None


def _ensure_image(container: ReadyPostgresContainer) -> str | None:
    """Have the image (pull it if the engine lacks it); returns its PGDATA, if it says.

    testcontainers would pull too, but then a missing image would be one engine error
    among others; here it gets its own message. The data folder goes on tmpfs, as the
    embedded server's does: a throwaway database gains nothing from a disk.
    """
    import docker.errors

    client = container.get_docker_client().client
    try:
        found = client.images.get(container.image)
    except docker.errors.ImageNotFound:
        _pull(client, container.image)
        try:
            found = client.images.get(container.image)
        except docker.errors.ImageNotFound as error:
            raise _image_error(str(error), container.image) from None
    for entry in (found.attrs.get("Config") or {}).get("Env") or []:
        if entry.startswith("PGDATA="):
            return entry.removeprefix("PGDATA=") or None
    return None


def _on_tmpfs(container: ReadyPostgresContainer, path: str) -> None:
    if hasattr(container, "with_tmpfs_mount"):  # testcontainers >= 4.14
        container.with_tmpfs_mount(path)
    else:  # pragma: no cover - older testcontainers pass it through to the SDK
        container._kwargs["tmpfs"] = {path: ""}


def _discard(container: ReadyPostgresContainer | None) -> None:
    """Remove the container if it was created; the watchdog covers a failure here."""
    if container is None:
        return
    with contextlib.suppress(Exception):
        container.stop()


def _user_error(error: BaseException, name: str) -> ToolkitError | None:
    """The one-line message for a failure the user can fix; None for anything else."""
    import docker.errors
    import requests

    from toolkit.postgres.providers._docker_container import AddressUnknown, NotReady

    if isinstance(error, ToolkitError):
        return error
    if isinstance(error, NotReady):
        return ToolkitError(
            f"the container from {name!r} did not become a working PostgreSQL server: {error}",
            "check that TOOLKIT_POSTGRES_IMAGE is a PostgreSQL image compatible with the "
            "official one, or use TOOLKIT_POSTGRES=embedded",
        )
    if isinstance(error, AddressUnknown):
        return ToolkitError(
            f"testcontainers could not tell where the container's port is published ({error})",
            "for an engine on this machine set TESTCONTAINERS_CONNECTION_MODE=docker_host "
            "and TESTCONTAINERS_HOST_OVERRIDE=localhost (a stray /.dockerenv misleads it)",
        )
    if isinstance(error, (docker.errors.DockerException, requests.RequestException)):
        return _engine_error(error, name)
    return None


def _publish_locally(container: ReadyPostgresContainer) -> None:
    """Publish the port on 127.0.0.1 only when the engine runs on this machine.

    Other machines on the network have no business with a test server; an engine
    on another host (``DOCKER_HOST=tcp://...``) must publish where this one reaches it,
    and there the random password is what keeps others out.
    """
    if docker_host().startswith(("unix://", "npipe://")) or docker_host().startswith("/"):
        ports: dict[str, Any] = container.ports
        ports[str(container.port)] = ("127.0.0.1",)  # HostIp only: a free port


def _configure(container: ReadyPostgresContainer, token: str) -> None:
    """Labels for the watchdog and sweeps, test settings, and the data folder on tmpfs."""
    pgdata = _ensure_image(container)
    _publish_locally(container)
    container.with_command(_command()).with_kwargs(labels=owner_labels(token))
    container.with_env("POSTGRES_INITDB_ARGS", "--no-sync")  # throwaway data: no fsync
    if pgdata:
        _on_tmpfs(container, pgdata)


def start() -> Server:
    """Start a container from ``TOOLKIT_POSTGRES_IMAGE`` and wait until a query succeeds."""
    if not engine_answers():
        raise ToolkitError(
            f"no container engine answers at {docker_host()}",
            "start Docker (or Podman's API service and set DOCKER_HOST; on Debian/Ubuntu: "
            "python -m tools.podman setup in a monorepo-toolkit clone), or use "
            "TOOLKIT_POSTGRES=embedded",
        )
    try:
        from testcontainers.core.docker_client import get_docker_host

        from toolkit.postgres.providers._docker_container import ReadyPostgresContainer
    except ImportError:
        raise ToolkitError(
            "testcontainers is not installed",
            "pip install 'monorepo-toolkit[docker]'",
        ) from None

    name = image()
    api = api_version()
    token = uuid.uuid4().hex
    password = secrets.token_urlsafe(32)
    watchdog = _Watchdog(token, get_docker_host(), api)  # guards before the container exists
    container: ReadyPostgresContainer | None = None
    try:
        container = ReadyPostgresContainer(
            name,
            username=_USER,
            password=password,
            dbname="postgres",
            driver=None,
            docker_client_kw={"version": api} if api else None,
        )
        _configure(container, token)
        with _ryuk_off_unless_configured():
            container.start()
        watchdog.wait_guarding()
        host, port = container.address()
    except BaseException as error:
        _discard(container)
        watchdog.release()
        friendly = _user_error(error, name)
        if friendly is None or friendly is error:
            raise
        raise friendly from None

    def stop() -> None:
        try:
            _discard(container)
        finally:
            watchdog.release()

    return Server(
        provider="docker",
        host=host,
        port=port,
        user=_USER,
        password=password,
        database="postgres",
        details={
            "container_id": container.get_wrapped_container().id,
            "image": name,
            "engine": docker_host(),
            "label": f"{LABEL}={token}",
            "watchdog_pid": watchdog.process.pid,
        },
        _stop=once(stop),
    )


PROVIDER = Provider(
    name="docker",
    available=available,
    start=lambda options: start(),
    fix="start Docker or Podman's API service (and install the docker extra)",
)
