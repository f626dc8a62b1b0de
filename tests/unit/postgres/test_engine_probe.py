"""The engine's API version comes from the same ping that tells it answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.postgres._fake_engine import serve_ping
from toolkit.postgres.engine_probe import api_version, engine_answers


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """An engine answering /_ping with whatever reply the test appends."""
    replies: list[bytes] = []
    listener = serve_ping(tmp_path / "engine.sock", replies)
    yield f"unix://{tmp_path / 'engine.sock'}", replies
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
