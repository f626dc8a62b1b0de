"""A child process that holds a resource for its owner and releases it when the owner
goes, however it goes: normal exit, exception, SIGINT, SIGTERM, SIGKILL.

The owner starts the guardian (``python -I -m <module> CONFIG``) with a pipe on its
stdin and keeps the write end until it releases the resource itself. When the owner
ends, the kernel closes the pipe and the guardian reads end-of-file: the one signal
that no way of dying can skip. The guardian answers with exactly one JSON line on
stdout (the resource's coordinates, or ``{"error": "..."}``), then waits for EOF.

The embedded server's supervisor and the container watchdog are both guardians; this
module is what they share, on each side of the pipe. Standard library only: a guardian
must start in milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys

# ``typing`` costs a guardian milliseconds at every start; mypy reads the names anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "CLEANUP_DEADLINE",
    "RELEASE_TIMEOUT",
    "Guardian",
    "OwnerGone",
    "alive",
    "exists",
    "exit_on_signals",
    "report",
    "until_owner_leaves",
]


#: How long a guardian's release (stop, erase) may take in all; it enforces this itself.
CLEANUP_DEADLINE = 15.0
#: How long an owner waits for its guardian to exit before it goes on without it.
RELEASE_TIMEOUT = CLEANUP_DEADLINE + 5.0


# -- the owner's side ----------------------------------------------------------------


class Guardian:
    """A running guardian, seen from its owner."""

    def __init__(self, module: str, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", module, json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal must not reach it
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def handshake(self) -> dict[str, Any]:
        """Its one JSON line, or ``{"error": ...}`` if it died first. Interrupted (Ctrl-C
        during a start), it is let go at once: it releases whatever it had and exits."""
        assert self.process.stdout is not None
        try:
            line = self.process.stdout.readline()
        except BaseException:
            self.release()
            raise
        try:
            message: dict[str, Any] = json.loads(line)
        except ValueError:
            message = {"error": f"exited with code {self.process.wait()}"}
        return message

    def send(self, data: bytes) -> None:
        """A word to the guardian (it reads its stdin until EOF)."""
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def release(self, timeout: float = RELEASE_TIMEOUT) -> None:
        """Close the pipe (the guardian releases the resource) and reap it.

        Never waits longer than ``timeout``: a guardian bounds its own cleanup
        (:data:`CLEANUP_DEADLINE`), and one stuck past that all the same is left to
        finish (or to the next start's sweep) while the owner goes on.
        """
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- the guardian's side -------------------------------------------------------------


class OwnerGone(Exception):
    """The owner closed its end before the report: it no longer wants the resource."""


def report(message: dict[str, Any]) -> None:
    """The one JSON line to the owner; :class:`OwnerGone` if nobody reads any more."""
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError) as error:  # ValueError: stdout already closed
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        raise OwnerGone from error


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def exit_on_signals() -> None:
    """SIGTERM, SIGHUP and SIGINT end the guardian through its ``finally`` blocks."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)


def until_owner_leaves(heard: Callable[[bytes], None] | None = None) -> None:
    """Block until the owner closes the pipe; ``heard`` gets whatever it wrote."""
    while chunk := sys.stdin.buffer.read(65536):
        if heard is not None:
            heard(chunk)


def alive(pid: int) -> bool:
    """Exists and is not a zombie (a killed guardian its owner has not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        return exists(pid)


def exists(pid: int) -> bool:
    """A process has this pid (ours or another user's: signal 0 checks, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
