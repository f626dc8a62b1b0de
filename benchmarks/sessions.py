"""What the toolkit's nox sessions cost on top of pytest, warm and on a first run.

A generated repository (one package, ``--tests`` quick unit tests over 10 files, an
empty ``tests/integration``, a noxfile that is just ``import toolkit.sessions``) is
run by the nox beside this Python, with the toolkit importable from this checkout
(``PYTHONPATH``) and uv on ``PATH``, as a user who installed both would have it.

1. Warm runs: the package environment exists. Each round runs, in rotating order:

   - ``nox -R -s "unit(<pkg>)"``: the command as users run it. nox also runs the
     ``coverage(<pkg>)`` and ``summary`` sessions that the unit session notifies
     (``--no-dependencies`` would skip them, but users do not run it that way), so
     this is the whole command;
   - ``nox -s "unit(<pkg>)"``: the same without ``-R``: the environment's stamp is
     checked (nothing is installed);
   - the pytest command line that nox printed (``nox > ...``) for the unit layer, run
     directly: same interpreter, folder, arguments (seed included) and environment
     variables (``TOOLKIT_LAYER=unit``, ``COVERAGE_FILE``, ``COVERAGE_CORE`` where the
     layer asks for a core, as ``toolkit/host/layers.py`` sets them). Not the variables
     that ask pytest to write the package's coverage reports: the direct run writes
     coverage data only, as a user's pytest would, and nox's run does the reports'
     work on top.

   The headline ratio is whole ``nox -R`` command / direct pytest (target <= 1.2).
   Every nox run is given ``-ts`` (timestamps on nox's log lines, microseconds of
   cost) so that its wall time can be split: nox start and noxfile import, the unit
   session before pytest, pytest itself, coverage(<pkg>), summary, exit. "unit
   session alone" is the start of the process to the end of the unit session: what
   ``nox -s unit(<pkg>)`` would cost if nox did not run the notified sessions.
   Beside it, nox's own start is split apart: a bare interpreter, ``import nox``'s
   command line, and the noxfile's ``import toolkit.sessions`` (configuration read,
   sessions registered), each in a fresh process, as many times as the warm rounds.
2. First run on a warm package cache: ``<repo>/.nox`` (the package environment) is
   deleted, uv's own cache (its default location) is left warm by the earlier runs,
   and ``nox -s "unit(<pkg>)"`` creates the environment and installs, 3 times. The
   fully warm ``nox -s`` / ``nox -R -s`` figures from part 1 are printed beside it.

Wall times are medians with min..max over the repeats; CPU is user+system time of
the whole process tree (less moved by other load on the machine). ``TOOLKIT_SEED`` is
fixed, so every run tests in the same order. Children write and reuse bytecode in a
scratch ``PYTHONPYCACHEPREFIX`` (filled by untimed warm-ups), as on a developer's
machine, even where ``PYTHONDONTWRITEBYTECODE`` is set; the cold runs of part 2 also
lose the bytecode of the deleted environment, as they would on a developer's machine.
Everything but uv's cache lives in a temporary folder that the run removes.

With ``--baseline REF`` the toolkit as committed at ``REF`` (``git archive``, its own
scratch repository and environment) runs the same warm variants in the same rounds:
before and after, side by side.

Rerun from the repository root::

    .venv/bin/python benchmarks/sessions.py                  # 7 repeats, 200 tests
    .venv/bin/python benchmarks/sessions.py --baseline main  # and main's, same rounds
    .venv/bin/python benchmarks/sessions.py --repeat 3 --tests 50   # quicker, noisier
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from _report import Sample, heading, render_table, stats_cells

from toolkit.host.measurement import requested_core

TOOLKIT_SOURCE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGE = "inventory"
SEED = "424242"
TARGET_RATIO = 1.2
COLD_REPEAT = 3
TEST_FILES = 10

#: Variables that would steer a child elsewhere, or that nox strips from every command.
DROPPED = {
    "DATABASE_URL",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_WORKER",
    "VIRTUAL_ENV",
    "PYTHONHOME",
    "PIP_RESPECT_VIRTUALENV",
    "PIP_REQUIRE_VIRTUALENV",
    "UV_SYSTEM_PYTHON",
    "UV_PYTHON",
    "PYTHONDONTWRITEBYTECODE",
    "COVERAGE_CORE",
}


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU seconds, epoch start/end, merged output."""

    wall: float
    cpu: float
    started: float
    ended: float
    output: str


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: Sequence[str], cwd: Path, env: dict[str, str], expect: str) -> Run:
    """Run to completion, output captured (stderr merged); fail loudly unless ``expect``."""
    cpu, started, clock = children_cpu(), time.time(), time.perf_counter()
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    wall, ended = time.perf_counter() - clock, time.time()
    if result.returncode != 0 or expect not in result.stdout:
        raise RuntimeError(
            f"{shlex.join(command)} (in {cwd}) exited {result.returncode}, "
            f"expected {expect!r}:\n{result.stdout[-4000:]}"
        )
    return Run(wall, children_cpu() - cpu, started, ended, result.stdout)


# --------------------------------------------------------------------------- the repo

MODULES = {
    "pricing.py": """\
        def apply_discount(cents: int, percent: int) -> int:
            if not 0 <= percent <= 100:
                raise ValueError(f"discount {percent}% is out of range")
            return cents - cents * percent // 100


        def with_tax(cents: int, permille: int) -> int:
            return cents + (cents * permille + 500) // 1000
    """,
    "text.py": """\
        import re


        def slugify(name: str) -> str:
            return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


        def initials(name: str) -> str:
            return "".join(word[0].upper() for word in name.split())
    """,
    "stock.py": """\
        class Stock:
            def __init__(self) -> None:
                self.items: dict[str, int] = {}

            def add(self, sku: str, count: int) -> int:
                self.items[sku] = self.items.get(sku, 0) + count
                return self.items[sku]

            def remove(self, sku: str, count: int) -> int:
                if self.items.get(sku, 0) < count:
                    raise ValueError(f"only {self.items.get(sku, 0)} of {sku} in stock")
                self.items[sku] -= count
                return self.items[sku]
    """,
    "units.py": """\
        GRAMS = {"g": 1, "kg": 1000, "lb": 453.59237, "oz": 28.349523125}


        def to_grams(amount: float, unit: str) -> float:
            if unit not in GRAMS:
                raise KeyError(f"unknown unit {unit!r}")
            return amount * GRAMS[unit]
    """,
    "ids.py": """\
        def sku(category: str, number: int) -> str:
            return f"{category[:3].upper()}-{number:05d}"


        def parse_sku(text: str) -> tuple[str, int]:
            prefix, _, number = text.partition("-")
            return prefix, int(number)
    """,
}

#: (file name, imports, one test with {n}) per test file: 10 files over the 5 modules.
TEST_TEMPLATES = [
    (
        "test_discount.py",
        "from inventory.pricing import apply_discount",
        """\
        def test_discount_{n}():
            assert apply_discount({n} * 100, {p}) == {n} * 100 - {n} * {p}
    """,
    ),
    (
        "test_discount_range.py",
        "import pytest\nfrom inventory.pricing import apply_discount",
        """\
        def test_discount_out_of_range_{n}():
            with pytest.raises(ValueError):
                apply_discount({n}, 101 + {n})
    """,
    ),
    (
        "test_tax.py",
        "from inventory.pricing import with_tax",
        """\
        def test_tax_{n}():
            assert with_tax({n} * 1000, 200) == {n} * 1200
    """,
    ),
    (
        "test_slugify.py",
        "from inventory.text import slugify",
        """\
        def test_slugify_{n}():
            assert slugify("  Item No. {n}!") == "item-no-{n}"
    """,
    ),
    (
        "test_initials.py",
        "from inventory.text import initials",
        """\
        def test_initials_{n}():
            assert initials("ada lovelace {n}") == "AL{first}"
    """,
    ),
    (
        "test_stock.py",
        "from inventory.stock import Stock",
        """\
        def test_add_then_remove_{n}():
            stock = Stock()
            stock.add("sku-{n}", {n} + 2)
            assert stock.remove("sku-{n}", 2) == {n}
    """,
    ),
    (
        "test_stock_errors.py",
        "import pytest\nfrom inventory.stock import Stock",
        """\
        def test_cannot_remove_more_than_stocked_{n}():
            stock = Stock()
            stock.add("sku-{n}", {n})
            with pytest.raises(ValueError, match="in stock"):
                stock.remove("sku-{n}", {n} + 1)
    """,
    ),
    (
        "test_units.py",
        "import pytest\nfrom inventory.units import to_grams",
        """\
        def test_kilograms_and_ounces_{n}():
            assert to_grams({n}, "kg") == pytest.approx({n} * 1000)
            assert to_grams({n}, "oz") == pytest.approx({n} * 28.349523125)
    """,
    ),
    (
        "test_units_errors.py",
        "import pytest\nfrom inventory.units import to_grams",
        """\
        def test_unknown_unit_{n}():
            with pytest.raises(KeyError):
                to_grams({n}, "stone{n}")
    """,
    ),
    (
        "test_ids.py",
        "from inventory.ids import parse_sku, sku",
        """\
        def test_sku_round_trip_{n}():
            text = sku("garden", {n})
            assert text == "GAR-{n:05d}"
            assert parse_sku(text) == ("GAR", {n})
    """,
    ),
]

PACKAGE_PYPROJECT = f"""\
[project]
name = "{PACKAGE}"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[dependency-groups]
test = ["pytest"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

ROOT_PYPROJECT = """\
[tool.toolkit]
packages = ["packages/*"]
"""


def render_test_file(imports: str, body: str, numbers: range) -> str:
    body = textwrap.dedent(body)
    tests = [body.format(n=n, p=n % 100, first=str(n)[0]) for n in numbers]
    return imports + "\n\n\n" + "\n\n".join(tests)


def write_repo(root: Path, tests: int) -> Path:
    """The repository; returns the package folder."""
    root.mkdir()
    (root / "pyproject.toml").write_text(ROOT_PYPROJECT)
    (root / "noxfile.py").write_text("import toolkit.sessions\n")
    package = root / "packages" / PACKAGE
    source = package / "src" / PACKAGE
    source.mkdir(parents=True)
    (package / "tests" / "integration").mkdir(parents=True)
    (package / "tests" / "unit").mkdir()
    (package / "pyproject.toml").write_text(PACKAGE_PYPROJECT)
    (source / "__init__.py").write_text('"""Stock keeping for a small shop."""\n')
    for name, text in MODULES.items():
        (source / name).write_text(textwrap.dedent(text))
    per_file, extra = divmod(tests, TEST_FILES)
    first = 1
    for index, (name, imports, body) in enumerate(TEST_TEMPLATES):
        count = per_file + (index < extra)
        source_text = render_test_file(imports, body, range(first, first + count))
        (package / "tests" / "unit" / name).write_text(source_text)
        first += count
    return package


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Bench:
    """Where everything is, and how every child is started."""

    repo: Path
    package: Path
    pycache: Path
    tests: int
    #: The toolkit checkout nox imports and the package environment installs.
    source: Path = TOOLKIT_SOURCE

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in DROPPED and not key.startswith(("TOOLKIT_", "NOX_", "PG"))
        }
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # uv and nox, as a user has them
        env["PYTHONPATH"] = str(self.source)
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env["TOOLKIT_SEED"] = SEED
        env["TOOLKIT_CACHE"] = "0"  # the path without a result cache, always
        return env

    @property
    def passed(self) -> str:
        return f"{self.tests} passed"

    def nox(self, *args: str) -> Run:
        command = [str(BIN / "nox"), "-ts", *args, "-s", f"unit({PACKAGE})"]
        return run(command, self.repo, self.env, self.passed)


@dataclass(frozen=True)
class Direct:
    """The unit layer's pytest command, as nox printed it."""

    command: list[str]
    cwd: Path
    environ: dict[str, str]


NOX_LINE = re.compile(r"^nox > \[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] (.*)$", re.MULTILINE)


def nox_events(output: str) -> list[tuple[float, str]]:
    """(epoch seconds, message) of every nox log line (``-ts`` timestamps, local time)."""
    return [
        (datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp(), message)
        for stamp, message in NOX_LINE.findall(output)
    ]


def find(events: list[tuple[float, str]], match: Callable[[str], bool], start: int = 0) -> int:
    """Index of the first event from ``start`` on whose message matches."""
    for index in range(start, len(events)):
        if match(events[index][1]):
            return index
    raise RuntimeError(f"an expected nox log line is missing:\n{[m for _, m in events]}")


def parse_direct(bench: Bench, output: str) -> Direct:
    """The pytest line nox ran for the unit layer, and the folder it ran it in."""
    messages = [message for _, message in nox_events(output)]
    index = next(i for i, message in enumerate(messages) if " -m pytest " in message)
    cwd = bench.package  # the layers run pytest in the package's folder
    command = shlex.split(messages[index])
    if f"--randomly-seed={SEED}" not in command:
        raise RuntimeError(f"nox did not use TOOLKIT_SEED={SEED}: {messages[index]}")
    coverage = bench.repo / "reports" / PACKAGE / "unit.coverage"
    environ = {**bench.env, "TOOLKIT_LAYER": "unit", "COVERAGE_FILE": str(coverage)}
    # The core the layer asks for on this Python (the package sets no [tool.coverage]);
    # a checkout from before the toolkit chose cores asks for none.
    minor = Path(command[0]).parent.parent.name.rpartition("-py")[2]
    core = requested_core({}, minor)
    if core and (bench.source / "toolkit" / "host" / "measurement.py").is_file():
        environ["COVERAGE_CORE"] = core
    return Direct(command, cwd, environ)


def run_direct(bench: Bench, direct: Direct) -> Run:
    return run(direct.command, direct.cwd, direct.environ, bench.passed)


def check_direct_matches(bench: Bench, direct: Direct) -> None:
    """The direct run must do the same work: every test, JUnit XML, coverage data."""
    reports = bench.repo / "reports" / PACKAGE
    for name in ("junit-unit.xml", "unit.coverage"):
        (reports / name).unlink()
    run_direct(bench, direct)
    suite = ElementTree.parse(reports / "junit-unit.xml").getroot()
    suite = suite if suite.tag == "testsuite" else next(suite.iter("testsuite"))
    if int(suite.get("tests", 0)) != bench.tests or not (reports / "unit.coverage").is_file():
        raise RuntimeError("the direct pytest run did not write the same reports as nox")


# ------------------------------------------------------------ phases of one nox run


def phases(run_: Run, cold: bool = False) -> dict[str, float]:
    """Seconds per phase of a ``nox -ts -s unit(pkg)`` run; they add up to its wall time."""
    events = nox_events(run_.output)

    def at(start: int, text: str = "", contains: str = "") -> int:
        """Index of the first line from ``start`` on that starts with text / contains."""
        return find(events, lambda line: line.startswith(text) and contains in line, start)

    def seconds(first: int, last: int) -> float:
        return events[last][0] - events[first][0]

    unit = at(0, f"Running session unit({PACKAGE})")
    pytest = at(unit, contains=" -m pytest ")
    unit_done = at(pytest, f"Session unit({PACKAGE}) was successful")
    coverage_done = at(unit_done, f"Session coverage({PACKAGE}) was successful")
    summary_done = at(coverage_done, "Session summary was successful")
    split = {"nox start, noxfile import": events[unit][0] - run_.started}
    if cold:
        venv = at(unit, contains=" venv ")
        install = at(venv, contains=": installing into ")
        split |= {
            "unit: before the environment": seconds(unit, venv),
            "unit: create the venv": seconds(venv, install),
            # the next line is logged once the installer returns
            "unit: install (uv pip install)": seconds(install, install + 1),
            "unit: after install, before pytest": seconds(install + 1, pytest),
        }
    else:
        split["unit: before pytest (env check)"] = seconds(unit, pytest)
    split |= {
        "unit: pytest (+ the coverage reports it writes)": seconds(pytest, unit_done),
        f"coverage({PACKAGE}) session": seconds(unit_done, coverage_done),
        "summary session": seconds(coverage_done, summary_done),
        "nox exit": run_.ended - events[summary_done][0],
        "unit session alone (start -> unit done)": events[unit_done][0] - run_.started,
    }
    return split


def sample_phases(runs: list[Run], cold: bool = False) -> dict[str, Sample]:
    split = [phases(run_, cold) for run_ in runs]
    return {name: Sample(tuple(one[name] for one in split)) for name in split[0]}


def check_installs(runs: list[Run], expected: bool) -> None:
    """Warm runs must install nothing; cold runs must create and install."""
    for run_ in runs:
        installed = ": installing into " in run_.output
        if installed != expected:
            state = "installed" if installed else "did not install"
            kind = "cold" if expected else "warm"
            raise RuntimeError(f"a {kind} nox run {state}:\n{run_.output[-3000:]}")


# --------------------------------------------------------------------------- 1. warm

WARM_VARIANTS = ("direct pytest", "nox -R -s unit", "nox -s unit")


def measure_warm(
    benches: dict[str, tuple[Bench, Direct]], repeat: int
) -> dict[str, dict[str, list[Run]]]:
    """Each round runs every variant of every checkout once, in rotating order, so
    drift hits all alike."""
    actions: dict[tuple[str, str], Callable[[], Run]] = {}
    for label, (bench, direct) in benches.items():
        actions[label, "direct pytest"] = lambda b=bench, d=direct: run_direct(b, d)
        actions[label, "nox -R -s unit"] = lambda b=bench: b.nox("-R")
        actions[label, "nox -s unit"] = lambda b=bench: b.nox()
    order = list(actions)
    runs: dict[str, dict[str, list[Run]]] = {
        label: {name: [] for name in WARM_VARIANTS} for label in benches
    }
    for round_ in range(repeat):
        for offset in range(len(order)):
            label, name = order[(round_ + offset) % len(order)]
            runs[label][name].append(actions[label, name]())
    for found in runs.values():
        check_installs(found["nox -R -s unit"] + found["nox -s unit"], expected=False)
    return runs


def report_warm(runs: dict[str, list[Run]], label: str) -> dict[str, Sample]:
    rounds = len(runs["direct pytest"])
    heading(f"1. Warm, {label}: nox vs the same pytest run directly (seconds, {rounds} rounds)")
    walls = {name: Sample(tuple(r.wall for r in runs[name])) for name in WARM_VARIANTS}
    cpus = {name: Sample(tuple(r.cpu for r in runs[name])) for name in WARM_VARIANTS}
    base, base_cpu = walls["direct pytest"].median, cpus["direct pytest"].median
    labels = {
        "direct pytest": "pytest, run directly (same cwd, env, args, seed)",
        "nox -R -s unit": f'nox -R -s "unit({PACKAGE})" (whole command)',
        "nox -s unit": f'nox -s "unit({PACKAGE})" (whole, stamp checked)',
    }
    rows = [
        [
            labels[name],
            *stats_cells(walls[name]),
            f"{walls[name].median / base:.2f}x",
            f"{cpus[name].median:.2f}",
            f"{cpus[name].median / base_cpu:.2f}x",
        ]
        for name in WARM_VARIANTS
    ]
    headers = ["", "wall median", "wall min..max", "wall vs direct", "CPU median", "CPU vs direct"]
    print(render_table(headers, rows))
    print()
    split_r, split_plain = sample_phases(runs["nox -R -s unit"]), sample_phases(runs["nox -s unit"])
    rows = [
        [name, *stats_cells(split_r[name]), *stats_cells(split_plain[name])] for name in split_r
    ]
    headers = [
        "where the nox time goes",
        "-R median",
        "-R min..max",
        "no -R median",
        "no -R min..max",
    ]
    print(render_table(headers, rows))
    alone = split_r["unit session alone (start -> unit done)"].median
    inside = split_r["unit: pytest (+ the coverage reports it writes)"].median
    print(
        f"\nunit session alone / direct: {alone / base:.2f}x\n"
        f"pytest inside nox / direct:  {inside / base:.2f}x (the same pytest command, plus the"
        f" coverage reports it writes for the coverage session; far from that means noise)"
    )
    return walls | {
        "unit alone": split_r["unit session alone (start -> unit done)"],
        "cpu nox -R": cpus["nox -R -s unit"],
        "cpu direct": cpus["direct pytest"],
    }


START_STEPS = {
    "Python itself (python -c pass)": "pass",
    "+ import nox's command line": "import nox.__main__",
    "+ the noxfile's import toolkit.sessions (config, registration)": (
        "import nox.__main__, sys; sys.argv = ['nox', '-s', 'unit({package})']; "
        "import toolkit.sessions"
    ),
}


def measure_start(bench: Bench, repeat: int) -> dict[str, Sample]:
    """nox's process start, step by step, each in a fresh interpreter, rotating."""
    python = str(BIN / "python")
    names = list(START_STEPS)
    found: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeat + 1):  # the first round writes bytecode and is discarded
        for offset in range(len(names)):
            name = names[(round_ + offset) % len(names)]
            code = START_STEPS[name].format(package=PACKAGE)
            wall = run([python, "-c", code], bench.repo, bench.env, "").wall
            if round_:
                found[name].append(wall)
    return {name: Sample(tuple(values)) for name, values in found.items()}


def report_start(start: dict[str, Sample]) -> None:
    heading("1b. nox's own start, step by step (fresh processes, seconds)")
    rows, previous = [], 0.0
    for name, sample in start.items():
        rows.append([name, *stats_cells(sample), f"{sample.median - previous:+.3f}"])
        previous = sample.median
    print(render_table(["", "median", "min..max", "step adds"], rows))


# --------------------------------------------------------------------------- 2. cold


def drop_environment(bench: Bench) -> None:
    """Delete the package environment and its bytecode; uv's cache stays warm."""
    environments = bench.repo / ".nox"
    shutil.rmtree(environments)
    shutil.rmtree(bench.pycache / str(environments).lstrip(os.sep), ignore_errors=True)


def measure_cold(bench: Bench, repeat: int) -> list[Run]:
    runs = []
    for _ in range(repeat):
        drop_environment(bench)
        runs.append(bench.nox())
    check_installs(runs, expected=True)
    return runs


def report_cold(runs: list[Run], warm: dict[str, Sample]) -> Sample:
    heading(f"2. First run, warm package cache: .nox deleted, uv cache kept ({len(runs)} runs, s)")
    cold = Sample(tuple(r.wall for r in runs))
    cpu = Sample(tuple(r.cpu for r in runs))
    rows = [
        [f'nox -s "unit({PACKAGE})", no environment', *stats_cells(cold), f"{cpu.median:.2f}"],
        [f'nox -s "unit({PACKAGE})", fully warm (part 1)', *stats_cells(warm["nox -s unit"]), ""],
        [
            f'nox -R -s "unit({PACKAGE})", fully warm (part 1)',
            *stats_cells(warm["nox -R -s unit"]),
            "",
        ],
    ]
    print(render_table(["", "wall median", "wall min..max", "CPU median"], rows))
    print()
    split = sample_phases(runs, cold=True)
    print(
        render_table(
            ["where the first run's time goes", "median", "min..max"],
            [[name, *stats_cells(sample)] for name, sample in split.items()],
        )
    )
    extra = cold.median - warm["nox -s unit"].median
    print(f"\nfirst run - warm run (medians): {extra:.2f} s, mostly creating and filling the env")
    return cold


# --------------------------------------------------------------------------- main


def report_notes() -> None:
    heading("Notes")
    print(
        textwrap.dedent(f"""\
        - The headline is the whole `nox -R -s "unit({PACKAGE})"`: what a user waits for.
          It includes nox's start and the noxfile import (the toolkit's config), and the
          coverage({PACKAGE}) and summary sessions the unit session notifies. The
          layer's pytest combines and writes JSON, XML and HTML itself at its end
          (TOOLKIT_COVERAGE_REPORT), so the coverage session finds them current and
          starts no interpreter; the direct run writes data only, so its ratio counts
          the reports' work as overhead. The unit session alone is read from the same
          runs' nox log timestamps (-ts), not from a separate command.
        - "pytest inside nox / direct" near 1.0 says the direct run does the same work;
          the direct run's JUnit XML and coverage data are checked once before timing.
        - The direct run's environment variables (TOOLKIT_LAYER, COVERAGE_FILE and
          COVERAGE_CORE: sysmon on 3.12 for this package) are the ones
          toolkit/host/layers.py sets: nox prints the command, not its environment.
        - TOOLKIT_CACHE=0: every run takes the path without a result cache.
        - Part 2 uses uv (on PATH here); the venv + pip fallback is not measured. uv may
          revalidate its cached index pages with the package index on a first run.""")
    )


def report_summary(warm: dict[str, Sample], cold: Sample) -> None:
    heading("Summary")
    ratio = warm["nox -R -s unit"].median / warm["direct pytest"].median
    alone = warm["unit alone"].median / warm["direct pytest"].median
    cpu = warm["cpu nox -R"].median / warm["cpu direct"].median
    rows = [
        (
            f'warm nox -R -s "unit({PACKAGE})" (whole) <= {TARGET_RATIO}x direct pytest',
            f"{ratio:.2f}x",
            "met" if ratio <= TARGET_RATIO else "missed",
        ),
        ("unit session alone (no notified sessions) vs direct", f"{alone:.2f}x", "no target"),
        ("the same whole command by CPU time (less moved by load)", f"{cpu:.2f}x", "no target"),
        (
            f'first nox -s "unit({PACKAGE})", environment created (median)',
            f"{cold.median:.2f} s",
            "no target",
        ),
        (
            f'warm nox -s "unit({PACKAGE})" (median)',
            f"{warm['nox -s unit'].median:.2f} s",
            "no target",
        ),
    ]
    target_width = max(len(target) for target, _, _ in rows)
    measured_width = max(len(measured) for _, measured, _ in rows)
    for target, measured, verdict in rows:
        kind = "target:" if verdict in ("met", "missed") else "info:  "
        measured = measured.ljust(measured_width)
        print(f"{kind} {target.ljust(target_width)}  measured: {measured}  ({verdict})")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def export(ref: str, folder: Path) -> Path:
    """The toolkit as committed at ``ref`` of this repository (``git archive``)."""
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(TOOLKIT_SOURCE), "archive", ref], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def prepare(bench: Bench) -> Direct:
    """Create the environment (untimed), and read the pytest line a warm run prints."""
    first = bench.nox()  # creates the environment, compiles bytecode
    check_installs([first], expected=True)
    probe = bench.nox("-R")  # a warm run, whose printed pytest line is parsed
    direct = parse_direct(bench, probe.output)
    print(f"direct command (from nox's output, toolkit {bench.source}), in {direct.cwd}:")
    print(f"  {shlex.join(direct.command)}")
    check_direct_matches(bench, direct)
    return direct


def report_before_after(runs: dict[str, dict[str, list[Run]]]) -> None:
    heading("1c. The checkouts side by side (same rounds; medians, ratio to its own direct run)")
    rows = []
    for label, found in runs.items():
        base = Sample(tuple(r.wall for r in found["direct pytest"])).median
        whole = Sample(tuple(r.wall for r in found["nox -R -s unit"])).median
        plain = Sample(tuple(r.wall for r in found["nox -s unit"])).median
        split = sample_phases(found["nox -R -s unit"])
        rows.append(
            [
                label,
                f"{base:.2f}",
                f"{whole:.2f} ({whole / base:.2f}x)",
                f"{plain:.2f} ({plain / base:.2f}x)",
                f"{split[f'coverage({PACKAGE}) session'].median:.2f}",
            ]
        )
    headers = ["", "direct pytest", "nox -R (whole)", "nox, no -R (whole)", "coverage session"]
    print(render_table(headers, rows))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="warm rounds (default 7)")
    parser.add_argument(
        "--tests", type=int, default=200, help="unit tests in the package (default 200)"
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also measure the toolkit as committed at REF (e.g. main), in the same rounds",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.tests < TEST_FILES:
        parser.error(f"--repeat must be at least 1 and --tests at least {TEST_FILES}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (BIN / "nox").is_file():
        sys.exit(f"no nox beside {sys.executable}: run with the dev venv's python")
    uv = shutil.which("uv", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{args.repeat} warm rounds, {COLD_REPEAT} cold runs, {args.tests} tests; uv: {uv}"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-sessions-") as scratch_dir:
        scratch = Path(scratch_dir).resolve()
        sources = {"this checkout": TOOLKIT_SOURCE}
        if args.baseline:
            sources[f"baseline {args.baseline}"] = export(args.baseline, scratch / "baseline")
        benches = {}
        for index, (label, source) in enumerate(sources.items()):
            repo = scratch / f"repo{index}"
            bench = Bench(
                repo, write_repo(repo, args.tests), scratch / "pycache", args.tests, source
            )
            benches[label] = (bench, prepare(bench))
        bench, _ = benches["this checkout"]
        warm_runs = measure_warm(benches, args.repeat)
        start = measure_start(bench, args.repeat)
        cold_runs = measure_cold(bench, COLD_REPEAT)
    for label, runs in warm_runs.items():
        if label != "this checkout":
            report_warm(runs, label)
    warm = report_warm(warm_runs["this checkout"], "this checkout")
    if len(warm_runs) > 1:
        report_before_after(warm_runs)
    report_start(start)
    cold = report_cold(cold_runs, warm)
    report_notes()
    report_summary(warm, cold)
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
