"""The Debian/Ubuntu packages the engine needs, installed once.

``dpkg-query`` answers in milliseconds, so a machine that already has everything
never runs ``apt-get`` (not even ``update``): that is most of why a second setup run
costs about a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence

from toolkit.errors import ToolkitError

__all__ = ["REQUIRED", "ensure_packages", "missing_packages"]

#: podman and its OCI runtime; netavark + iptables publish ports; debootstrap and the
#: Debian keyring build the image without a registry (the keyring matters on Ubuntu).
REQUIRED = ("podman", "runc", "netavark", "iptables", "debootstrap", "debian-archive-keyring")

Log = Callable[[str], None]


def _installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "installed"


def missing_packages(packages: Sequence[str] = REQUIRED) -> list[str]:
    """The packages of ``packages`` that are not installed, in order."""
    return [package for package in packages if not _installed(package)]


def _apt(*args: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        ["apt-get", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ToolkitError(
            f"apt-get {' '.join(args)} failed: {lines[-1] if lines else result.returncode}",
            "check the machine's apt sources and network, then run the setup again",
        )


def ensure_packages(log: Log) -> list[str]:
    """Install what is missing; returns what was installed (empty when nothing was)."""
    if shutil.which("dpkg-query") is None or shutil.which("apt-get") is None:
        raise ToolkitError(
            "this setup needs a Debian or Ubuntu machine (dpkg-query and apt-get not found)",
            "install Podman with your distribution's tools and start `podman system service`",
        )
    missing = missing_packages()
    if not missing:
        log(f"packages: {', '.join(REQUIRED)} already installed")
        return []
    log(f"packages: installing {', '.join(missing)}")
    started = time.perf_counter()
    _apt("update", "-q")
    _apt("install", "-y", "-q", "--no-install-recommends", *missing)
    log(f"packages: installed ({time.perf_counter() - started:.1f} s)")
    return missing
