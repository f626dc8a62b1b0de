"""Settings and folders checked once, before any session: each mistake one line."""

from __future__ import annotations

import os
import re
import subprocess
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
        pytest.param(
            "TOOLKIT_POSTGRES_URL", "db:5432", "TOOLKIT_POSTGRES_URL is malformed", id="url"
        ),
        pytest.param(
            "TOOLKIT_POSTGRES", "podman", "TOOLKIT_POSTGRES='podman' is not a provider", id="pg"
        ),
        pytest.param(
            "TOOLKIT_POSTGRES_VERSION", "v16", "TOOLKIT_POSTGRES_VERSION='v16' is not", id="major"
        ),
        pytest.param(
            "TOOLKIT_POSTGRES_PORT", "0", "TOOLKIT_POSTGRES_PORT='0' is not a port", id="port"
        ),
        pytest.param(
            "TOOLKIT_STORE_DURATIONS",
            "0",
            "TOOLKIT_STORE_DURATIONS='0' would record durations all the same",
            id="durations",
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
        ("TOOLKIT_POSTGRES", "Embedded"),
        ("TOOLKIT_POSTGRES_VERSION", "17"),
        ("TOOLKIT_STORE_DURATIONS", "1"),
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


def test_disk_filling_up_during_a_session_names_the_folder(full_disk: Path) -> None:  # noqa: F811
    """A write error without a file name (ENOSPC from write(), not open()) is traced
    to the run's folder that cannot be written now."""
    root = full_disk.parent
    (root / "reports").symlink_to(full_disk)
    error = OSError(28, "No space left on device")

    failure = preflight.write_failure(error, root)

    assert failure is not None
    assert str(failure).startswith(f"the reports folder {root / 'reports'} cannot be written")


def test_write_error_naming_its_file_is_one_line(tmp_path: Path) -> None:
    error = OSError(30, "Read-only file system", str(tmp_path / "reports" / "summary.md"))

    failure = preflight.write_failure(error, tmp_path)

    assert failure is not None
    assert str(failure).startswith(f"{tmp_path / 'reports' / 'summary.md'} cannot be written")
    assert "writable copy" in str(failure)


def test_other_errors_are_left_alone(tmp_path: Path) -> None:
    assert preflight.write_failure(FileNotFoundError(2, "No such file"), tmp_path) is None


class _Aborted(Exception):
    pass


class _Session:
    """What the sessions' one-line guard uses of nox's session: ``error``."""

    def error(self, message: str) -> None:
        raise _Aborted(message)


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (ToolkitError("cause", "fix"), "cause; fix"),
        (OSError(28, "No space left on device", "/x/reports/a/outcome-unit.json"), "/x/reports"),
    ],
)
def test_sessions_end_a_mistake_or_a_full_disk_in_one_line(
    tmp_path: Path, raised: Exception, line: str
) -> None:
    from toolkit.host.registration import _one_line

    guard = _one_line(_Session(), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(_Aborted, match=re.escape(line)), guard:
        raise raised


def test_sessions_let_other_errors_through(tmp_path: Path) -> None:
    from toolkit.host.registration import _one_line

    guard = _one_line(_Session(), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a bug"), guard:
        raise ValueError("a bug")


def test_folder_of_another_user_is_named_with_who_may_write(tmp_path: Path) -> None:
    error = PermissionError(13, "Permission denied", str(tmp_path / ".nox" / "x"))

    failure = preflight.write_failure(error, tmp_path)

    assert failure is not None
    assert f"{tmp_path / '.nox' / 'x'} cannot be used: Permission denied" in str(failure)
    assert f"give this user (uid {os.geteuid()}) access" in str(failure)


def test_providers_checked_up_front_are_the_providers() -> None:
    from toolkit.postgres.selection import choices

    assert choices() == preflight.PROVIDERS


def test_changed_since_a_ref_git_does_not_know_is_refused_before_any_session(
    monkeypatch: pytest.MonkeyPatch, config: RepoConfig
) -> None:
    subprocess.run(["git", "init", "-q", str(config.root)], check=True)
    monkeypatch.setenv("TOOLKIT_CHANGED_SINCE", "no-such-ref")

    with pytest.raises(ToolkitError) as raised:
        preflight.check_selection(Run(config), ["nox", "-s", "unit"])

    assert _one_line(raised).startswith("'no-such-ref' is not a commit")
    preflight.check_selection(Run(config), ["nox", "-l"])  # listing: git is not asked
    with pytest.raises(ToolkitError, match="'other' is not a commit"):
        preflight.check_selection(Run(config), ["nox", "--", "--changed-since=other"])
