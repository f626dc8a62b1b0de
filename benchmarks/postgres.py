"""How fast the toolkit's PostgreSQL support is, measured three ways, in one run.

1. Embedded server start to first query, cold vs warm initdb cache. Every start runs
   in a fresh ``python -c`` child so that imports are paid honestly. Cold gives each
   repeat a new, empty ``TOOLKIT_CACHE_DIR`` (initdb runs); warm reuses one that a
   warm-up start has filled (the cached data dir is copied). The child reports its
   import time, ``start_server("embedded")`` to the first ``SELECT 1`` row, and
   ``server.stop()``; the parent times the whole child process.
   1b. The same for a container (``start_server("docker")``, image
   ``TOOLKIT_POSTGRES_IMAGE``), beside the warm embedded figures, when a container
   engine answers; the report says so when none does (``benchmarks/_container.py``).
2. Per-package database creation on one embedded server: ``clone_database`` from a
   template built by ``ensure_template`` vs ``CREATE DATABASE`` + ``create_all`` of the
   same 10-table SQLAlchemy metadata.
   2b. How PostgreSQL copies the template (``STRATEGY WAL_LOG``, the default since
   PostgreSQL 15, vs ``FILE_COPY``), one clone at a time and two at once (two xdist
   workers), beside the toolkit's ``clone_database`` in the same rounds.
3. Per-test cost of the ``db_session`` fixture: a generated pytest project is run in
   subprocesses with 50 and 500 tests per variant (no DB, ``db_session`` with a
   trivial body, ``db_session`` with insert + commit + select), all against one server
   through ``DATABASE_URL``. The per-test cost is the slope between 50 and 500 tests,
   which cancels fixed costs (interpreter, imports, template, engine), minus the
   slope of the no-DB variant. The target uses the pytest process's wall time; the
   test loop's wall and CPU time (recorded by a hook in the generated conftest) are
   printed beside it as less noisy second opinions on a busy machine.

Figures are medians with min and max over the repeats; nothing is asserted. Children
write and reuse bytecode in a scratch ``PYTHONPYCACHEPREFIX`` (filled by untimed
warm-ups), as on a developer's machine, even where ``PYTHONDONTWRITEBYTECODE`` is set;
nothing is written outside a temporary folder that the run removes.

Rerun from the repository root::

    .venv/bin/python benchmarks/postgres.py            # 7 repeats
    .venv/bin/python benchmarks/postgres.py --repeat 3 # quicker, noisier
    TOOLKIT_POSTGRES_VERSION=15 .venv/bin/python benchmarks/postgres.py --clones-only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from _child import start_script
from _container import (
    STARTED_CONTAINERS,
    container_leftovers,
    measure_container_starts,
    report_container_starts,
)
from _report import Sample, heading, render_table, stats_cells
from sqlalchemy import (
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from toolkit.postgres import Server, databases, start_server
from toolkit.postgres.schema import MetadataSchema

TARGET_WARM_START_S = 0.5
TARGET_CLONE_RATIO = 0.5
TARGET_FIXTURE_MS = 1.0
SMALL, LARGE = 50, 500

#: (postmaster pid, runtime dir) of every server this run started, for the leak check.
STARTED_SERVERS: list[tuple[int, str]] = []


# --------------------------------------------------------------------------- helpers


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def use_bytecode_cache(scratch: Path) -> None:
    """Let children cache bytecode in ``scratch``, never beside the sources."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")


def clean_environ(**extra: str) -> dict[str, str]:
    """The current environment without settings that would steer a child elsewhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"}
        and not key.startswith("TOOLKIT_POSTGRES")
    }
    env.update(extra)
    return env


# ------------------------------------------------- 1. server start to first query

CHILD_START = start_script("embedded", ("pid", "runtime_dir"))

START_ROWS = (
    ("imports (toolkit.postgres, psycopg)", "imports"),
    ("start_server() -> first row", "first_row"),
    ("server.stop()", "stop"),
    ("whole child process (wall)", "process"),
)


def start_once(cache_dir: Path) -> dict[str, float]:
    """One child: start, query, stop; its own timings plus the process's wall time."""
    env = clean_environ(TOOLKIT_CACHE_DIR=str(cache_dir))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD_START], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"start child failed:\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    STARTED_SERVERS.append((report.pop("pid"), report.pop("runtime_dir")))
    return {**report, "process": wall}


def collect(runs: list[dict[str, float]]) -> dict[str, Sample]:
    return {key: Sample(tuple(run[key] for run in runs)) for _, key in START_ROWS}


def measure_cold_starts(repeat: int, scratch: Path) -> dict[str, Sample]:
    runs = []
    for index in range(repeat):
        cache = scratch / f"cold-{index}"
        runs.append(start_once(cache))
        shutil.rmtree(cache, ignore_errors=True)
    return collect(runs)


def measure_warm_starts(repeat: int, cache: Path) -> dict[str, Sample]:
    start_once(cache)  # fills the initdb cache (and the bytecode cache)
    return collect([start_once(cache) for _ in range(repeat)])


def report_starts(cold: dict[str, Sample], warm: dict[str, Sample]) -> None:
    heading("1. Embedded server: start to first query (seconds, fresh process each)")
    rows = []
    for label, key in START_ROWS:
        ratio = cold[key].median / warm[key].median if warm[key].median else float("nan")
        cells = [*stats_cells(cold[key], 1, 3), *stats_cells(warm[key], 1, 3), f"{ratio:.1f}x"]
        rows.append([label, *cells])
    headers = ["", "cold median", "cold min..max", "warm median", "warm min..max", "cold/warm"]
    print(render_table(headers, rows))
    print(
        f"target: warm start_server() -> first row median <= {TARGET_WARM_START_S} s"
        f"  (measured {warm['first_row'].median:.3f} s)"
    )


# ------------------------------------------------- 2. per-package database creation


class Base(DeclarativeBase):
    metadata = MetaData()


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))


class Membership(Base):
    __tablename__ = "memberships"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    owner_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    key: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    color: Mapped[str] = mapped_column(String(7), default="#cccccc")


class Issue(Base):
    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_issues_project_status", "project_id", "status"),
        Index("ix_issues_open_by_assignee", "assignee_id", postgresql_where="status <> 'closed'"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class IssueLabel(Base):
    __tablename__ = "issue_labels"
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_issue_created", "issue_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("issue_id", "filename"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


def create_with_ddl(server: Server, name: str) -> None:
    """``CREATE DATABASE`` then ``metadata.create_all`` on a throwaway engine."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.dsn(), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    engine = create_engine(server.url(name), poolclass=NullPool)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def measure_creation(server: Server, repeat: int) -> tuple[float, Sample, Sample]:
    """(template build time, clone times, create_all times), interleaved per repeat."""
    schema = MetadataSchema(Base.metadata)
    started = time.perf_counter()
    template = databases.ensure_template(server, schema)
    template_build = time.perf_counter() - started
    clone_name = databases.database_name("bench", "clone")
    ddl_name = databases.database_name("bench", "create_all")

    def clone() -> None:
        databases.clone_database(server, template, clone_name)

    def create_all() -> None:
        create_with_ddl(server, ddl_name)

    clones, ddls = [], []
    for index in range(repeat + 1):  # the first round warms both paths and is discarded
        clone_time, ddl_time = timed(clone), timed(create_all)
        databases.drop_database(server, clone_name)
        databases.drop_database(server, ddl_name)
        if index:
            clones.append(clone_time)
            ddls.append(ddl_time)
    return template_build, Sample(tuple(clones)), Sample(tuple(ddls))


def report_creation(template_build: float, clone: Sample, ddl: Sample) -> float:
    tables = len(Base.metadata.tables)
    indexes = sum(len(table.indexes) for table in Base.metadata.tables.values())
    heading(f"2. Per-package database, one server ({tables} tables, {indexes} indexes; ms)")
    rows = [
        ["clone_database (CREATE DATABASE ... TEMPLATE)", *stats_cells(clone, 1000, 1)],
        ["CREATE DATABASE + metadata.create_all", *stats_cells(ddl, 1000, 1)],
    ]
    print(render_table(["", "median", "min..max"], rows))
    ratio = clone.median / ddl.median
    print(f"ensure_template, first call (builds the template): {template_build * 1000:.1f} ms")
    print(f"clone / create_all: {ratio:.2f}x   target: <= {TARGET_CLONE_RATIO}x")
    return ratio


# ------------------------------------------------- 3. per-test overhead of db_session

CONFTEST = """
import json
import os
import time

import pytest
from bench_models import Base
from toolkit.testing import Service


@pytest.fixture(scope="session")
def toolkit_service():
    return Service(metadata=Base.metadata)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    # The test loop alone (no interpreter start, imports, collection), by wall clock
    # and by this process's CPU time, which other load on the machine barely moves.
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return (yield)
    finally:
        times = {"loop wall": time.perf_counter() - wall, "loop CPU": time.process_time() - cpu}
        if os.environ.get("BENCH_LOOP_FILE"):
            with open(os.environ["BENCH_LOOP_FILE"], "w") as handle:
                json.dump(times, handle)
"""

MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
"""

HEADER = """
from sqlalchemy import func, select
from bench_models import Row
"""

#: Test bodies by variant; every variant does the same pure-python work.
BODIES = {
    "plain": "def test_{n}():\n    assert sum(range(10)) == 45\n",
    "fixture": (
        "def test_{n}(db_session):\n    assert db_session is not None and sum(range(10)) == 45\n"
    ),
    "db work": (
        "def test_{n}(db_session):\n"
        "    db_session.add(Row(name='row {n}'))\n"
        "    db_session.commit()\n"
        "    assert db_session.scalar(select(func.count()).select_from(Row)) >= 1\n"
        "    assert sum(range(10)) == 45\n"
    ),
}

#: The clocks read per pytest run: the whole process (the target's figure), then the
#: test loop alone by wall clock and by CPU time of the pytest process.
CLOCKS = ("process wall", "loop wall", "loop CPU")

#: Seconds per (variant, number of tests), for one clock.
Runs = dict[tuple[str, int], Sample]

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]


def write_project(root: Path) -> dict[tuple[str, int], str]:
    """The pytest project; returns the test file (relative path) per (variant, count)."""
    tests = root / "tests"
    tests.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    (tests / "conftest.py").write_text(textwrap.dedent(CONFTEST).lstrip())
    (tests / "bench_models.py").write_text(textwrap.dedent(MODELS).lstrip())
    files = {}
    for variant, body in BODIES.items():
        for count in (SMALL, LARGE):
            name = f"test_{variant.replace(' ', '_')}_{count}.py"
            source = HEADER.lstrip() + "".join("\n\n" + body.format(n=n) for n in range(count))
            (tests / name).write_text(source)
            files[variant, count] = f"tests/{name}"
    return files


def run_pytest(root: Path, test_file: str, env: dict[str, str], expected: int) -> dict[str, float]:
    """One pytest process; seconds by each of CLOCKS."""
    loop_file = root / "loop-times.json"
    env = {**env, "BENCH_LOOP_FILE": str(loop_file)}
    started = time.perf_counter()
    result = subprocess.run(
        [*PYTEST, test_file], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0 or f"{expected} passed" not in result.stdout:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise RuntimeError(f"pytest {test_file} failed:\n{output}")
    return {"process wall": wall, **json.loads(loop_file.read_text())}


def warm_up_pytest(root: Path, files: dict[tuple[str, int], str], env: dict[str, str]) -> None:
    """Write every file's assertion-rewritten .pyc and build the template, untimed."""
    command = [*PYTEST, "--collect-only", *files.values()]
    subprocess.run(command, cwd=root, env=env, capture_output=True, check=True)
    run_pytest(root, files["fixture", SMALL], env, SMALL)


def measure_pytest(server: Server, repeat: int, scratch: Path) -> dict[str, Runs]:
    """Runs per clock. Every file runs once per round, so drift hits all alike."""
    root = scratch / "bench-project"
    files = write_project(root)
    env = clean_environ(DATABASE_URL=server.dsn())
    warm_up_pytest(root, files, env)
    times = {clock: {key: [] for key in files} for clock in CLOCKS}
    for _ in range(repeat):
        for key, test_file in files.items():
            for clock, seconds in run_pytest(root, test_file, env, key[1]).items():
                times[clock][key].append(seconds)
    return {
        clock: {key: Sample(tuple(values)) for key, values in by_file.items()}
        for clock, by_file in times.items()
    }


def slope_ms(runs: Runs, variant: str, pick: Callable[[Sample], float]) -> float:
    """Extra milliseconds per test: (t(500) - t(50)) / 450, minus the no-DB slope."""

    def per_test(name: str) -> float:
        return (pick(runs[name, LARGE]) - pick(runs[name, SMALL])) / (LARGE - SMALL)

    return (per_test(variant) - per_test("plain")) * 1000


def median_slope_ms(runs: Runs, variant: str) -> float:
    return slope_ms(runs, variant, lambda sample: sample.median)


def per_round_slopes(runs: Runs, variant: str) -> list[float]:
    """The slope from each round's own runs: the spread behind the median figure."""
    count = len(runs["plain", SMALL].values)
    return [slope_ms(runs, variant, lambda sample, i=i: sample.values[i]) for i in range(count)]


def report_pytest(runs: dict[str, Runs]) -> dict[str, float]:
    """Print the run times and the per-test costs; returns fixture overhead (ms) by clock."""
    heading(f"3. pytest: per-test cost of db_session ({SMALL} vs {LARGE} tests per run)")
    walls = runs["process wall"]
    rows = []
    for variant in BODIES:
        cells = [
            *stats_cells(walls[variant, SMALL], 1, 2),
            *stats_cells(walls[variant, LARGE], 1, 2),
        ]
        rows.append([variant, *cells])
    headers = ["process wall, s", f"{SMALL} median", f"{SMALL} min..max"]
    print(render_table([*headers, f"{LARGE} median", f"{LARGE} min..max"], rows))
    print()
    meanings = {
        "plain": "no-DB test (the baseline)",
        "fixture": "db_session fixture, minus baseline",
        "db work": "insert+commit+select, minus baseline",
    }
    rows = []
    for variant, meaning in meanings.items():
        cells = []
        for clock in CLOCKS:
            if variant == "plain":  # the baseline itself: its own slope, no spread shown
                per_test = runs[clock]["plain", LARGE].median - runs[clock]["plain", SMALL].median
                cells += [f"{per_test / (LARGE - SMALL) * 1000:.3f}", ""]
                continue
            per_round = per_round_slopes(runs[clock], variant)
            cells += [
                f"{median_slope_ms(runs[clock], variant):.3f}",
                f"{min(per_round):.3f}..{max(per_round):.3f}",
            ]
        rows.append([meaning, *cells])
    headers = [f"ms per test ({SMALL} -> {LARGE} slope)"]
    for clock in CLOCKS:
        headers += [clock, "per round"]
    print(render_table(headers, rows))
    print(
        "slopes between the 50- and 500-test runs; 'per round' = min..max of the slopes from\n"
        "each round's own runs. loop CPU counts the pytest process only, not the server.\n"
        f"target: db_session fixture overhead <= {TARGET_FIXTURE_MS} ms per test (process wall)"
    )
    return {clock: median_slope_ms(runs[clock], "fixture") for clock in CLOCKS}


# --------------------------------------------------------------------------- main


def still_serving(pid: int, runtime: str) -> bool:
    """Whether ``pid`` is still the postmaster serving from ``runtime`` (pids get reused)."""
    try:
        return runtime.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def report_leaks() -> None:
    """Every server this run started must be gone, process and files."""
    left = [
        f"postmaster {pid} running" if still_serving(pid, runtime) else f"{runtime} exists"
        for pid, runtime in STARTED_SERVERS
        if still_serving(pid, runtime) or os.path.exists(runtime)
    ]
    left += [f"container {container_id[:12]} exists" for container_id in container_leftovers()]
    if left:
        print(f"leak check: LEFT BEHIND: {'; '.join(left)}")
    else:
        count = len(STARTED_SERVERS) + len(STARTED_CONTAINERS)
        print(f"leak check: all {count} servers started by this run are stopped and erased")


def report_summary(warm_start: float, clone_ratio: float, overhead_ms: dict[str, float]) -> None:
    heading("Summary")
    fixture = overhead_ms["process wall"]
    others = f"loop wall {overhead_ms['loop wall']:.3f}, loop CPU {overhead_ms['loop CPU']:.3f}"
    rows = [
        (
            f"warm start_server() -> first row median <= {TARGET_WARM_START_S} s",
            f"{warm_start:.3f} s",
            warm_start <= TARGET_WARM_START_S,
        ),
        (
            f"clone_database median <= {TARGET_CLONE_RATIO} x create_all median",
            f"{clone_ratio:.2f} x",
            clone_ratio <= TARGET_CLONE_RATIO,
        ),
        (
            f"db_session overhead <= {TARGET_FIXTURE_MS} ms per test",
            f"{fixture:.3f} ms ({others})",
            fixture <= TARGET_FIXTURE_MS,
        ),
    ]
    target_width = max(len(target) for target, _, _ in rows)
    measured_width = max(len(measured) for _, measured, _ in rows)
    for target, measured, met in rows:
        print(
            f"target: {target.ljust(target_width)}  measured: {measured.ljust(measured_width)}"
            f"  ({'met' if met else 'missed'})"
        )


# ------------------------------------------- 2b. how PostgreSQL copies the template

STRATEGIES = ("WAL_LOG", "FILE_COPY")


def _create_with(server: Server, template: str, name: str, strategy: str) -> None:
    import psycopg
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
        sql.Identifier(name), sql.Identifier(template), sql.SQL(strategy)
    )
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def _at_once(server: Server, template: str, names: Sequence[str], strategy: str) -> None:
    """Two clones started together, as two xdist workers make theirs."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(names)) as pool:
        for future in [pool.submit(_create_with, server, template, n, strategy) for n in names]:
            future.result()


def measure_strategies(server: Server, repeat: int) -> tuple[dict[str, Sample], int, Sample]:
    """Each strategy one clone at a time and two at once, interleaved; and what the
    toolkit's own ``clone_database`` takes now, in the same rounds."""
    template = databases.ensure_template(server, MetadataSchema(Base.metadata))
    names = [databases.database_name("bench", "strategy", str(i)) for i in range(2)]
    found: dict[str, list[float]] = {}
    toolkit: list[float] = []
    for index in range(repeat + 1):  # the first round warms every path and is discarded
        for strategy in STRATEGIES if index % 2 else reversed(STRATEGIES):
            one = timed(lambda s=strategy: _create_with(server, template, names[0], s))
            databases.drop_database(server, names[0])
            two = timed(lambda s=strategy: _at_once(server, template, names, s))
            for name in names:
                databases.drop_database(server, name)
            if index:
                found.setdefault(f"{strategy}, one clone", []).append(one)
                found.setdefault(f"{strategy}, two clones at once", []).append(two)
        clone = timed(lambda: databases.clone_database(server, template, names[0]))
        databases.drop_database(server, names[0])
        if index:
            toolkit.append(clone)
    import psycopg

    with psycopg.connect(server.dsn("postgres")) as connection:
        row = connection.execute("SELECT pg_database_size(%s)", (template,)).fetchone()
    size = int(row[0]) if row else 0
    samples = {name: Sample(tuple(values)) for name, values in found.items()}
    return samples, size, Sample(tuple(toolkit))


def report_strategies(samples: dict[str, Sample], size: int, toolkit: Sample, version: str) -> None:
    heading(f"2b. CREATE DATABASE ... TEMPLATE ... STRATEGY on PostgreSQL {version} (ms)")
    base = samples["WAL_LOG, one clone"].median
    rows = [
        [name, *stats_cells(sample, 1000, 1), f"{sample.median / base:.2f}x"]
        for name, sample in samples.items()
    ]
    rows.append(["clone_database (the toolkit's)", *stats_cells(toolkit, 1000, 1), ""])
    rows[-1][-1] = f"{toolkit.median / base:.2f}x"
    print(render_table(["", "median", "min..max", "vs WAL_LOG, one"], rows))
    print(
        f"template size: {size / 1e6:.1f} MB (pg_database_size: almost all of it the "
        "system catalogs every database carries; the schema is a few hundred kB)"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="repeats per measurement (default 7)")
    parser.add_argument(
        "--clones-only",
        action="store_true",
        help="only part 2 and 2b (database creation, clone strategies)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def clones_only(repeat: int, started: float) -> int:
    """Parts 2 and 2b on one embedded server (``TOOLKIT_POSTGRES_VERSION`` picks it)."""
    with start_server("embedded") as server:
        STARTED_SERVERS.append((server.details["pid"], server.details["runtime_dir"]))
        version = server.details["version"]
        print(f"\n(one embedded server: PostgreSQL {version})")
        report_creation(*measure_creation(server, repeat))
        report_strategies(*measure_strategies(server, repeat), version)
    report_leaks()
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.repeat} repeats")
    started = time.perf_counter()
    if args.clones_only:
        return clones_only(args.repeat, started)
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        use_bytecode_cache(scratch)
        warm_cache = scratch / "warm"
        warm = measure_warm_starts(args.repeat, warm_cache)  # its warm-up compiles too
        cold = measure_cold_starts(args.repeat, scratch)
        report_starts(cold, warm)
        image = os.environ.get("TOOLKIT_POSTGRES_IMAGE", "")
        container_env = clean_environ(**({"TOOLKIT_POSTGRES_IMAGE": image} if image else {}))
        containers = measure_container_starts(args.repeat, container_env)
        report_container_starts(containers, warm, image or "the default")
        os.environ["TOOLKIT_CACHE_DIR"] = str(warm_cache)  # the parent's server starts warm too
        with start_server("embedded") as server:
            STARTED_SERVERS.append((server.details["pid"], server.details["runtime_dir"]))
            version = server.details["version"]
            print(f"\n(parts 2 and 3 use one embedded server: PostgreSQL {version})")
            template_build, clone, ddl = measure_creation(server, args.repeat)
            clone_ratio = report_creation(template_build, clone, ddl)
            report_strategies(*measure_strategies(server, args.repeat), version)
            overhead = report_pytest(measure_pytest(server, args.repeat, scratch))
    report_summary(warm["first_row"].median, clone_ratio, overhead)
    report_leaks()
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
