"""Folders the toolkit keeps things in: made by us, or verified, never repaired."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.postgres import _paths


def test_cache_folder_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))

    path = _paths.cache_dir()

    assert stat.S_IMODE(path.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        pytest.param(lambda p: p.symlink_to("/etc"), "is not a folder", id="symlink"),
        pytest.param(lambda p: (p.mkdir(), p.chmod(0o777)), "writable by other users", id="0777"),
        pytest.param(lambda p: (p.mkdir(), p.chmod(0o770)), "writable by other users", id="0770"),
    ],
)
def test_cache_folder_someone_else_could_change_is_refused(
    prepare, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache"
    prepare(path)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(path))

    with pytest.raises(ToolkitError, match=message):
        _paths.cache_dir()

    assert path.is_symlink() or stat.S_IMODE(path.stat().st_mode) in (0o777, 0o770)  # untouched


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder of another user needs root")
def test_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    os.chown(path, 65534, 65534)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(path))

    with pytest.raises(ToolkitError, match="belongs to uid 65534"):
        _paths.cache_dir()


def test_shared_dir_that_exists_is_verified_not_chmodded(tmp_path: Path, monkeypatch) -> None:
    """Before: TOOLKIT_SHARED_DIR was chmodded to 0755 whatever it was (/tmp included)."""
    shared = tmp_path / "like-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("TOOLKIT_SHARED_DIR", str(shared))

    with pytest.raises(ToolkitError, match="writable by other users"):
        _paths.shared_dir()

    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_shared_dir_made_here_is_world_readable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOOLKIT_SHARED_DIR", str(tmp_path / "shared"))

    assert stat.S_IMODE(_paths.shared_dir().stat().st_mode) == 0o755


def test_sticky_runtime_folder_like_tmp_is_accepted(tmp_path: Path, monkeypatch) -> None:
    runtime = tmp_path / "runs"
    runtime.mkdir()
    runtime.chmod(0o1777)
    monkeypatch.setenv("TOOLKIT_RUNTIME_DIR", str(runtime))

    assert _paths.runtime_dir() == runtime


def test_world_writable_runtime_folder_without_sticky_bit_is_refused(tmp_path, monkeypatch):
    runtime = tmp_path / "runs"
    runtime.mkdir()
    runtime.chmod(0o777)
    monkeypatch.setenv("TOOLKIT_RUNTIME_DIR", str(runtime))

    with pytest.raises(ToolkitError, match="TOOLKIT_RUNTIME_DIR=.* is writable by other users"):
        _paths.runtime_dir()


def test_default_runtime_folder_is_per_user_and_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TOOLKIT_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(_paths, "_TMPFS", tmp_path)

    path = _paths.runtime_dir()

    assert path == tmp_path / f"monorepo-toolkit-{os.geteuid()}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_default_runtime_folder_made_by_someone_else_is_refused(tmp_path, monkeypatch) -> None:
    """A name in world-writable /dev/shm can be taken first: it is checked, not used."""
    monkeypatch.delenv("TOOLKIT_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(_paths, "_TMPFS", tmp_path)
    planted = tmp_path / f"monorepo-toolkit-{os.geteuid()}"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)

    with pytest.raises(ToolkitError, match="the runtime folder .* writable by other users"):
        _paths.runtime_dir()
