"""The leak watch as a user runs it: ``pytest -p toolkit.testing.leaks`` on a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from tests.integration.isolation.test_engine import RAW_TESTS
from toolkit.postgres.server import Server

# The engine's suite that reaches its database through DATABASE_URL alone, and a test
# that changes a row without changing the count.
APP_TESTS = (
    RAW_TESTS
    + """

def test_renames():
    with psycopg.connect(URL) as connection:
        connection.execute("update notes set body = 'renamed' where id = 1")
"""
)


def _pytest(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "toolkit.testing.leaks", "--isolation-leaks=fail"]
        + ["-p", "no:randomly", "-p", "no:cacheprovider", *args, "test_app.py"],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_each_xdist_worker_watches_its_own_database_url(
    tmp_path: Path, postgres_server: Server
) -> None:
    # As the sessions run an app that reads DATABASE_URL itself: a template its setup
    # built, and each worker's own database cloned from it (<database>_gw<N>).
    base = f"leaks_{uuid.uuid4().hex[:8]}"
    template = f"{base}_template"
    (tmp_path / "test_app.py").write_text(APP_TESTS)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{template}"')
    try:
        with psycopg.connect(postgres_server.dsn(template), autocommit=True) as connection:
            connection.execute("create table notes (id serial primary key, body text)")
            connection.execute("insert into notes (body) values ('first')")
        env = {
            "DATABASE_URL": postgres_server.url(base, "psycopg"),
            "TOOLKIT_DATABASE_TEMPLATE": template,
        }

        result = _pytest(tmp_path, env, "-n", "2", "-rA")

        errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
        assert sorted(line.split()[1] for line in errors) == [
            "test_app.py::test_commits_through_its_own_connection",
            "test_app.py::test_renames",
        ], result.stdout
        assert "public.notes: +1 row" in result.stdout
        assert "public.notes: 1 row updated" in result.stdout
        assert "PASSED test_app.py::test_reads" in result.stdout
        with psycopg.connect(postgres_server.dsn()) as admin:
            made = admin.execute(
                "select datname from pg_database where datname like %s", (f"{base}%",)
            ).fetchall()
        # Only the workers cloned one: the controller runs no test.
        assert sorted(row[0] for row in made) == [base + "_gw0", base + "_gw1", template]
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            for name in (base, f"{base}_gw0", f"{base}_gw1", template):
                admin.execute(f'drop database if exists "{name}" with (force)')


DROPS_ITS_DATABASE = """
import os

import psycopg
import pytest

URL = os.environ["DATABASE_URL"]
ADMIN = URL.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session", autouse=True)
def own_database():
    yield
    with psycopg.connect(ADMIN, autocommit=True) as admin:  # as sqlalchemy_utils does
        admin.execute(f'drop database "{URL.rsplit("/", 1)[1]}" with (force)')


def test_passes():
    pass
"""


def test_a_suite_that_drops_its_own_database_ends_the_watch_not_the_run(
    tmp_path: Path, postgres_server: Server
) -> None:
    database = f"leaks_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{database}"')
    (tmp_path / "test_app.py").write_text(DROPS_ITS_DATABASE)

    result = _pytest(tmp_path, {"DATABASE_URL": postgres_server.dsn(database)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "INTERNALERROR" not in result.stdout + result.stderr
