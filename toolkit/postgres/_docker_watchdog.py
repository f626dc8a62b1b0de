"""Remove a server's container when its owner goes away, however it goes: kill -9 too.

testcontainers' answer to crashed test runs is Ryuk, a reaper container whose image
must be pulled; where no registry answers (our CI) or Ryuk is disabled, a container
whose owner dies before ``stop()`` would run forever. So the docker provider starts
this watchdog beside every container, the way the embedded provider starts its
supervisor: the owner holds the write end of a pipe on this process's stdin and never
closes it until it stops the server. When the owner ends, for whatever reason, the
kernel closes the pipe, this process reads EOF and removes every container carrying
the server's label (``org.monorepo-toolkit.postgres=<token>``), found by label rather
than by id so that a container whose id the owner never learnt is caught too.

The watchdog can be killed as well (``kill -9`` of a whole process group). Every
container is therefore labelled with its owner's identity (host name, pid, and the
pid's start time, which tells a live owner from a recycled pid), and each watchdog
first sweeps the containers of this host whose owner is dead.

A guardian (:mod:`toolkit.postgres._guardian`: ``python -I -m
toolkit.postgres._docker_watchdog CONFIG``) with the Docker SDK (a dependency
of testcontainers) and the standard library; the provider imports it for the labels.
It reports one JSON line on stdout: ``{"swept": [ids]}`` once it guards, or
``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from typing import Any

from toolkit.postgres._guardian import (
    OwnerGone,
    exists,
    exit_on_signals,
    report,
    until_owner_leaves,
)

__all__ = ["LABEL", "is_leftover", "owner_alive", "owner_labels", "process_start"]

#: Every container the toolkit starts carries this label; its value names one server.
LABEL = "org.monorepo-toolkit.postgres"
OWNER_HOST = f"{LABEL}.owner-host"
OWNER_PID = f"{LABEL}.owner-pid"
OWNER_START = f"{LABEL}.owner-start"

#: After an owner died without stopping, a create request may still be in flight.
_SECOND_PASS_DELAY = 2.0
_ATTEMPTS = 3


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """``<boot id>:<start time in clock ticks>`` of ``pid``; "" where /proc is absent.

    A pid alone does not identify a process: after the owner dies its pid may be
    given to another one. Its start time since boot (and the boot) does.
    """
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    if fields[0] == "Z":  # a killed owner that its parent has not reaped yet
        return ""
    return f"{_boot_id()}:{fields[19]}"


def owner_labels(token: str, pid: int | None = None) -> dict[str, str]:
    """The labels of a container owned by ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return {
        LABEL: token,
        OWNER_HOST: socket.gethostname(),
        OWNER_PID: str(pid),
        OWNER_START: process_start(pid),
    }


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that started a container (on this host) is still running."""
    try:
        pid = int(labels.get(OWNER_PID, ""))
    except ValueError:
        return False
    recorded = labels.get(OWNER_START, "")
    if recorded and os.path.isdir("/proc"):
        return process_start(pid) == recorded
    return exists(pid)


def is_leftover(labels: dict[str, str], hostname: str | None = None) -> bool:
    """A container of ours from this host whose owner is gone (another host's: not ours)."""
    if LABEL not in labels or OWNER_PID not in labels:
        return False
    if labels.get(OWNER_HOST) != (hostname or socket.gethostname()):
        return False
    return not owner_alive(labels)


def _remove(client: Any, container_ids: list[str]) -> list[str]:
    """Remove containers by id; one already gone (removed by its owner) is no failure."""
    import docker.errors

    removed = []
    for container_id in container_ids:
        try:
            client.api.remove_container(container_id, force=True, v=True)
        except docker.errors.APIError as error:
            # Docker answers 404; Podman 500 "no such container" (or 409 while removing).
            if error.status_code != 404 and "no such container" not in str(error).lower():
                continue
        removed.append(container_id)
    return removed


def _listed(client: Any, label: str) -> list[dict[str, Any]]:
    """Containers by label, from the list call alone: inspecting each one would race
    with their removal (by their owners, by other watchdogs)."""
    listed: list[dict[str, Any]] = client.api.containers(all=True, filters={"label": label})
    return listed


def remove_server(client: Any, token: str) -> list[str]:
    """Remove the containers of one server (by its label); returns their ids."""
    return _remove(client, [entry["Id"] for entry in _listed(client, f"{LABEL}={token}")])


def sweep(client: Any) -> list[str]:
    """Remove the containers of this host whose owner died; returns their ids."""
    hostname = socket.gethostname()
    leftovers = [
        entry["Id"]
        for entry in _listed(client, LABEL)
        if is_leftover(entry.get("Labels") or {}, hostname)
    ]
    return _remove(client, leftovers)


def _client(docker_host: str | None, api_version: str | None) -> Any:
    """The same engine as the owner's testcontainers client; the version spares a request."""
    import docker

    if docker_host:
        os.environ["DOCKER_HOST"] = docker_host
    return docker.from_env(
        version=api_version or None,
        use_ssh_client=bool(docker_host and docker_host.startswith("ssh://")),
    )


def _remove_with_retries(client: Any, token: str) -> None:
    for attempt in range(_ATTEMPTS):
        try:
            remove_server(client, token)
            return
        except Exception:
            time.sleep(0.5 * (attempt + 1))


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    exit_on_signals()
    try:
        client = _client(config.get("docker_host"), config.get("api_version"))
        swept = sweep(client)
    except Exception as error:
        with contextlib.suppress(OwnerGone):
            report({"error": f"{type(error).__name__}: {error}".splitlines()[0]})
        return 1
    said: list[bytes] = []
    try:
        # Owner gone before the report: its container (if any) is removed below.
        with contextlib.suppress(OwnerGone):
            report({"swept": swept})
        # Block until the owner closes the pipe; it writes "stop" first when it stops
        # the server itself (it then removed the container already).
        until_owner_leaves(said.append)
    finally:
        clean = b"stop" in b"".join(said)
        _remove_with_retries(client, config["token"])
        if not clean:
            time.sleep(_SECOND_PASS_DELAY)
            _remove_with_retries(client, config["token"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
