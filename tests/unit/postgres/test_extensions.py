"""Reading a failed CREATE EXTENSION, and checking binaries' contrib modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolkit.postgres import extensions

# Messages as PostgreSQL 18 words them (captured from real servers).
LIBRARY_MISSING = (
    'could not load library "/opt/pg/lib/uuid-ossp.so": libossp-uuid.so.16: cannot open '
    "shared object file: No such file or directory\n"
    'CONTEXT:  SQL statement "CREATE FUNCTION uuid_nil()"\n'
    'extension script file "uuid-ossp--1.1.sql", near line 6'
)
NOT_AVAILABLE = (
    'extension "postgis" is not available\n'
    "HINT:  The extension must first be installed on the system where PostgreSQL is running."
)


def test_missing_library_names_the_extension_the_library_and_the_fix() -> None:
    error = extensions.explain(RuntimeError(LIBRARY_MISSING), "/opt/pg/bin")

    assert error is not None
    message = str(error)
    assert "\n" not in message
    assert message.startswith('extension "uuid-ossp" cannot load on this server (/opt/pg/bin)')
    assert "libossp-uuid.so.16" in message
    assert "apt-get install libossp-uuid16" in message
    assert "TOOLKIT_POSTGRES_BIN" in message


def test_sqlalchemy_wrapper_is_read_through_to_the_driver_error() -> None:
    class Wrapped(Exception):
        orig = RuntimeError(NOT_AVAILABLE)

    error = extensions.explain(Wrapped("(psycopg.errors.FeatureNotSupported) ..."))

    assert error is not None
    assert str(error).startswith('extension "postgis" is not installed on this server;')


def test_other_errors_are_left_alone() -> None:
    assert extensions.explain(RuntimeError('relation "users" does not exist')) is None


def test_binaries_without_a_module_report_it(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()

    problems = extensions.unloadable(tmp_path / "bin")

    assert set(problems) == set(extensions.COMMON_EXTENSIONS)
    assert problems["citext"] == "citext.so is not part of these binaries"


def test_module_whose_library_is_missing_is_reported(tmp_path: Path) -> None:
    if shutil.which("ldd") is None:
        pytest.skip("no ldd on this system")
    source = Path("/usr/lib/postgresql/15/lib/citext.so")
    if not source.is_file():
        pytest.skip("needs a real contrib module to copy")
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "bin").mkdir()
    for name in extensions.COMMON_EXTENSIONS:
        shutil.copy(source, lib / f"{name}.so")
    # A module linked against a library nobody has: patch the NEEDED name in place.
    module = lib / "uuid-ossp.so"
    data = module.read_bytes()
    assert b"libc.so.6" in data
    module.write_bytes(data.replace(b"libc.so.6", b"libq.so.6", 1))

    problems = extensions.unloadable(tmp_path / "bin")

    assert problems == {"uuid-ossp": "uuid-ossp.so needs libq.so.6, not installed"}
