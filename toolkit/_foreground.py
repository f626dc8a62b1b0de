"""Run a command in the foreground while we hold resources (a server) for it."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["run_foreground"]


def run_foreground(cmd: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> int:
    """Run ``cmd``; pass on termination signals; its exit code (128+N for signal N).

    Ctrl-C reaches the command directly (same process group), so it is ignored here:
    the command decides how to end, and what we hold is released after it does.
    """
    try:
        child = subprocess.Popen(list(cmd), env=dict(env), cwd=cwd)
    except OSError as error:
        raise ToolkitError(
            f"cannot run {cmd[0]!r}: {error.strerror}", "check the command"
        ) from None

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code
