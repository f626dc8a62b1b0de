"""Where the Podman engine set up by the toolkit keeps its files, and the settings it needs.

Everything lives in two private folders instead of Podman's system-wide defaults, so
the engine neither disturbs nor is disturbed by another Podman on the machine, and
``purge`` can remove it completely: persistent state (configuration, image storage)
under ``TOOLKIT_PODMAN_DIR`` (default ``/var/lib/monorepo-toolkit/podman``), and
runtime state (API socket, locks, container state, which must not survive a reboot)
under ``TOOLKIT_PODMAN_RUN_DIR`` (default ``/run/monorepo-toolkit/podman``).

The configuration files carry the fixes found on machines like our CI's (see
``notes/testcontainers-with-podman.md``): a sandbox without CAP_SYS_RESOURCE cannot
raise RLIMIT_NOFILE, crun rejects hybrid cgroups, and every exec would otherwise keep
two ``conmon`` processes alive for five minutes.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_IMAGE", "Layout", "containers_conf", "exports", "storage_conf"]

#: The image the setup builds; a local name, so nothing ever tries to pull it.
DEFAULT_IMAGE = "localhost/monorepo-toolkit/postgres:15"


@dataclass(frozen=True)
class Layout:
    """The engine's folders and files; every path derives from two roots."""

    state: Path
    run: Path

    @classmethod
    def from_env(cls) -> Layout:
        return cls(
            state=Path(os.environ.get("TOOLKIT_PODMAN_DIR") or "/var/lib/monorepo-toolkit/podman"),
            run=Path(os.environ.get("TOOLKIT_PODMAN_RUN_DIR") or "/run/monorepo-toolkit/podman"),
        )

    @property
    def containers_conf(self) -> Path:
        return self.state / "containers.conf"

    @property
    def storage_conf(self) -> Path:
        return self.state / "storage.conf"

    @property
    def graphroot(self) -> Path:
        return self.state / "storage"

    @property
    def runroot(self) -> Path:
        return self.run / "storage"

    @property
    def tmp_dir(self) -> Path:
        return self.run / "libpod"

    @property
    def socket(self) -> Path:
        return self.run / "podman.sock"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def service_pid(self) -> Path:
        return self.run / "service.pid"

    @property
    def service_log(self) -> Path:
        return self.state / "service.log"

    def podman_env(self) -> dict[str, str]:
        """The environment every ``podman`` command of this engine must run with."""
        return {
            **os.environ,
            "CONTAINERS_CONF": str(self.containers_conf),
            "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
        }


def _systemd_runs() -> bool:
    """sd_booted(): systemd is PID 1. Without it, cgroups and logs need other backends."""
    return Path("/run/systemd/system").is_dir()


def containers_conf(layout: Layout, *, systemd: bool | None = None) -> str:
    """containers.conf: the fixes every container of this engine needs."""
    systemd = _systemd_runs() if systemd is None else systemd
    lines = [
        "# Written by `python -m tools.podman setup`; rewritten on every run.",
        "[containers]",
        "# A sandbox without CAP_SYS_RESOURCE cannot raise RLIMIT_NOFILE above its own",
        "# limit (crun/runc: setrlimit 'RLIMIT_NOFILE': Operation not permitted).",
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
        "",
        "[engine]",
        '# crun refuses hybrid cgroup v1/v2 hosts ("cgroups in hybrid mode not supported").',
        'runtime = "runc"',
        "# Each exec (testcontainers' readiness probes) would keep 2 conmon processes for 300 s.",
        "exit_command_delay = 10",
        f'tmp_dir = "{layout.tmp_dir}"',
    ]
    if not systemd:
        lines += [
            "# No systemd on this machine: plain cgroupfs and a log file for events.",
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
        ]
    return "\n".join(lines) + "\n"


def storage_conf(layout: Layout) -> str:
    """storage.conf: images and containers in the engine's own folders."""
    driver = os.environ.get("TOOLKIT_PODMAN_STORAGE_DRIVER") or "overlay"
    return "\n".join(
        [
            "# Written by `python -m tools.podman setup`; rewritten on every run.",
            "[storage]",
            f'driver = "{driver}"',
            f'graphroot = "{layout.graphroot}"',
            f'runroot = "{layout.runroot}"',
            "",
        ]
    )


def exports(layout: Layout, image: str) -> str:
    """The shell lines that point Docker clients, testcontainers and the toolkit here.

    The engine is always on this machine (a unix socket), so the published ports are
    on localhost: saying so explicitly keeps testcontainers from guessing otherwise
    when a stray ``/.dockerenv`` makes it believe it runs inside a container. Ryuk's
    image cannot be pulled without a registry; the toolkit's own watchdog removes its
    containers instead.
    """
    values = {
        "DOCKER_HOST": layout.docker_host,
        "CONTAINERS_CONF": str(layout.containers_conf),
        "CONTAINERS_STORAGE_CONF": str(layout.storage_conf),
        "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
        "TESTCONTAINERS_HOST_OVERRIDE": "localhost",
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        "TOOLKIT_POSTGRES_IMAGE": image,
    }
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())
