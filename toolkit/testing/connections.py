"""Which host a failed unit test tried to reach, read from the error it failed with.

The unit layer has no network (pytest-socket) and no ``DATABASE_URL``, so a test that
needs a database there fails with whatever the app's code makes of that: pytest-socket's
``SocketBlockedError``, a name that does not resolve (an app's default URL such as
``postgresql://app@users-db:5432/app`` names a host of its compose file), a refused
connection, or the database driver's own error around any of these (libpq connects
from C, where pytest-socket does not reach). The error chain says which it was; the
test is then told, in one line, to move to the integration layer.

Nothing here runs unless a test failed: failing tests are read, passing ones cost
nothing.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

__all__ = ["Attempt", "find_attempt"]

_BLOCKED = "SocketBlockedError"
_BLOCKED_HOW = "blocked: the unit layer has no network"
# pytest-socket's guards: the refused call's own arguments name the host.
_GUARDS = {"_guarded_getaddrinfo", "_guarded_gethostbyname"}

# What libpq says (under psycopg2 and psycopg), psycopg's own resolver and asyncpg,
# with the host they name; "nothing answered" covers refused, missing and timed out.
_UNRESOLVED = (
    re.compile(r'could not translate host name "(?P<host>[^"]+)" to address'),
    re.compile(r"failed to resolve host '(?P<host>[^']+)'"),
)
_REFUSED = (
    re.compile(r'connection to server at "(?P<host>[^"]+)"[^,]*, port (?P<port>\d+) failed'),
    re.compile(r'connection to server on socket "(?P<host>[^"]+)" failed'),
    re.compile(r'Is the server running on host "(?P<host>[^"]+)".*?port (?P<port>\d+)', re.S),
    re.compile(r"Connect call failed \('(?P<host>[^']+)', (?P<port>\d+)\)"),
)


@dataclass(frozen=True)
class Attempt:
    """A connection a test tried: where to (when the error says), and how it failed."""

    how: str
    host: str | None = None
    port: str | None = None

    @property
    def blocked(self) -> bool:
        """pytest-socket refused it: only a test run without network sees this."""
        return self.how == _BLOCKED_HOW

    @property
    def target(self) -> str:
        if self.host is None:
            return "the network"
        return f"{self.host}:{self.port}" if self.port else self.host

    def hint(self, test: str, integration: str = "tests/integration") -> str:
        """One line: the test, what it tried, why it failed, where it belongs."""
        return (
            f"toolkit: {test} tried to connect to {self.target} ({self.how}); unit tests run "
            f"without network or database: move it to {integration} (or mock the connection)"
        )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(getattr(current, "exceptions", ()))  # ExceptionGroup, anyio's
        stack.extend(e for e in (current.__context__, current.__cause__) if e is not None)


def _frames(tb: TracebackType | None) -> list[TracebackType]:
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames[::-1]  # innermost first


def _address_in(tb: TracebackType | None) -> tuple[str | None, str | None]:
    """The host and port the failing call was given, from the traceback's frames:
    pytest-socket's guard holds the arguments of ``getaddrinfo``; ``socket``'s and
    asyncio's connection functions hold ``host`` and ``port``."""
    for frame in _frames(tb):
        names = frame.tb_frame.f_locals
        if frame.tb_frame.f_code.co_name in _GUARDS:
            args: tuple[object, ...] = tuple(names.get("_args") or ())
            host = args[0] if args and isinstance(args[0], str) else None
            port = args[1] if len(args) > 1 and args[1] is not None else None
            return host, None if port is None else str(port)
        host = names.get("host")
        if isinstance(host, str) and host:
            port = names.get("port")
            return host, None if port is None else str(port)
        address = names.get("address")
        if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[0], str):
            return address[0], str(address[1])
    return None, None


def _from_message(error: BaseException) -> Attempt | None:
    message = str(error)
    for how, patterns in (
        ("the name does not resolve", _UNRESOLVED),
        ("nothing answered", _REFUSED),
    ):
        for pattern in patterns:
            if match := pattern.search(message):
                return Attempt(how, match["host"], match.groupdict().get("port"))
    return None


def find_attempt(error: BaseException) -> Attempt | None:
    """The connection attempt ``error`` comes from, or None if it comes from none."""
    found: Attempt | None = None
    for current in _chain(error):
        attempt: Attempt | None = None
        if type(current).__name__ == _BLOCKED:
            attempt = Attempt(_BLOCKED_HOW, *_address_in(current.__traceback__))
        elif isinstance(current, socket.gaierror):
            attempt = Attempt("the name does not resolve", *_address_in(current.__traceback__))
        elif isinstance(current, ConnectionRefusedError):
            attempt = Attempt("nothing answered", *_address_in(current.__traceback__))
        else:
            attempt = _from_message(current)
        if attempt is not None and attempt.host is not None:
            return attempt
        found = found or attempt
    return found
