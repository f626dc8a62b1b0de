"""The one exception type a user is meant to see.

Every failure a user can cause (a bad setting, missing binaries, a busy port, a server
that does not answer) is raised as :class:`ToolkitError`, whose message is one line
naming the cause and the fix. Front ends (the ``toolkit`` command, the pytest plugin,
nox sessions) print that line and exit non-zero instead of showing a traceback.
"""

from __future__ import annotations

__all__ = ["ToolkitError"]


class ToolkitError(Exception):
    """A failure the user can fix; ``str(error)`` is the whole message, on one line."""

    def __init__(self, cause: str, fix: str | None = None) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(f"{cause}; {fix}" if fix else cause)
