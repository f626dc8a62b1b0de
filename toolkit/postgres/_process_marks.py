"""Which process made a database, in a form that outlives it: for sweeping up after
processes killed outright.

A per-process database on a shared server (two plain pytest runs) is dropped by its
process at the end; a process killed with SIGKILL cannot. Its database carries a mark
naming the machine's boot, the pid namespace, the pid and the process's start time,
so another process on the same machine (and in the same pid namespace) can tell for
certain that its maker is gone: a pid alone may have been reused.
"""

from __future__ import annotations

import os

__all__ = ["PREFIX", "alive", "local_prefix", "mark"]

PREFIX = "toolkit database of process "


def _boot_and_namespace() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            boot = handle.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot} {namespace.removeprefix('pid:').strip('[]')}"


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command: state is field 3, starttime field 22 (man 5 proc).
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def local_prefix() -> str | None:
    """What the marks of processes on this machine, in this pid namespace, start with."""
    where = _boot_and_namespace()
    return f"{PREFIX}{where} " if where else None


def mark() -> str | None:
    """This process's mark; None where /proc cannot tell (then nothing is swept)."""
    prefix = local_prefix()
    started = _start_time(os.getpid())
    if prefix is None or started is None:
        return None
    return f"{prefix}{os.getpid()} {started}"


def alive(found: str) -> bool:
    """Whether the process a local mark names still runs (True when unsure)."""
    prefix = local_prefix()
    if prefix is None or not found.startswith(prefix):
        return True
    try:
        pid_text, started = found[len(prefix) :].split()
        pid = int(pid_text)
    except ValueError:
        return True
    return _start_time(pid) == started
