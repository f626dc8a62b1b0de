"""Another local account (``nobody``) against a server the toolkit started as root.

On a shared machine every other user is hostile. These tests run the attacks of the
review as ``nobody`` and need root to do so; elsewhere they skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.integration.conftest import TOOLKIT, alive, leftovers, wait_until
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
        check=False,
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


def test_trust_lines_the_server_user_writes_in_its_data_folder_open_nothing(
    runtime_dir: Path,
) -> None:
    """The server's user owns data/pg_hba.conf; written during a cold initdb, its
    edits once went into root's initdb cache and every later server let anyone in."""
    with start_server("embedded") as server:
        data = Path(server.details["socket_dir"]).parent / "data"
        account = data.stat().st_uid
        hba = data / "pg_hba.conf"  # written as root here: the user could as well
        hba.write_text("host all all 127.0.0.1/32 trust\n" + hba.read_text())  # first match
        os.chown(hba, account, -1)
        with psycopg.connect(server.dsn(), autocommit=True) as connection:
            connection.execute("select pg_reload_conf()")
            hba_file = connection.execute("show hba_file").fetchone()
        probe = as_nobody("-c", PROBE, str(server.port), server.details["socket_dir"])

    assert hba_file is not None and not str(hba_file[0]).startswith(str(data))
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"tcp": "sasl", "socket": "PermissionError"}


def _server_account() -> pwd.struct_passwd:
    """The account the toolkit runs PostgreSQL as when started by root."""
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return pwd.getpwnam("nobody")


#: Plants symlinks to ``target`` under every name root used to write in a server's
#: runtime folder, for as long as the ``stop`` file is absent.
PLANTER = r"""
import os, sys, time

base, target, stop = sys.argv[1:4]
planted = 0
while not os.path.exists(stop):
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for name in names:
        for inner in ("postgres.log", "socket", "initdb.pw"):
            try:
                os.symlink(target, os.path.join(base, name, inner))
                planted += 1
            except OSError:
                pass
    time.sleep(0.0005)
print(planted)
"""


def test_symlinks_planted_by_the_server_user_change_no_owner(
    tmp_path: Path, open_folder: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: root opened and chowned ``<runtime>/postgres.log`` and copied the data dir
    into a folder the server's user owned; a symlink planted there got the target
    chowned to that user (won on the first try)."""
    target = tmp_path / "root-secret"
    target.write_text("root only\n")
    target.chmod(0o600)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cold-cache"))  # cold, then warm
    stop = open_folder / "stop"
    account = _server_account()
    planter = subprocess.Popen(
        ["/usr/bin/python3", "-I", "-c", PLANTER, str(runtime_dir), str(target), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        cwd="/",
    )
    try:
        for _ in range(3):
            with start_server("embedded") as server:
                psycopg.connect(server.dsn()).close()
    finally:
        stop.touch()
        try:
            planted = planter.communicate(timeout=10)[0]
        finally:
            planter.kill()

    info = target.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (0, 0, 0o600)
    assert target.read_text() == "root only\n"
    assert planted.strip() == "0"


VICTIM = "import signal, time; signal.signal(signal.SIGQUIT, signal.SIG_DFL); time.sleep(120)"


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _plant(entry: Path, owner_pid: int, postmaster_pid: int) -> None:
    (entry / "data").mkdir(parents=True)
    (entry / "supervisor.pid").write_text(str(owner_pid))
    (entry / "data" / "postmaster.pid").write_text(f"{postmaster_pid}\n{entry / 'data'}\n")


def test_planted_pid_files_get_no_process_signalled(runtime_dir: Path) -> None:
    """Before: the sweep read ``supervisor.pid`` and ``data/postmaster.pid`` of any
    ``toolkit-pg-*`` entry in world-writable ``/dev/shm`` and sent SIGQUIT, as root,
    to the pid inside."""
    victim = subprocess.Popen([sys.executable, "-c", VICTIM])
    nobody = pwd.getpwnam("nobody")
    in_shm = Path(f"/dev/shm/toolkit-pg-planted-{uuid.uuid4().hex[:8]}")  # runs may overlap
    theirs = runtime_dir / "toolkit-pg-theirs"
    ours = runtime_dir / "toolkit-pg-stale"
    try:
        planted = as_nobody(
            "-c",
            "import os, sys; os.makedirs(sys.argv[1] + '/data'); "
            "open(sys.argv[1] + '/supervisor.pid', 'w').write(sys.argv[2]); "
            "open(sys.argv[1] + '/data/postmaster.pid', 'w').write(sys.argv[3])",
            str(in_shm),
            str(_dead_pid()),
            str(victim.pid),
        )
        assert planted.returncode == 0, planted.stderr
        _plant(theirs, _dead_pid(), victim.pid)
        for path in [theirs, *theirs.rglob("*")]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        _plant(ours, _dead_pid(), victim.pid)  # ours, stale, but the pid is no postmaster

        with start_server("embedded"):  # every start sweeps first
            pass
        with start_server("embedded"), pytest.MonkeyPatch.context() as patch:
            patch.delenv("TOOLKIT_RUNTIME_DIR")  # the default base too
            with start_server("embedded"):
                pass

        time.sleep(0.2)
        assert victim.poll() is None, "the victim was signalled"
        assert theirs.is_dir()  # not ours: never touched
        assert not ours.exists()  # ours and stale: removed, without a signal
    finally:
        victim.kill()
        victim.wait()
        shutil.rmtree(in_shm, ignore_errors=True)
        shutil.rmtree(theirs, ignore_errors=True)


def test_cache_fallback_folder_made_by_another_user_is_refused(
    open_folder: Path, runtime_dir: Path
) -> None:
    """Before: with no writable home, the cache fell back to ``/tmp/monorepo-toolkit-<uid>``
    without checking its owner, and binaries planted there ran."""
    shared_tmp = open_folder / "tmp"
    shared_tmp.mkdir()
    shared_tmp.chmod(0o1777)
    planted = as_nobody(
        "-c",
        "import os, sys; os.mkdir(sys.argv[1], 0o777); os.chmod(sys.argv[1], 0o777)",
        str(shared_tmp / f"monorepo-toolkit-{os.geteuid()}"),
    )
    assert planted.returncode == 0, planted.stderr
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TOOLKIT_CACHE_DIR", "XDG_CACHE_HOME")
    }
    env.update(TMPDIR=str(shared_tmp), XDG_CACHE_HOME="/dev/null/cache")

    result = subprocess.run(
        [*TOOLKIT, "postgres", "--", "true"],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("toolkit: error: the cache folder ")
    assert "belongs to uid 65534" in lines[0]
    assert leftovers(runtime_dir) == []


#: An owner of an embedded server, in its own process: it reports the server, waits
#: for a line on stdin, stops the server and reports how long that took.
OWNER = r"""
import json, sys, time
from toolkit.postgres import start_server

server = start_server("embedded")
print(json.dumps(dict(server.details)), flush=True)
sys.stdin.readline()
started = time.monotonic()
server.stop()
print(json.dumps({"stopped_in": time.monotonic() - started}), flush=True)
"""

#: Run as the server's user: kill the postmaster, put something else in its pid file.
REPLACE_PID_FILE = r"""
import os, signal, sys

pid, data_dir, how = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.kill(pid, signal.SIGKILL)
path = os.path.join(data_dir, "postmaster.pid")
os.unlink(path)
if how == "fifo":
    os.mkfifo(path, 0o600)
else:
    os.symlink("/dev/zero", path)
"""


def _limit_memory() -> None:
    """A reader that never stops fails in this process tree, not on the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


def _segments() -> dict[str, str]:
    """System V shared memory segments: id -> owner uid."""
    with open("/proc/sysvipc/shm") as handle:
        rows = [line.split() for line in handle.readlines()[1:]]
    return {row[1]: row[7] for row in rows if len(row) > 7}


@pytest.mark.parametrize("planted", ["fifo", "dev-zero"])
def test_pid_file_replaced_by_the_server_user_keeps_no_owner_waiting(
    planted: str, runtime_dir: Path
) -> None:
    """Before: the server's user killed its postmaster and put a FIFO (or a symlink to
    ``/dev/zero``) in place of ``postmaster.pid``; root's supervisor opened it with a
    plain ``open()`` during cleanup and blocked forever (or read without end), and the
    owner waited on it for ever."""
    from toolkit.postgres._guardian import RELEASE_TIMEOUT

    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_memory,
    )
    assert owner.stdin is not None and owner.stdout is not None
    details = json.loads(owner.stdout.readline())
    data_dir = Path(details["data_dir"])
    shmid = (data_dir / "postmaster.pid").read_text().splitlines()[6].split()[1]
    account = _server_account()
    try:
        replaced = subprocess.run(
            ["/usr/bin/python3", "-I", "-c", REPLACE_PID_FILE]
            + [str(details["pid"]), str(data_dir), planted],
            capture_output=True,
            check=False,
            text=True,
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=[],
            cwd="/",
            timeout=30,
        )
        assert replaced.returncode == 0, replaced.stderr
        owner.stdin.write("\n")
        owner.stdin.flush()
        try:
            output = owner.communicate(timeout=RELEASE_TIMEOUT + 30)[0]
        except subprocess.TimeoutExpired:
            pytest.fail(f"the owner was still waiting {RELEASE_TIMEOUT + 30:.0f} s later")

        assert owner.returncode == 0
        assert json.loads(output)["stopped_in"] < RELEASE_TIMEOUT
        assert wait_until(lambda: not alive(details["supervisor_pid"]), 5)
        assert leftovers(runtime_dir) == []
        assert _segments().get(shmid) != str(account.pw_uid), "its shared memory was left"
    finally:
        owner.kill()
        owner.wait()
        with contextlib.suppress(ProcessLookupError):
            os.kill(details["supervisor_pid"], signal.SIGKILL)
        if _segments().get(shmid) == str(account.pw_uid):
            subprocess.run(["ipcrm", "-m", shmid], check=False)
