"""The docker provider against a real engine: Docker, or Podman's Docker-compatible API.

The image is ``TOOLKIT_POSTGRES_IMAGE`` (CI: the one ``python -m tools.podman
setup`` builds), else the default; see ``conftest.py`` for when these tests skip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import alive, wait_until
from tests.integration.postgres._schemas import package_metadata
from tests.integration.postgres.conftest import ENGINE_HOST, IMAGE, ours
from toolkit.errors import ToolkitError
from toolkit.postgres import databases, start_server
from toolkit.postgres._docker_watchdog import OWNER_PID
from toolkit.postgres.schema import MetadataSchema
from toolkit.postgres.server import Server

SELECT_ONE = (
    "import os, psycopg; "
    "print(psycopg.connect(os.environ['DATABASE_URL']).execute('select 1').fetchone()[0])"
)

OWNER = """
import json, time
from toolkit.postgres import start_server
with start_server("docker") as server:
    print(json.dumps(dict(server.details)), flush=True)
    time.sleep(600)
"""


@pytest.fixture(scope="module")
def docker_server(engine_client: Any) -> Iterator[Server]:
    """One container shared by the tests that only query it."""
    with pytest.MonkeyPatch.context() as patch:
        if ENGINE_HOST:
            patch.setenv("DOCKER_HOST", ENGINE_HOST)
        if IMAGE:
            patch.setenv("TOOLKIT_POSTGRES_IMAGE", IMAGE)
        with start_server("docker") as server:
            yield server


def exists(client: Any, container_id: str) -> bool:
    return container_id in ours(client)


def test_container_is_published_on_loopback_with_a_random_password(
    docker_server: Server, engine_client: Any
) -> None:
    """Before: every interface, password ``postgres`` for anyone on the network."""
    container = engine_client.api.inspect_container(docker_server.details["container_id"])
    bindings = [
        binding
        for published in container["NetworkSettings"]["Ports"].values()
        for binding in published or []
    ]
    if not ENGINE_HOST or ENGINE_HOST.startswith("unix://"):
        assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
    assert docker_server.password not in (None, "", "postgres")
    assert len(docker_server.password) >= 32
    guessed = docker_server.dsn().replace(docker_server.password, "postgres")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(guessed, connect_timeout=5)


def test_auto_starts_a_container_that_answers_and_is_removed_after_stop(engine: Any) -> None:
    with start_server() as server:
        assert server.provider == "docker"
        with psycopg.connect(server.dsn()) as connection:
            assert connection.execute("select 1").fetchone() == (1,)
        labels = ours(engine)[server.details["container_id"]]
        watchdog = server.details["watchdog_pid"]
        assert alive(watchdog)

    assert labels[OWNER_PID] == str(os.getpid())
    assert not exists(engine, server.details["container_id"])
    assert wait_until(lambda: not alive(watchdog), timeout=5)


def test_start_returns_once_a_query_through_the_published_port_succeeds(engine: Any) -> None:
    # No retry: a provider that returned on the first "ready" log line (the temporary
    # init server, unix socket only) would be refused here.
    with (
        start_server("docker") as server,
        psycopg.connect(server.dsn(), connect_timeout=5) as connection,
    ):
        assert connection.execute("select current_user").fetchone() == ("postgres",)


def test_server_runs_with_test_friendly_settings(docker_server: Server) -> None:
    with psycopg.connect(docker_server.dsn()) as connection:
        settings = dict(
            connection.execute(
                "select name, setting from pg_settings where name in "
                "('fsync', 'synchronous_commit', 'full_page_writes', 'max_connections')"
            ).fetchall()
        )

    assert settings == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
    }


def test_each_package_gets_a_clone_of_one_template(docker_server: Server) -> None:
    metadata = package_metadata()
    template = databases.ensure_template(docker_server, MetadataSchema(metadata))
    team_table = next(name for name in metadata.tables if name.startswith("teams"))

    names = [databases.database_name("test", package) for package in ("users", "projects")]
    for name in names:
        databases.clone_database(docker_server, template, name)
    with psycopg.connect(docker_server.dsn(names[0]), autocommit=True) as connection:
        connection.execute(f"insert into {team_table} (name) values ('only in users')")

    try:
        for name, rows in zip(names, (1, 0), strict=True):
            with psycopg.connect(docker_server.dsn(name)) as connection:
                tables = {
                    row[0]
                    for row in connection.execute(
                        "select tablename from pg_tables where schemaname = 'public'"
                    )
                }
                count = connection.execute(f"select count(*) from {team_table}").fetchone()
            assert tables == set(metadata.tables)
            assert count == (rows,)
    finally:
        for name in names:
            databases.drop_database(docker_server, name)


def _start_owner() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line, f"the owner exited with {owner.wait()} before starting a server"
    return owner, json.loads(line)


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(signal.SIGINT, id="sigint"),
        pytest.param(signal.SIGTERM, id="sigterm"),
        pytest.param(signal.SIGKILL, id="sigkill"),
    ],
)
def test_owner_death_removes_the_container(signum: int, engine: Any) -> None:
    owner, details = _start_owner()
    assert exists(engine, details["container_id"])

    owner.send_signal(signum)
    owner.wait(timeout=20)

    assert wait_until(lambda: not exists(engine, details["container_id"]), timeout=15)
    assert wait_until(lambda: not alive(details["watchdog_pid"]), timeout=10)


def test_containers_of_dead_owners_are_swept_by_the_next_start(engine: Any) -> None:
    owner, details = _start_owner()
    os.kill(details["watchdog_pid"], signal.SIGKILL)  # nobody left to remove it...
    owner.kill()
    owner.wait(timeout=10)
    time.sleep(1)
    assert exists(engine, details["container_id"])  # ...so it is still there

    with start_server("docker"):
        assert not exists(engine, details["container_id"])


def test_sweep_spares_containers_of_live_owners(engine: Any) -> None:
    owner, details = _start_owner()
    try:
        with start_server("docker"):
            assert exists(engine, details["container_id"])
    finally:
        owner.terminate()
        owner.wait(timeout=20)
    assert wait_until(lambda: not exists(engine, details["container_id"]), timeout=15)


def test_ryuk_is_not_needed_when_the_user_left_it_unconfigured(
    engine: Any, toolkit_cli, tmp_path
) -> None:
    # Ryuk's image cannot be pulled where no registry answers: starting it would fail.
    env = {key: value for key, value in os.environ.items() if not key.startswith("RYUK")}
    env.pop("TESTCONTAINERS_RYUK_DISABLED", None)
    env["HOME"] = str(tmp_path)  # no ~/.testcontainers.properties either

    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "postgres", "--provider", "docker", "--", "true"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_toolkit_postgres_runs_a_command_against_a_container(engine: Any, toolkit_cli) -> None:
    before = set(ours(engine))

    result = toolkit_cli("postgres", "--provider", "docker", "--", sys.executable, "-c", SELECT_ONE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert set(ours(engine)) == before


def test_missing_image_is_one_clear_line_and_leaves_nothing(engine: Any, toolkit_cli) -> None:
    missing = f"localhost/monorepo-toolkit/no-such-image:{uuid.uuid4().hex[:8]}"
    before = set(ours(engine))

    result = toolkit_cli(
        "postgres", "--provider", "docker", "--", "true", env={"TOOLKIT_POSTGRES_IMAGE": missing}
    )

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"toolkit: error: container image {missing!r} is not available")
    assert "TOOLKIT_POSTGRES_IMAGE" in line
    assert set(ours(engine)) == before


@pytest.fixture
def exiting_image(engine: Any) -> Iterator[str]:
    """The configured image with an entrypoint that fails at once, like a broken image."""
    from toolkit.postgres.providers.docker import image

    source = engine.containers.create(
        image(), entrypoint=["sh", "-c", "echo broken entrypoint; exit 3"]
    )
    name = f"localhost/monorepo-toolkit/exits:{uuid.uuid4().hex[:8]}"
    repository, tag = name.rsplit(":", 1)
    try:
        source.commit(repository=repository, tag=tag)
    finally:
        source.remove(force=True)
    yield name
    engine.images.remove(name, force=True)


def test_image_that_does_not_start_is_one_clear_line_and_leaves_nothing(
    engine: Any, exiting_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES_IMAGE", exiting_image)
    before = set(ours(engine))

    with pytest.raises(ToolkitError) as raised:
        start_server("docker")

    message = str(raised.value)
    assert "did not become a working PostgreSQL server: the container exited" in message
    assert "broken entrypoint" in message
    assert "\n" not in message
    assert set(ours(engine)) == before


def test_no_engine_is_one_clear_line(tmp_path, toolkit_cli) -> None:
    address = f"unix://{tmp_path / 'absent.sock'}"

    result = toolkit_cli(
        "postgres", "--provider", "docker", "--", "true", env={"DOCKER_HOST": address}
    )

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"toolkit: error: no container engine answers at {address}")
