"""Binary discovery, against real (tiny) executables standing in for PostgreSQL's."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.postgres import _binaries


def _fake_bin(folder: Path, postgres_script: str) -> Path:
    folder.mkdir()
    for name in ("postgres", "initdb"):
        path = folder / name
        path.write_text(f"#!/bin/sh\n{postgres_script}\n")
        path.chmod(0o755)
    return folder


@pytest.fixture(autouse=True)
def fresh_version_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _binaries._probe.cache_clear()
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))


def test_explicit_bin_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _fake_bin(tmp_path / "pg", 'echo "postgres (PostgreSQL) 16.4"')
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", str(folder))

    found = _binaries.find_binaries()

    assert (found.bin_dir, found.version, found.major) == (folder, "16.4", 16)


def test_binaries_that_do_not_run_are_reported_with_their_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _fake_bin(
        tmp_path / "pg",
        'echo "postgres: error while loading shared libraries: libzstd.so.1" >&2; exit 127',
    )
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", str(folder))

    with pytest.raises(ToolkitError) as caught:
        _binaries.find_binaries()

    message = str(caught.value)
    assert f"PostgreSQL binaries in {folder} do not run" in message
    assert "libzstd.so.1" in message
    assert "TOOLKIT_POSTGRES_BIN" in message


def test_folder_without_server_binaries_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", str(tmp_path))

    with pytest.raises(ToolkitError, match="holds no initdb or postgres"):
        _binaries.find_binaries()


def test_broken_candidate_is_skipped_for_a_working_one(tmp_path: Path, monkeypatch) -> None:
    broken = _fake_bin(tmp_path / "broken", "exit 1")
    working = _fake_bin(tmp_path / "working", 'echo "postgres (PostgreSQL) 15.8"')
    monkeypatch.setattr(
        _binaries, "_candidates", lambda: iter([(broken, "system"), (working, "system")])
    )

    assert _binaries.find_binaries().bin_dir == working


def test_only_broken_candidates_report_the_first_failure(tmp_path: Path, monkeypatch) -> None:
    broken = _fake_bin(tmp_path / "broken", 'echo "cannot run" >&2; exit 1')
    monkeypatch.setattr(_binaries, "_candidates", lambda: iter([(broken, "system")]))

    with pytest.raises(ToolkitError, match="no usable PostgreSQL binaries: .*cannot run"):
        _binaries.find_binaries()


def test_no_candidate_at_all_is_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_binaries, "_candidates", lambda: iter(()))

    with pytest.raises(_binaries.NoBinaries, match="no PostgreSQL binaries found"):
        _binaries.find_binaries()


def test_cache_key_changes_with_version(tmp_path: Path) -> None:
    folder = _fake_bin(tmp_path / "pg", 'echo "postgres (PostgreSQL) 16.4"')
    first = _binaries.Binaries(folder, "16.4", "system")
    second = _binaries.Binaries(folder, "17.0", "system")

    assert first.key != second.key
    assert first.key.startswith("16.4-")


def test_cache_key_follows_content_not_location(tmp_path: Path) -> None:
    """Two venvs holding the same wheel share one initdb cache entry (was one per venv)."""
    one = _fake_bin(tmp_path / "venv-a", 'echo "postgres (PostgreSQL) 16.4"')
    two = _fake_bin(tmp_path / "venv-b", 'echo "postgres (PostgreSQL) 16.4"')
    rebuilt = _fake_bin(tmp_path / "venv-c", 'echo "postgres (PostgreSQL) 16.4" # rebuilt')

    key = _binaries.Binaries(one, "16.4", "system").key

    assert _binaries.Binaries(two, "16.4", "system").key == key
    assert _binaries.Binaries(rebuilt, "16.4", "system").key != key


def _two_majors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    fifteen = _fake_bin(tmp_path / "pg15", 'echo "postgres (PostgreSQL) 15.8"')
    eighteen = _fake_bin(tmp_path / "pg18", 'echo "postgres (PostgreSQL) 18.1"')
    monkeypatch.setattr(
        _binaries, "_candidates", lambda: iter([(eighteen, "wheel"), (fifteen, "system")])
    )
    return fifteen, eighteen


def test_wanted_major_picks_those_binaries(tmp_path: Path, monkeypatch) -> None:
    fifteen, eighteen = _two_majors(tmp_path, monkeypatch)

    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "15")
    assert _binaries.find_binaries().bin_dir == fifteen
    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "18")
    assert _binaries.find_binaries().bin_dir == eighteen


def test_missing_major_lists_what_is_available(tmp_path: Path, monkeypatch) -> None:
    _two_majors(tmp_path, monkeypatch)
    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "16")

    with pytest.raises(ToolkitError) as caught:
        _binaries.find_binaries()

    message = str(caught.value)
    assert message.startswith("no PostgreSQL 16 binaries (TOOLKIT_POSTGRES_VERSION); available: 18")
    assert "15 (system" in message
    assert "apt-get install postgresql-16" in message


@pytest.mark.parametrize("raw", ["sixteen", "16.2", "9", "0"])
def test_malformed_version_is_refused(raw: str, monkeypatch) -> None:
    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", raw)

    with pytest.raises(ToolkitError, match="is not a PostgreSQL major version"):
        _binaries.find_binaries()


def test_explicit_bin_of_another_major_is_refused(tmp_path: Path, monkeypatch) -> None:
    folder = _fake_bin(tmp_path / "pg", 'echo "postgres (PostgreSQL) 15.8"')
    monkeypatch.setenv("TOOLKIT_POSTGRES_BIN", str(folder))
    monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", "17")

    with pytest.raises(ToolkitError, match="holds PostgreSQL 15.8, but TOOLKIT_POSTGRES_VERSION"):
        _binaries.find_binaries()
