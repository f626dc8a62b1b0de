"""Migrations once per schema change, not once per run: templates kept across runs.

Two packages side by side in one generated repository, identical but for one thing:
``migrated``'s ``[tool.toolkit] setup`` runs 100 generated Alembic migrations (a table
each, with an index, a foreign key to the one before, some adding columns to older
tables) and a seed script (2,000 rows); ``plain`` has no ``setup``. Their tests are
the same three queries. Each run is ``nox -R -s "integration(<package>)"`` (package
environments built beforehand, the result cache off), timed from nox's
``Running session`` line to the first test starting (``_timing_plugin``); beside it,
the template step as the session logs it (``template ... ready (N s)``: the
``toolkit template`` process, fingerprint, restore or build):

1. first run: no stored template (a cache folder of the benchmark's own, holding a
   copy of the warm initdb data): the setup runs, the template is stored;
2. warm, schema unchanged (5 runs each, alternating): target: ``migrated`` within
   0.5 s of ``plain``;
3. one migration added: the setup runs once, the next run restores again.

Whether the setup ran is read from the seed script's line in nox's output. Rerun
from the repository root::

    .venv/bin/python benchmarks/templates.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _report import heading, render_table

REPOSITORY = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MIGRATIONS = 100
SEED_ROWS = 2000
TARGET = 0.5
WARM_RUNS = 5
_READY = re.compile(r": template \S+ ready \(([0-9.]+) s\)")

PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["sqlalchemy>=2.0", "psycopg[binary]>=3.1", "alembic>=1.13"]

[dependency-groups]
test = ["pytest>=8"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["app"]

[tool.coverage.report]
fail_under = 0

[tool.toolkit]
unit = false
integration = "tests"
database_url_scheme = "postgresql+psycopg"
{setup}
"""

SEED = f"""\
import os

from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"])
with engine.begin() as connection:
    connection.execute(
        text(
            "INSERT INTO table_001 (name) "
            "SELECT 'row ' || g FROM generate_series(1, {SEED_ROWS}) g"
        )
    )
engine.dispose()
print("seed: rows inserted", flush=True)
"""

ENV_PY = """\
import os

from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""

TESTS = """\
import os

from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"])


def test_the_database_answers():
    with engine.connect() as connection:
        assert connection.scalar(text("select 1")) == 1


def test_it_is_this_process_database():
    with engine.connect() as connection:
        assert connection.scalar(text("select current_database()"))


def test_a_second_query():
    with engine.connect() as connection:
        assert connection.scalar(text("select 2")) == 2
"""


def _migration(number: int) -> str:
    revision = f"{number:04d}"
    down = f'"{number - 1:04d}"' if number > 1 else "None"
    table = f"table_{number:03d}"
    body = [
        f"    op.create_table({table!r},",
        "        sa.Column('id', sa.Integer, primary_key=True),",
        "        sa.Column('name', sa.String(80), nullable=False),",
        "        sa.Column('created', sa.DateTime, server_default=sa.func.now()),",
    ]
    if number > 1:
        parent = f"table_{number - 1:03d}.id"
        body.append(f"        sa.Column('parent_id', sa.Integer, sa.ForeignKey({parent!r})),")
    body.append("    )")
    body.append(f"    op.create_index('ix_{table}_name', {table!r}, ['name'])")
    if number % 10 == 0:
        older = f"table_{number - 5:03d}"
        body.append(f"    op.add_column({older!r}, sa.Column('note_{number}', sa.Text))")
    return (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{revision}"\ndown_revision = {down}\n\n\n'
        "def upgrade():\n" + "\n".join(body) + "\n"
    )


def _package(root: Path, name: str, migrated: bool) -> None:
    folder = root / name
    (folder / "app").mkdir(parents=True)
    (folder / "app" / "__init__.py").write_text("")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_queries.py").write_text(TESTS)
    setup = 'setup = ["alembic upgrade head", "python -m app.seed"]' if migrated else ""
    (folder / "pyproject.toml").write_text(PYPROJECT.format(name=name, setup=setup))
    if not migrated:
        return
    (folder / "app" / "seed.py").write_text(SEED)
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = app/migrations\n")
    versions = folder / "app" / "migrations" / "versions"
    versions.mkdir(parents=True)
    (folder / "app" / "migrations" / "env.py").write_text(ENV_PY)
    for number in range(1, MIGRATIONS + 1):
        (versions / f"{number:04d}_table.py").write_text(_migration(number))


def _repository(root: Path) -> None:
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.toolkit]
            packages = ["migrated", "plain"]
            """
        )
    )
    (root / "noxfile.py").write_text("import toolkit.sessions  # noqa: F401\n")
    _package(root, "migrated", migrated=True)
    _package(root, "plain", migrated=False)


class Bench:
    def __init__(self, root: Path, cache: Path) -> None:
        self.root, self.cache = root, cache
        self.timing = root / "timing.jsonl"

    def environ(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TOOLKIT_", "NOX_", "PG", "VIRTUAL_ENV"))
            and key not in ("DATABASE_URL", "PYTEST_ADDOPTS")
        }
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), str(BENCHMARKS)])
        env["TOOLKIT_CACHE_DIR"] = str(self.cache)
        env["TOOLKIT_CACHE"] = "0"  # the result cache would replay the tests
        env["TOOLKIT_BENCH_TIMING"] = str(self.timing)
        return {**env, **extra}

    def nox(self, package: str, *flags: str, **extra: str) -> tuple[float, bool, float]:
        """Seconds from the session's start to its first test; whether the setup ran;
        seconds the template step took, as the session logged it."""
        self.timing.unlink(missing_ok=True)
        command = [str(BIN / "nox"), *flags, "-s", f"integration({package})"]
        command += ["--", "-p", "_timing_plugin"]
        started = None
        lines = []
        with subprocess.Popen(
            command,
            cwd=self.root,
            env=self.environ(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if started is None and line.startswith("nox > Running session integration"):
                    started = time.time()
        output = "".join(lines)
        if process.returncode != 0 or started is None:
            sys.exit(f"nox failed for {package}:\n{output[-3000:]}")
        points = [json.loads(row) for row in self.timing.read_text().splitlines()]
        first_test = min(point["first_test"] for point in points if "first_test" in point)
        found = _READY.search(output)
        step = float(found.group(1)) if found else float("nan")
        return first_test - started, "seed: rows inserted" in output, step


def main() -> None:
    from toolkit.postgres import _paths

    base = Path(tempfile.mkdtemp(prefix="toolkit-bench-templates-"))
    try:
        root, cache = base / "repo", base / "cache"
        root.mkdir()
        cache.mkdir(mode=0o700)
        initdb = _paths.cache_dir() / "initdb"
        if initdb.is_dir():
            subprocess.run(["cp", "-a", str(initdb), str(cache / "initdb")], check=True)
        _repository(root)
        bench = Bench(root, cache)
        print("building the package environments ...", flush=True)
        for package in ("migrated", "plain"):  # a salt of its own: nothing stored for later
            bench.nox(package, TOOLKIT_TEMPLATE_SALT="environments")
        rows: list[list[str]] = []

        def row(
            label: str,
            migrated: list[tuple[float, bool, float]],
            plain: list[tuple[float, bool, float]],
        ) -> float:
            seconds = statistics.median(value for value, _, _ in migrated)
            step = statistics.median(step for _, _, step in migrated)
            ran = sum(1 for _, setup, _ in migrated if setup)
            cells = [label, f"{seconds:.2f}", f"{step:.2f}"]
            if not plain:
                rows.append([*cells, "-", "-", "-", f"{ran} of {len(migrated)}"])
                return float("nan")
            baseline = statistics.median(value for value, _, _ in plain)
            baseline_step = statistics.median(step for _, _, step in plain)
            rows.append(
                [
                    *cells,
                    f"{baseline:.2f}",
                    f"{baseline_step:.2f}",
                    f"{seconds - baseline:+.2f}",
                    f"{ran} of {len(migrated)}",
                ]
            )
            return seconds - baseline

        first = [bench.nox("migrated", "-R")]
        plain_first = [bench.nox("plain", "-R")]
        row("first run (nothing stored)", first, plain_first)
        warm: list[tuple[float, bool]] = []
        plain_warm: list[tuple[float, bool, float]] = []
        for _ in range(WARM_RUNS):
            warm.append(bench.nox("migrated", "-R"))
            plain_warm.append(bench.nox("plain", "-R"))
        warm_gap = row(f"warm, unchanged (median of {WARM_RUNS})", warm, plain_warm)
        versions = root / "migrated" / "app" / "migrations" / "versions"
        (versions / f"{MIGRATIONS + 1:04d}_table.py").write_text(_migration(MIGRATIONS + 1))
        added = [bench.nox("migrated", "-R")]
        row("one migration added", added, [])
        after = [bench.nox("migrated", "-R")]
        row("the run after that", after, [])

        heading("Time from the session's start to its first test (s)")
        print(
            render_table(
                [
                    "run",
                    "migrated",
                    "(template)",
                    "plain",
                    "(template)",
                    "difference",
                    "setup ran",
                ],
                rows,
            )
        )
        verdict = "met" if warm_gap <= TARGET else "NOT met"
        print(f"\nwarm gap {warm_gap:+.2f} s (target <= {TARGET} s): {verdict}")
        builds = [setup for _, setup, _ in first + warm + added + after]
        expected = [True] + [False] * WARM_RUNS + [True, False]
        print(f"setup ran exactly on the first run and after the change: {builds == expected}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
