"""Does a Docker-API container engine answer? Standard library only, half a second.

``auto`` provider selection asks this on every run, so it must be fast and must not
import the Docker SDK. An engine "answers" when ``GET /_ping`` returns 200 on
``DOCKER_HOST`` (unix or tcp) or on the default socket; Podman's compatible API
service answers the same way. The same reply names the engine's API version
(``Api-Version``), which spares the Docker SDK its ``GET /version`` negotiation: a
quarter of a second on Podman, which gathers runtime versions to answer it.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

__all__ = ["api_version", "docker_host", "engine_answers"]

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
_TIMEOUT = 0.5


def docker_host() -> str:
    """The engine address testcontainers will use too."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def _connect(address: str) -> socket.socket:
    parts = urlsplit(address)
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(_TIMEOUT)
        sock.connect(parts.path)
        return sock
    if parts.scheme in ("tcp", "http"):
        return socket.create_connection((parts.hostname, parts.port or 2375), timeout=_TIMEOUT)
    raise OSError(f"unsupported DOCKER_HOST scheme {parts.scheme!r}")


def _ping(address: str | None) -> bytes | None:
    """The head of a successful ``/_ping`` reply, or None when the engine does not answer."""
    try:
        with _connect(address or docker_host()) as sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(4096)
    except (OSError, ValueError):
        return None
    ok = reply.startswith(b"HTTP/") and b" 200 " in reply.split(b"\r\n", 1)[0] + b" "
    return reply.split(b"\r\n\r\n", 1)[0] if ok else None


def engine_answers(address: str | None = None) -> bool:
    """True when the engine at ``address`` (default: :func:`docker_host`) pings back."""
    return _ping(address) is not None


def api_version(address: str | None = None) -> str | None:
    """The API version the engine announces in its ping reply, None if it does not."""
    head = _ping(address)
    for line in (head or b"").split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"api-version" and value.strip():
            return value.strip().decode("ascii", "replace")
    return None
