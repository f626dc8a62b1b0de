"""The image ``python -m tools.podman setup`` builds behaves like the official one.

Only the contract the toolkit and testcontainers rely on: the ``POSTGRES_*``
variables, ``/docker-entrypoint-initdb.d``, a server on 0.0.0.0:5432 announcing
"database system is ready to accept connections", and a refusal without a password.
Skipped (failed in CI) when the engine lacks the image.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.postgres.conftest import IMAGE, skip_or_fail
from tools.podman import DEFAULT_IMAGE

Run = Callable[..., Any]


@pytest.fixture
def local_image(engine_client: Any) -> str:
    import docker.errors

    name = IMAGE if IMAGE.startswith("localhost/monorepo-toolkit/") else DEFAULT_IMAGE
    try:
        engine_client.images.get(name)
    except docker.errors.ImageNotFound:
        skip_or_fail(f"the engine has no {name}: run python -m tools.podman setup")
    return name


@pytest.fixture
def run_image(engine_client: Any, local_image: str) -> Iterator[Run]:
    """Start containers of the image with a published port; all removed after the test."""
    started: list[Any] = []

    def run(environment: dict[str, str], **kwargs: Any) -> Any:
        container = engine_client.containers.create(
            local_image,
            environment=environment,
            ports={"5432/tcp": ("127.0.0.1", None)},
            name=f"toolkit-image-test-{uuid.uuid4().hex[:8]}",
            **kwargs,
        )
        started.append(container)  # removed below even when it cannot start
        container.start()
        return container

    yield run
    for container in started:
        container.remove(force=True)


def _port(container: Any) -> int:
    container.reload()
    return int(container.ports["5432/tcp"][0]["HostPort"])


def _connect(container: Any, dsn: str, timeout: float = 60) -> psycopg.Connection:
    """The first connection that succeeds; fails with the container's log if none does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(dsn, connect_timeout=2)
        except psycopg.OperationalError:
            container.reload()
            if container.status not in ("created", "running") or time.monotonic() > deadline:
                pytest.fail(f"no server in {container.status} container:\n{_logs(container)}")
            time.sleep(0.1)


def _logs(container: Any) -> str:
    return container.logs().decode(errors="replace")


def test_image_honours_the_official_variables_and_init_scripts(
    run_image: Run, tmp_path: Path
) -> None:
    scripts = tmp_path / "initdb"
    scripts.mkdir(mode=0o755)
    (scripts / "01-schema.sql").write_text(
        "create table seeded (n int); insert into seeded values (42);"
    )
    (scripts / "02-note.sh").write_text("echo note from a sourced script\n")
    password = "s3cret 'quoted'"

    container = run_image(
        {
            "POSTGRES_USER": "app",
            "POSTGRES_PASSWORD": password,
            "POSTGRES_DB": "appdb",
            "POSTGRES_INITDB_ARGS": "--encoding=LATIN1 --locale=C",
        },
        volumes={str(scripts): {"bind": "/docker-entrypoint-initdb.d", "mode": "ro"}},
    )
    port = _port(container)
    dsn = psycopg.conninfo.make_conninfo(
        host="127.0.0.1", port=port, user="app", password=password, dbname="appdb"
    )

    with _connect(container, dsn) as connection:
        row = connection.execute(
            "select current_user, current_database(), current_setting('server_encoding'), "
            "current_setting('listen_addresses'), (select n from seeded)"
        ).fetchone()

    assert row == ("app", "appdb", "LATIN1", "*", 42)
    logs = _logs(container)
    assert "note from a sourced script" in logs
    assert 'listening on IPv4 address "0.0.0.0", port 5432' in logs
    assert logs.rstrip().endswith("database system is ready to accept connections")


def test_image_rejects_a_wrong_password(run_image: Run) -> None:
    container = run_image({"POSTGRES_PASSWORD": "right"})
    port = _port(container)
    with _connect(container, f"postgresql://postgres:right@127.0.0.1:{port}/postgres"):
        pass

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"postgresql://postgres:wrong@127.0.0.1:{port}/postgres")


def test_image_with_trust_auth_needs_no_password(run_image: Run) -> None:
    container = run_image({"POSTGRES_HOST_AUTH_METHOD": "trust"})

    with _connect(container, f"postgresql://postgres@127.0.0.1:{_port(container)}/postgres") as c:
        assert c.execute("select current_user").fetchone() == ("postgres",)


def test_image_without_a_password_refuses_to_start(run_image: Run) -> None:
    container = run_image({})

    assert container.wait(timeout=60)["StatusCode"] == 1
    assert "POSTGRES_PASSWORD is not set" in _logs(container)
