"""The engine's API version comes from the same ping that tells it answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.postgres.engine_probe import api_version, engine_answers


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """A unix socket answering /_ping with whatever reply the test appends."""
    path = tmp_path / "engine.sock"
    replies: list[bytes] = []
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
    yield f"unix://{path}", replies
    listener.close()


def test_api_version_is_read_from_the_ping_reply(fake_engine: tuple[str, list[bytes]]) -> None:
    address, replies = fake_engine
    replies.append(
        b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\n"
        b"Content-Length: 2\r\n\r\nOK"
    )

    assert api_version(address) == "1.41"


def test_no_api_version_when_the_reply_names_none(fake_engine: tuple[str, list[bytes]]) -> None:
    address, replies = fake_engine
    replies.append(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    assert engine_answers(address)
    assert api_version(address) is None


def test_no_api_version_when_the_ping_fails(fake_engine: tuple[str, list[bytes]]) -> None:
    address, replies = fake_engine
    replies.append(b"HTTP/1.1 500 Internal Server Error\r\nApi-Version: 1.41\r\n\r\n")

    assert api_version(address) is None
    assert api_version(f"unix://{Path(address[7:]).parent / 'absent.sock'}") is None
