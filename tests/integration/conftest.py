"""Integration layer: real PostgreSQL servers, real processes, real signals."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TOOLKIT = [sys.executable, "-m", "toolkit"]


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            return not any(line.startswith("State:\tZ") for line in handle)
    except FileNotFoundError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def leftovers(runtime_dir: Path) -> list[str]:
    return sorted(path.name for path in runtime_dir.iterdir())


@pytest.fixture
def toolkit_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``toolkit ...`` the way a user does, in a child process."""

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **kwargs.pop("env", {})}
        return subprocess.run(
            [*TOOLKIT, *args],
            capture_output=True,
            check=False,
            text=True,
            timeout=120,
            env=env,
            **kwargs,
        )

    return run


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder of our own outside pytest's private ones, reachable by the server's user
    (short enough for socket paths); removed after the test, even when it fails."""
    path = Path(tempfile.mkdtemp(prefix="toolkit-test-open-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
