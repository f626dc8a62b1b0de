"""Database leaks told apart by phase, on an older app's fixtures and a real server.

The planted suite (``suites.fixture_leaks``) has one leak per scope (session, package, module,
class fixtures, and tests) beside fixtures that clean up. Run as the sessions run it
(a fresh database cloned from a template in every pytest process), the engine must
name each leaking fixture as a fixture with its scope, say what changed in words,
report nothing for the fixtures that clean up, the rolled-back test or the mock-only
test after a module's ``drop_all``, and give each leak a command that fails alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.integration.isolation.suites import fixture_leaks
from toolkit.isolation import analyse
from toolkit.postgres.server import Server

PYTHON = Path(sys.executable)

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_per_process(postgres_server: Server) -> Iterator[dict[str, str]]:
    """The sessions' variables: every pytest process clones an empty template."""
    name = f"leaks_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{name}_template"')
    yield {
        "DATABASE_URL": postgres_server.dsn(name),
        "TOOLKIT_DATABASE_TEMPLATE": f"{name}_template",
    }
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        for database in (name, f"{name}_s1", f"{name}_template"):
            admin.execute(f'drop database if exists "{database}" with (force)')


def test_each_leak_is_blamed_on_the_fixture_or_test_that_left_it_and_fails_alone(
    tmp_path: Path, fresh_per_process: dict[str, str]
) -> None:
    root, expected = fixture_leaks(tmp_path / "suite")

    report = analyse(
        root,
        PYTHON,
        paths=["tests"],
        env=fresh_per_process,
        seed=11,
        orders=1,
        jobs=2,
        work_dir=tmp_path / "work",
    )

    found = {
        (f.details.get("fixture") or f.test, f.details.get("scope") or "test"): f.details["tables"]
        for f in report.findings
    }
    assert found == expected
    assert [f.kind for f in report.findings] == ["database-leak"] * len(expected)
    assert report.notes == []
    environ = {**os.environ, **fresh_per_process}
    for finding in report.findings:
        result = subprocess.run(
            finding.reproduce, shell=True, capture_output=True, text=True, env=environ, check=False
        )
        fixture = finding.details.get("fixture")
        owner = f"fixture {fixture} ({finding.details['scope']} scope)" if fixture else "this test"
        assert result.returncode == 1, (finding.reproduce, result.stdout)
        assert f"isolation: {owner} left the database changed" in result.stdout, result.stdout
        for table, words in finding.details["tables"].items():
            assert f"{table}: {words}" in result.stdout
    scratch = next(f for f in report.findings if f.details.get("scope") == "module")
    assert scratch.test == "tests/test_c_scratch.py::test_uses_scratch"
    assert "fixture tests/test_c_scratch.py::scratch_table (module scope) left" in scratch.cause()
