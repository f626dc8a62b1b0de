"""The ``toolkit`` command's entry point: Ctrl-C at any instant ends it with 130, quietly.

A console script imports its module before it calls anything, and :mod:`toolkit.cli`
pulls in argparse, subprocess and more: Ctrl-C during those first tens of milliseconds
used to end in a ``KeyboardInterrupt`` traceback. This module is imported first and
does one thing before any other import: it has Ctrl-C exit with 130 at once (nothing
is held yet). :func:`main` then hands Ctrl-C back to Python as ``KeyboardInterrupt``,
which :func:`toolkit.cli.main` turns into 130 once whatever it holds (a server) is
released, and arms the quiet exit again for the last instants after it returns.
"""

from __future__ import annotations

# Built into the interpreter and already loaded: arming Ctrl-C costs no import
# (``signal`` itself would import enum and more first). It has no type stubs.
import _signal  # type: ignore[import-not-found]

__all__ = ["main"]

INTERRUPTED = 130


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(INTERRUPTED)


def _arm() -> None:
    """Ctrl-C exits with 130, unless it is ignored (a job started with ``&``)."""
    if _signal.getsignal(_signal.SIGINT) is not _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _leave)


_arm()


def main() -> int:
    """Run the ``toolkit`` command; its exit code."""
    try:
        from toolkit.cli import main as run

        if _signal.getsignal(_signal.SIGINT) is _leave:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        return run()
    except KeyboardInterrupt:
        return INTERRUPTED
    finally:
        _arm()
