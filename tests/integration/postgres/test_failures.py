"""Failures of the throwaway server: one line, the right exit code, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration.conftest import TOOLKIT, alive, leftovers, wait_until
from toolkit.postgres import start_server


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("toolkit: error: ")
    return lines[0]


def _postmasters_under(folder: Path) -> list[int]:
    """Live processes whose command line names a data folder under ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.startswith(str(folder).encode()) for arg in argv) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_uncreatable_runtime_folder_is_one_line(toolkit_cli) -> None:
    """Before: a traceback from mkdir."""
    result = toolkit_cli("postgres", "--", "true", env={"TOOLKIT_RUNTIME_DIR": "/dev/null/x"})

    line = _one_error_line(result)
    assert "TOOLKIT_RUNTIME_DIR=/dev/null/x cannot be created" in line


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(["--port", "0"], {}, id="flag"),
        pytest.param([], {"TOOLKIT_POSTGRES_PORT": "0"}, id="env"),
    ],
)
def test_port_zero_is_refused_alike_from_flag_and_env(
    args: list[str], env: dict[str, str], toolkit_cli, runtime_dir: Path
) -> None:
    """Before: ``--port 0`` silently took a free port while the variable was refused."""
    result = toolkit_cli("postgres", *args, "--", "true", env=env)

    line = _one_error_line(result)
    assert "is not a port number" in line
    assert leftovers(runtime_dir) == []


@pytest.fixture
def tiny_runtime_dir(runtime_dir: Path) -> Path:
    """The runtime folder on a 4 MB tmpfs: too small for a data folder (about 40 MB)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    with start_server("embedded"):  # the initdb cache is warm: a start copies it
        pass
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(runtime_dir)],
        capture_output=True,
        check=False,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield runtime_dir
    subprocess.run(["umount", str(runtime_dir)], check=False)


def test_full_disk_while_the_data_folder_is_copied_is_one_line_naming_it(
    tiny_runtime_dir: Path,
) -> None:
    """Before: cp flooded the screen, then "supervisor exited with code 1" without a cause."""
    result = subprocess.run(
        [*TOOLKIT, "postgres", "--", "true"],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, "TOOLKIT_RUNTIME_DIR": str(tiny_runtime_dir)},
    )

    line = _one_error_line(result)
    assert "No space left on device" in line or "no space left" in line
    assert "TOOLKIT_RUNTIME_DIR" in line
    assert leftovers(tiny_runtime_dir) == []
    assert _postmasters_under(tiny_runtime_dir) == []


@pytest.mark.parametrize("delay", [0.2, 0.3, 0.45, 0.7, 2.0])
def test_ctrl_c_at_any_instant_of_a_start_leaves_nothing(delay: float, runtime_dir: Path) -> None:
    """Before: Ctrl-C 0.2-0.45 s into a start printed a BrokenPipeError traceback.

    Ctrl-C in a terminal signals the whole foreground process group: the toolkit while
    it starts the server, and the command once it runs (the server is stopped after
    it). Whichever instant it lands on, nothing may be left and nothing printed.
    """
    owner = subprocess.Popen(
        [*TOOLKIT, "postgres", "--", "sleep", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )
    time.sleep(delay)
    os.killpg(owner.pid, signal.SIGINT)
    try:
        _, stderr = owner.communicate(timeout=20)
    finally:
        owner.kill()

    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    assert wait_until(lambda: leftovers(runtime_dir) == [], timeout=5)
    assert _postmasters_under(runtime_dir) == []


def _segment_ids() -> set[str]:
    with open("/proc/sysvipc/shm") as handle:
        return {line.split()[1] for line in handle.readlines()[1:]}


def test_postmaster_killed_outright_leaves_no_shared_memory(runtime_dir: Path) -> None:
    """Before: a SIGKILLed postmaster left its System V segment and /dev/shm/PostgreSQL.*."""
    server = start_server("embedded")
    with psycopg.connect(server.dsn()) as connection:
        dsm = connection.execute("show dynamic_shared_memory_type").fetchone()[0]
    data_dir = Path(server.details["data_dir"])
    shmid = (data_dir / "postmaster.pid").read_text().splitlines()[6].split()[1]
    assert shmid in _segment_ids()

    os.kill(server.details["pid"], signal.SIGKILL)
    assert wait_until(lambda: not alive(server.details["pid"]), timeout=5)
    server.stop()

    assert dsm == "mmap"  # dynamic segments live in the data folder, removed with it
    assert wait_until(lambda: shmid not in _segment_ids(), timeout=5)
    assert leftovers(runtime_dir) == []
    assert sys.platform.startswith("linux")
