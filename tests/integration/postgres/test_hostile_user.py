"""Another local account (``nobody``) against a server the toolkit started as root.

On a shared machine every other user is hostile. These tests run the attacks of the
review as ``nobody`` and need root to do so; elsewhere they skip.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

import psycopg
import pytest

from toolkit.postgres import start_server

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="playing another user needs root")

#: Stdlib only, run by the system interpreter as ``nobody``.
PROBE = r"""
import json, os, socket, struct, sys

port, socket_dir = int(sys.argv[1]), sys.argv[2]


def startup(sock):
    params = b"user\0postgres\0database\0postgres\0\0"
    body = struct.pack("!I", 196608) + params
    sock.sendall(struct.pack("!I", len(body) + 4) + body)
    kind = sock.recv(1)
    length = struct.unpack("!I", sock.recv(4))[0]
    payload = sock.recv(length - 4)
    if kind == b"R":
        return {0: "ok", 10: "sasl", 5: "md5", 3: "password"}.get(
            struct.unpack("!I", payload[:4])[0], "other"
        )
    return "error"


result = {}
with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
    result["tcp"] = startup(sock)
try:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(os.path.join(socket_dir, f".s.PGSQL.{port}"))
        result["socket"] = startup(sock)
except OSError as error:
    result["socket"] = type(error).__name__
print(json.dumps(result))
"""


def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    nobody = pwd.getpwnam("nobody")
    return subprocess.run(
        ["/usr/bin/python3", "-I", *argv],
        capture_output=True,
        text=True,
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        extra_groups=[],
        cwd="/",
        timeout=30,
    )


def test_other_user_gets_no_way_in_without_the_password(runtime_dir: Path) -> None:
    """Before: ``trust`` on 127.0.0.1 and a 0777 socket; ``nobody`` was superuser."""
    with start_server("embedded") as server:
        probe = as_nobody("-c", PROBE, str(server.port), server.details["socket_dir"])
        guessed = server.dsn().replace(server.password, "postgres")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(guessed)
        with psycopg.connect(server.dsn()) as connection:
            assert connection.execute("select 1").fetchone() == (1,)

    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"tcp": "sasl", "socket": "PermissionError"}
