"""The databases pytest processes make from the sessions' template, on a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from toolkit.postgres.server import Server

TESTS = """\
import os

import psycopg


def test_runs_on_a_database_of_its_workers_own():
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        name = connection.execute("select current_database()").fetchone()[0]
    assert name == os.environ["PGDATABASE"]
    assert name.endswith(os.environ["PYTEST_XDIST_WORKER"])


def test_a_second_test_for_the_other_worker():
    test_runs_on_a_database_of_its_workers_own()
"""


def test_under_xdist_only_the_workers_clone_a_database(
    tmp_path: Path, postgres_server: Server
) -> None:
    """Before: the controller, which runs no test, cloned one too (20-60 ms a run)."""
    base = f"workers_{uuid.uuid4().hex[:8]}"
    template = f"{base}_template"
    (tmp_path / "test_app.py").write_text(TESTS)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{template}"')
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:randomly", "-n", "2", "test_app.py"],
            cwd=tmp_path,
            env={
                **os.environ,
                "DATABASE_URL": postgres_server.url(base, "psycopg").replace("+psycopg", ""),
                "TOOLKIT_DATABASE_TEMPLATE": template,
            },
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode == 0, result.stdout[-2000:]
        with psycopg.connect(postgres_server.dsn()) as admin:
            made = {
                row[0]
                for row in admin.execute(
                    "select datname from pg_database where datname like %s", (f"{base}%",)
                )
            }
        assert made == {template, f"{base}_gw0", f"{base}_gw1"}
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            for name in (base, f"{base}_gw0", f"{base}_gw1", template):
                admin.execute(f'drop database if exists "{name}" with (force)')
