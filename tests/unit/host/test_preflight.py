"""Settings and folders checked once, before any session: each mistake one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mounts import full_disk, read_only  # noqa: F401
from toolkit.errors import ToolkitError
from toolkit.host import preflight
from toolkit.host.config import RepoConfig
from toolkit.host.run import Run


def _one_line(error: pytest.ExceptionInfo[ToolkitError]) -> str:
    message = str(error.value)
    assert "\n" not in message and error.value.fix
    return message


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        pytest.param("TOOLKIT_SEED", "abc", "TOOLKIT_SEED='abc' is not a seed", id="seed"),
        pytest.param("TOOLKIT_SEED", "-3", "TOOLKIT_SEED='-3' is not a seed", id="negative-seed"),
        pytest.param(
            "TOOLKIT_CACHE", "maybe", "TOOLKIT_CACHE='maybe' is neither on nor off", id="cache"
        ),
        pytest.param("TOOLKIT_SHARD", "3/2", "TOOLKIT_SHARD='3/2' is not a shard", id="shard"),
        pytest.param(
            "TOOLKIT_RUNTIME_DIR", "run", "TOOLKIT_RUNTIME_DIR='run' is a relative path", id="rt"
        ),
        pytest.param(
            "TOOLKIT_SHARED_DIR", "s", "TOOLKIT_SHARED_DIR='s' is a relative path", id="shared"
        ),
        pytest.param(
            "TOOLKIT_CACHE_DIR", "./c", "TOOLKIT_CACHE_DIR='./c' is a relative path", id="cache-dir"
        ),
    ],
)
def test_setting_that_makes_no_sense_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ToolkitError) as raised:
        preflight.check_settings()

    assert _one_line(raised).startswith(named)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOOLKIT_SEED", " 42 "),
        ("TOOLKIT_CACHE", "0"),
        ("TOOLKIT_CACHE", "Off"),
        ("TOOLKIT_CACHE", "1"),
        ("TOOLKIT_CACHE", ""),
        ("TOOLKIT_SHARD", "2/4"),
        ("TOOLKIT_RUNTIME_DIR", "/tmp/somewhere"),
    ],
)
def test_settings_that_make_sense_pass(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    preflight.check_settings()


def test_the_seed_asked_for_is_the_seed_used(
    monkeypatch: pytest.MonkeyPatch, config: RepoConfig
) -> None:
    monkeypatch.setenv("TOOLKIT_SEED", "1234")

    assert Run(config).seed() == 1234


def test_folders_are_created_and_nothing_is_left_in_them(config: RepoConfig) -> None:
    preflight.check(config, ["nox", "-s", "unit"])

    for folder in ("reports", ".nox"):
        assert (config.root / folder).is_dir()
        assert [p for p in (config.root / folder).iterdir() if p.name.startswith(".toolkit")] == []


def test_listing_sessions_writes_nothing(config: RepoConfig) -> None:
    preflight.check(config, ["nox", "-l"])

    assert not (config.root / "reports").exists()


def test_refused_result_cache_folder_is_named(
    monkeypatch: pytest.MonkeyPatch, config: RepoConfig, tmp_path: Path
) -> None:
    shared = tmp_path / "shared-cache"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("TOOLKIT_RESULT_CACHE_DIR", str(shared))

    with pytest.raises(ToolkitError) as raised:
        preflight.check(config, ["nox", "-s", "unit"])

    assert f"TOOLKIT_RESULT_CACHE_DIR={shared} is writable by other users" in _one_line(raised)
    preflight.check(config, ["nox", "-s", "unit", "--", "--no-cache"])  # not used: no check
    monkeypatch.setenv("TOOLKIT_CACHE", "0")
    preflight.check(config, ["nox", "-s", "unit"])


def test_full_disk_is_one_line_naming_the_folder(full_disk: Path) -> None:  # noqa: F811
    with pytest.raises(ToolkitError) as raised:
        preflight.writable(full_disk, "the reports folder", "")

    message = _one_line(raised)
    assert message.startswith(f"the reports folder {full_disk} cannot be written: No space left")
    assert f"free space on its disk (df -h {full_disk})" in message


def test_read_only_checkout_is_one_line_naming_the_folder(read_only: Path) -> None:  # noqa: F811
    with pytest.raises(ToolkitError) as raised:
        preflight.writable(read_only / "reports", "the reports folder", "")

    message = _one_line(raised)
    assert f"{read_only / 'reports'} cannot be written: Read-only file system" in message
    assert "run from a writable copy of the repository" in message
