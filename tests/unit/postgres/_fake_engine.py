"""A stand-in for a container engine's API: a unix socket answering ``/_ping``.

The engine is an external HTTP API, which the testing guide says to mock.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path


def serve_ping(path: Path, replies: list[bytes]) -> socket.socket:
    """Answer every connection with the latest of ``replies``; close the socket to stop."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(1024)
                connection.sendall(replies[-1])

    threading.Thread(target=serve, daemon=True).start()
    return listener
