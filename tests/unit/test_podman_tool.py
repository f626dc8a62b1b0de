"""The Podman engine setup's configuration, exports and refusals (nothing is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import podman
from tools.podman import image as _image
from tools.podman import packages as _packages
from tools.podman.layout import (
    DEFAULT_IMAGE,
    Layout,
    containers_conf,
    exports,
    storage_conf,
)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(state=tmp_path / "state dir", run=tmp_path / "run")


def test_layout_roots_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_PODMAN_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TOOLKIT_PODMAN_RUN_DIR", str(tmp_path / "run"))

    layout = Layout.from_env()

    assert layout.socket == tmp_path / "run" / "podman.sock"
    assert layout.docker_host == f"unix://{tmp_path}/run/podman.sock"
    assert layout.podman_env()["CONTAINERS_CONF"] == str(tmp_path / "state" / "containers.conf")


def test_containers_conf_carries_the_sandbox_fixes(layout: Layout) -> None:
    text = containers_conf(layout, systemd=True)

    assert 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' in text
    assert 'runtime = "runc"' in text
    assert "exit_command_delay = 10" in text
    assert f'tmp_dir = "{layout.tmp_dir}"' in text
    assert "cgroup_manager" not in text


def test_containers_conf_without_systemd_uses_cgroupfs_and_a_log_file(layout: Layout) -> None:
    text = containers_conf(layout, systemd=False)

    assert 'cgroup_manager = "cgroupfs"' in text
    assert 'events_logger = "file"' in text


def test_storage_conf_keeps_images_in_the_engines_own_folders(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert f'graphroot = "{layout.graphroot}"' in storage_conf(layout)
    assert f'runroot = "{layout.runroot}"' in storage_conf(layout)
    assert 'driver = "overlay"' in storage_conf(layout)

    monkeypatch.setenv("TOOLKIT_PODMAN_STORAGE_DRIVER", "vfs")

    assert 'driver = "vfs"' in storage_conf(layout)


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_exports_set_every_variable_when_evaluated_by_a_shell(layout: Layout) -> None:
    names = ["DOCKER_HOST", "CONTAINERS_CONF", "TESTCONTAINERS_HOST_OVERRIDE"]
    script = exports(layout, DEFAULT_IMAGE) + "".join(f'echo "${name}"\n' for name in names)
    script += 'echo "$TOOLKIT_POSTGRES_IMAGE $TESTCONTAINERS_RYUK_DISABLED"\n'

    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.splitlines() == [
        layout.docker_host,
        str(layout.containers_conf),  # holds a space: quoted in the export
        "localhost",
        f"{DEFAULT_IMAGE} true",
    ]


def test_image_gets_the_official_images_entrypoint_command_and_data_folder() -> None:
    changes = _image.import_changes()

    assert 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' in changes
    assert 'CMD ["postgres"]' in changes
    assert "ENV PGDATA=/var/lib/postgresql/data" in changes
    assert "EXPOSE 5432" in changes
    path = next(change for change in changes if change.startswith("ENV PATH="))
    assert path.startswith("ENV PATH=/usr/lib/postgresql/15/bin:")  # psql for testcontainers


def test_entrypoint_ships_with_the_package() -> None:
    from importlib import resources

    script = resources.files("tools.podman").joinpath("entrypoint.sh").read_text()

    assert script.startswith("#!/bin/sh\n")
    for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_INITDB_ARGS"):
        assert name in script


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg")
def test_missing_packages_names_only_what_is_not_installed() -> None:
    assert _packages.missing_packages(["dpkg", "toolkit-surely-not-a-package"]) == [
        "toolkit-surely-not-a-package"
    ]


def test_setup_as_non_root_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TOOLKIT_PODMAN_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(podman.os, "geteuid", lambda: 1000)

    code = podman.main(["setup"])

    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("podman-engine: error: setup needs root")
    assert not (tmp_path / "state").exists()


def test_env_prints_the_exports_without_touching_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TOOLKIT_PODMAN_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TOOLKIT_PODMAN_RUN_DIR", str(tmp_path / "run"))

    assert podman.main(["env", "--image", "localhost/x:1"]) == 0

    out = capsys.readouterr().out
    assert f"export DOCKER_HOST=unix://{tmp_path}/run/podman.sock\n" in out
    assert "export TOOLKIT_POSTGRES_IMAGE=localhost/x:1\n" in out
    assert not (tmp_path / "state").exists()


def test_a_service_working_in_a_removed_folder_is_told_apart(tmp_path: Path) -> None:
    from tools.podman.service import cwd_gone

    folder = tmp_path / "checkout"
    folder.mkdir()
    process = subprocess.Popen(["sleep", "30"], cwd=folder)
    try:
        assert not cwd_gone(process.pid)
        folder.rmdir()
        assert cwd_gone(process.pid)
    finally:
        process.kill()
        process.wait()
    assert not cwd_gone(os.getpid())
