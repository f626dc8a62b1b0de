"""Podman's Docker-compatible API service: configured, started once, reused after.

``podman system service --time=0`` serves the Docker API on a unix socket until it is
stopped, so testcontainers and the Docker SDK talk to Podman exactly as they would to
Docker. It runs detached (its own session, output in a log file), so the setup command
can exit and its caller's ``$(...)`` does not wait on it. A second setup finds the
socket answering and leaves the service alone, unless the configuration changed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.postgres.engine_probe import engine_answers
from tools.podman.layout import Layout, containers_conf, storage_conf

__all__ = ["cwd_gone", "ensure_service", "service_pid", "stop_service", "write_configuration"]

_START_TIMEOUT = 30.0

Log = Callable[[str], None]


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.write_text(text)
    return True


def write_configuration(layout: Layout) -> bool:
    """Write containers.conf and storage.conf; True when either changed."""
    for folder in (layout.state, layout.run, layout.graphroot, layout.runroot, layout.tmp_dir):
        folder.mkdir(parents=True, exist_ok=True)
    changed = _write_if_changed(layout.containers_conf, containers_conf(layout))
    return _write_if_changed(layout.storage_conf, storage_conf(layout)) or changed


def service_pid(layout: Layout) -> int | None:
    """The running service's pid, checked against its command line (pids get reused)."""
    try:
        pid = int(layout.service_pid.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if b"service" in cmdline and layout.docker_host.encode() in cmdline:
        return pid
    return None


def stop_service(layout: Layout, log: Log) -> bool:
    """Stop the service (its containers keep running); True if one was running."""
    pid = service_pid(layout)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and service_pid(layout) == pid:
        time.sleep(0.05)
    if service_pid(layout) == pid:
        os.kill(pid, signal.SIGKILL)
    layout.service_pid.unlink(missing_ok=True)
    layout.socket.unlink(missing_ok=True)
    log(f"service: stopped (pid {pid})")
    return True


def _log_tail(layout: Layout) -> str:
    try:
        lines = [line for line in layout.service_log.read_text().splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1] if lines else "no log"


def _start(layout: Layout) -> int:
    layout.socket.unlink(missing_ok=True)  # a stale socket file makes the bind fail
    with open(layout.service_log, "ab") as log_file:
        process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", layout.docker_host],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=layout.podman_env(),
            cwd="/",  # conmon inherits it: a removed checkout would fail every start
        )
    layout.service_pid.write_text(str(process.pid))
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if engine_answers(layout.docker_host):
            return process.pid
        if process.poll() is not None:
            raise ToolkitError(
                f"podman system service exited with code {process.returncode}: "
                f"{_log_tail(layout)} (log: {layout.service_log})",
                "fix the cause above and run the setup again",
            )
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    raise ToolkitError(
        f"podman system service did not answer on {layout.docker_host} within "
        f"{_START_TIMEOUT:.0f} s: {_log_tail(layout)} (log: {layout.service_log})",
        "fix the cause above and run the setup again",
    )


def cwd_gone(pid: int) -> bool:
    """Whether the process works in a folder since removed: podman's conmon then fails
    every container start ("write child: broken pipe", "Failed to get working directory")."""
    try:
        return os.readlink(f"/proc/{pid}/cwd").endswith(" (deleted)")
    except OSError:
        return False


def ensure_service(layout: Layout, log: Log, *, restart: bool = False) -> str:
    """Make the API answer on the layout's socket; says whether it was reused or started."""
    if engine_answers(layout.docker_host):
        pid = service_pid(layout)
        if pid is not None and cwd_gone(pid):
            log(f"service: pid {pid} works in a removed folder and cannot start containers")
            restart = True
        if not restart:
            log(f"service: reusing the one answering on {layout.docker_host}")
            return "reused"
        stop_service(layout, log)
    pid = _start(layout)
    log(f"service: started on {layout.docker_host} (pid {pid}, log {layout.service_log})")
    return "started"
