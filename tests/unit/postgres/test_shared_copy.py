"""Binaries copied for the server's user go to a folder that user can reach, or nowhere."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.postgres.test_binaries import _fake_bin
from toolkit.errors import ToolkitError
from toolkit.postgres import _binaries

NOBODY = (65534, 65534)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _binaries._probe.cache_clear()
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))


def test_private_shared_dir_is_refused_before_anything_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the installation was copied in, then the server's start failed and the
    error named TOOLKIT_RUNTIME_DIR."""
    tmp_path.chmod(0o700)  # the binaries' own folder is private: they must be copied
    prefix = tmp_path / "venv"
    prefix.mkdir()
    bin_dir = _fake_bin(prefix / "bin", 'echo "postgres (PostgreSQL) 16.4"')
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    monkeypatch.setenv("TOOLKIT_SHARED_DIR", str(shared))

    with pytest.raises(ToolkitError) as raised:
        _binaries.readable_by(_binaries.Binaries(bin_dir, "16.4", "wheel"), *NOBODY)

    message = str(raised.value)
    assert message.startswith(f"TOOLKIT_SHARED_DIR={shared} is not reachable by the server's")
    assert "TOOLKIT_RUNTIME_DIR" not in message
    assert list(shared.iterdir()) == []


def test_reachable_shared_dir_gets_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path.chmod(0o700)
    prefix = tmp_path / "venv"
    prefix.mkdir()
    bin_dir = _fake_bin(prefix / "bin", 'echo "postgres (PostgreSQL) 16.4"')
    reachable = Path("/tmp") / f"toolkit-test-shared-{tmp_path.name}"
    monkeypatch.setenv("TOOLKIT_SHARED_DIR", str(reachable))
    try:
        copied = _binaries.readable_by(_binaries.Binaries(bin_dir, "16.4", "wheel"), *NOBODY)

        assert copied.bin_dir.parent.parent == reachable
        assert (copied.bin_dir / "postgres").is_file()
    finally:
        shutil.rmtree(reachable, ignore_errors=True)
