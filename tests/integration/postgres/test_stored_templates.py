"""Templates kept across runs: each run here is its own process with its own server."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from toolkit.postgres import _paths, databases
from toolkit.postgres.server import Server

Run = Callable[..., dict[str, object]]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own, holding a copy of the warm initdb data."""
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    initdb = _paths.cache_dir() / "initdb"
    if initdb.is_dir():
        subprocess.run(["cp", "-a", str(initdb), str(folder / "initdb")], check=True)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(folder))
    return folder


def _start(version: str, counter: Path, sleep: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.postgres._template_run", version, str(counter)]
        + ([str(sleep)] if sleep else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
        start_new_session=True,  # a group of its own: Ctrl-C reaches it all, as in a terminal
    )


def _finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result["stderr"] = err
    return result


@pytest.fixture
def run(cache: Path, tmp_path: Path, runtime_dir: Path) -> Run:
    def one(version: str, sleep: float = 0.0) -> dict[str, object]:
        return _finish(_start(version, tmp_path / "builds", sleep))

    return one


def _builds(tmp_path: Path) -> list[str]:
    path = tmp_path / "builds"
    return path.read_text().split() if path.exists() else []


def _stored(cache: Path) -> list[Path]:
    folder = cache / "templates"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _honest(entry: Path) -> bool:
    """An entry whose name states its content's hash, as every kept entry must."""
    return entry.name.endswith(f"-{hashlib.sha256(entry.read_bytes()).hexdigest()}.dump")


def test_the_next_server_gets_the_template_back_and_a_change_builds_once(
    run: Run, cache: Path, tmp_path: Path
) -> None:
    first = run("v1")
    again = run("v1")

    assert _builds(tmp_path) == ["v1"]  # the second run's setup never ran
    for key in ("template", "rows", "first", "next_id", "comment"):
        assert again[key] == first[key]
    assert (again["rows"], again["next_id"], again["comment"]) == (50, 51, "version v1")

    changed = run("v2")
    after_change = run("v2")
    assert _builds(tmp_path) == ["v1", "v2"]  # built once, then reused
    assert changed["first"] == after_change["first"] == "v21"
    assert changed["template"] != first["template"]

    run("v3")
    entries = _stored(cache)
    assert len(entries) == 2  # v3 and the one before it; v1 was pruned
    assert all(_honest(entry) for entry in entries)


def test_two_runs_started_together_build_once(
    cache: Path, tmp_path: Path, runtime_dir: Path
) -> None:
    runs = [_start("together", tmp_path / "builds", sleep=1.0) for _ in range(2)]
    results = [_finish(process) for process in runs]

    assert _builds(tmp_path) == ["together"]
    assert [result["rows"] for result in results] == [50, 50]
    assert any("waiting for another run" in str(result["stderr"]) for result in results)


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.5])
def test_ctrl_c_at_any_instant_keeps_no_broken_entry(
    delay: float, run: Run, cache: Path, tmp_path: Path
) -> None:
    """Whenever Ctrl-C lands (server start, build, dump), what stays is either nothing
    or a complete entry, and the next run is right."""
    process = _start("interrupted", tmp_path / "builds", sleep=0.3)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)  # the server, pg_dump and pg_restore too
    process.communicate(timeout=60)

    entries = _stored(cache)
    assert all(_honest(entry) for entry in entries), entries
    assert not [entry for entry in entries if entry.name.endswith(".tmp")]
    after = run("interrupted")
    assert (after["rows"], after["next_id"]) == (50, 51)
    assert len(_stored(cache)) == 1


@pytest.fixture
def full_template_cache(cache: Path) -> Path:
    """The template cache on a 4 kB tmpfs: too small for a dump (about 40 kB)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder = cache / "templates"
    folder.mkdir(mode=0o700)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_keeps_nothing_and_the_run_still_works(
    full_template_cache: Path, run: Run, tmp_path: Path
) -> None:
    result = run("full")

    assert (result["rows"], result["next_id"]) == (50, 51)
    (line,) = [x for x in str(result["stderr"]).splitlines() if "not kept" in x]
    assert "No space left on device" in line
    assert list(full_template_cache.iterdir()) == []
    run("full")
    assert _builds(tmp_path) == ["full", "full"]  # no entry: built again, correctly


class _RoleMaking:
    stored = True
    family = None

    def __init__(self, role: str) -> None:
        self.role = role

    def fingerprint(self) -> str:
        return f"role:{self.role}"

    def apply(self, url: str) -> None:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {self.role}")
            connection.execute(f"CREATE TABLE t (id int); GRANT SELECT ON t TO {self.role}")


def test_a_setup_that_makes_a_role_is_not_stored(
    postgres_server: Server, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"app_reader_{os.getpid()}"
    try:
        databases.ensure_template(postgres_server, _RoleMaking(role))
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as connection:
            name = databases.database_name(
                "toolkit_tpl", hashlib.sha256(f"role:{role}\0".encode()).hexdigest()[:16]
            )
            connection.execute(f"ALTER DATABASE {name} IS_TEMPLATE false")
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"DROP ROLE IF EXISTS {role}")

    assert _stored(cache) == []
    assert "setup made roles" in capsys.readouterr().err
