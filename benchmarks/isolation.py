"""The isolation engine beside detect-test-pollution: one polluter among 256 tests,
one polluter with eight victims, and 13 victims of 3 causes.

The first suite: 256 quick tests in 16 modules of 16; one test (module 2) adds a flag to a
shared module-level set, one test (module 12) asserts the flag is absent. Both tools
run in one throwaway environment (uv: this checkout with its ``runner`` extra, and
``detect-test-pollution`` from PyPI), so every pytest process they start loads the
same plugins.

- detect-test-pollution 1.2: ``detect-test-pollution --failing-test <victim> --tests
  tests``. It must be told the victim; it discovers the tests, checks the victim
  alone and after all others, bisects, and double-checks.
- the engine: ``toolkit.isolation.analyse`` with the defaults of ``nox -s isolation``
  (file order, its reverse, the interleaved order and 3 random orders with seeds
  hashed from ``--seed``), which finds the victim by itself, then its polluter, and
  checks every run the victim failed in for another. Shown sequential (``jobs=1``) and with the
  session's two order runs at a time (``jobs=2``).

The two suites with many victims come from the project's planted suites
(``tests/integration/isolation/suites.py``): ``one_polluter_eight_victims`` (one test
warms a module-level cache; eight tests in four modules assume it cold; 21 tests) and
``three_causes`` (the full-stack template's shape: 60 tests, 13 victims of 3 causes),
and ``cascade`` (a test that, failing after another, fails four login tests, whose
polluter set is both; and a pair only the reverse order shows: 6 victims, 21 tests).
detect-test-pollution is told each victim in turn (one command per victim, runs and
time summed); the engine is run once and must find the victims itself. A row says
how many victims each tool named with the right polluter.

Wall time on a shared machine grows with whatever else runs; the CPU seconds of
every child process (``getrusage(RUSAGE_CHILDREN)``) do not, so both are shown.

pytest runs are counted the same way for both: a one-line plugin loaded into every
pytest process through ``PYTEST_ADDOPTS`` appends to a file. Wall times are medians
with min..max over ``--repeat`` rounds (each round uses seed + round, so the engine's
orders vary); the engine's run count is shown as min..max over the rounds.

Rerun from the repository root::

    python benchmarks/isolation.py [--repeat 3] [--seed 1] [--python PATH] [--only many]

``--python`` reuses an interpreter that already has the toolkit (``runner`` extra)
and detect-test-pollution instead of building the throwaway environment.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import Sample, heading, render_table, stats_cells

from tests.integration.isolation.suites import cascade, one_polluter_eight_victims, three_causes
from toolkit.isolation import analyse

REPO = Path(__file__).resolve().parent.parent
POLLUTER = "tests/test_m02.py::test_m02_polluter"
VICTIM = "tests/test_m12.py::test_m12_victim"
COUNTER = """\
import os


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        with open(os.environ["BENCH_PYTEST_RUNS"], "a") as handle:
            handle.write("run\\n")
"""


def _suite(root: Path) -> Path:
    tests = root / "tests"
    tests.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tests / "__init__.py").write_text("")
    (tests / "state.py").write_text("flags = set()\n")
    for index in range(16):
        name = f"m{index:02d}"
        body = ["from tests import state\n"]
        fillers = 16
        if index == 2:
            body.append(f"def test_{name}_polluter():\n    state.flags.add('polluted')\n")
            fillers -= 1
        if index == 12:
            body.append(f"def test_{name}_victim():\n    assert 'polluted' not in state.flags\n")
            fillers -= 1
        body += [f"def test_{name}_{number:02d}():\n    pass\n" for number in range(fillers)]
        (tests / f"test_{name}.py").write_text("\n\n".join(body))
    return root


def _environment(scratch: Path) -> Path:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    venv = scratch / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-e",
            f"{REPO}[runner]",
            "detect-test-pollution",
        ],
        check=True,
    )
    return python


def _counted(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.is_file() else 0


def _dtp(python: Path, suite: Path, counter: Path) -> tuple[float, int, str]:
    counter.unlink(missing_ok=True)
    command = [
        str(python.parent / "detect-test-pollution"),
        "--failing-test",
        VICTIM,
        "--tests",
        "tests",
    ]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=suite, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    found = next(
        (
            line.rsplit(": ", 1)[1]
            for line in result.stdout.splitlines()
            if "the polluting test is" in line
        ),
        "none",
    )
    return elapsed, _counted(counter), found


def _engine(
    python: Path, suite: Path, counter: Path, seed: int, jobs: int
) -> tuple[float, int, str, str]:
    counter.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-isolation-"))
    started = time.perf_counter()
    report = analyse(suite, python, paths=["tests"], seed=seed, jobs=jobs, work_dir=work)
    elapsed = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    victims = [f.test for f in report.findings if f.kind == "order-dependent"]
    polluters = [p for f in report.findings for p in (f.polluters or [])]
    return elapsed, _counted(counter), ",".join(victims) or "none", ",".join(polluters) or "none"


def _child_cpu() -> float:
    """CPU seconds of every finished child process (and theirs): unlike wall time, it
    does not grow when other work shares the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _dtp_each(
    python: Path, suite: Path, counter: Path, expected: dict
) -> tuple[float, int, int, float]:
    """detect-test-pollution once per victim: total seconds, total runs, right answers,
    CPU seconds."""
    seconds, runs, right = 0.0, 0, 0
    cpu = _child_cpu()
    for victim, sets in expected.items():
        counter.unlink(missing_ok=True)
        started = time.perf_counter()
        result = subprocess.run(
            [
                str(python.parent / "detect-test-pollution"),
                "--failing-test",
                victim,
                "--tests",
                "tests",
            ],
            cwd=suite,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds += time.perf_counter() - started
        runs += _counted(counter)
        found = [
            line.rsplit(": ", 1)[1]
            for line in result.stdout.splitlines()
            if "the polluting test is" in line
        ]
        right += bool(found) and [found[0]] in sets
    return seconds, runs, right, _child_cpu() - cpu


def _engine_many(
    python: Path, suite: Path, counter: Path, expected: dict, seed: int, jobs: int
) -> tuple[float, int, int, float]:
    """The engine once: seconds, runs, victims named with (all) their planted polluters,
    CPU seconds."""
    counter.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-isolation-"))
    cpu = _child_cpu()
    started = time.perf_counter()
    report = analyse(suite, python, paths=["tests"], seed=seed, jobs=jobs, work_dir=work)
    elapsed = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    found = {f.test: f.details.get("polluter_sets") for f in report.findings}
    right = sum(
        sorted(found.get(victim) or []) == sorted(sets) for victim, sets in expected.items()
    )
    return elapsed, _counted(counter), right, _child_cpu() - cpu


def _many_victims(python: Path, scratch: Path, counter: Path, options) -> None:
    shapes = {
        "one polluter, eight victims (21 tests)": one_polluter_eight_victims,
        "13 victims of 3 causes (60 tests)": three_causes,
        "cascade: one victim fails the others, one simple pair (21 tests)": cascade,
    }
    for title, build in shapes.items():
        suite, expected = build(scratch / title.split(" ")[0].replace(",", ""))
        rows = []
        results: dict[str, list[tuple[float, int, int, float]]] = {
            "dtp": [],
            "engine-1": [],
            "engine-2": [],
        }
        for round_ in range(options.repeat):
            seed = options.seed + round_
            results["dtp"].append(_dtp_each(python, suite, counter, expected))
            results["engine-1"].append(_engine_many(python, suite, counter, expected, seed, 1))
            results["engine-2"].append(_engine_many(python, suite, counter, expected, seed, 2))
        labels = {
            "dtp": "detect-test-pollution 1.2, told each victim",
            "engine-1": "toolkit isolation engine, jobs=1",
            "engine-2": "toolkit isolation engine, jobs=2",
        }
        for key, label in labels.items():
            rounds = results[key]
            runs = sorted(entry[1] for entry in rounds)
            right = sorted(entry[2] for entry in rounds)
            rows.append(
                [
                    label,
                    str(runs[0]) if runs[0] == runs[-1] else f"{runs[0]}..{runs[-1]}",
                    *stats_cells(Sample(tuple(entry[0] for entry in rounds))),
                    f"{statistics.median(entry[3] for entry in rounds):.1f}",
                    f"{right[0]}/{len(expected)}"
                    if right[0] == right[-1]
                    else f"{right[0]}..{right[-1]}/{len(expected)}",
                ]
            )
        heading(
            f"{title} ({options.repeat} rounds, seeds "
            f"{options.seed}..{options.seed + options.repeat - 1})"
        )
        print(
            render_table(
                [
                    "tool",
                    "pytest runs",
                    "wall s (median)",
                    "min..max",
                    "CPU s (median)",
                    "victims with their polluter",
                ],
                rows,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--python", type=Path, help="an interpreter with the toolkit and detect-test-pollution"
    )
    parser.add_argument(
        "--only",
        choices=("single", "many"),
        help="only the 256-test suite, or only the many-victim ones",
    )
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-isolation-"))
    try:
        python = options.python or _environment(scratch)
        suite = _suite(scratch / "suite")
        counter = scratch / "pytest-runs.txt"
        plugins = scratch / "plugins"
        plugins.mkdir()
        (plugins / "bench_count.py").write_text(COUNTER)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(plugins), os.environ.get("PYTHONPATH")])
        )
        os.environ["PYTEST_ADDOPTS"] = "-p bench_count"
        os.environ["BENCH_PYTEST_RUNS"] = str(counter)
        if options.only != "single":
            _many_victims(python, scratch, counter, options)
        if options.only == "many":
            return
        results: dict[str, list[tuple]] = {"dtp": [], "engine-1": [], "engine-2": []}
        for round_ in range(options.repeat):
            seed = options.seed + round_
            results["dtp"].append(_dtp(python, suite, counter))
            results["engine-1"].append(_engine(python, suite, counter, seed, jobs=1))
            results["engine-2"].append(_engine(python, suite, counter, seed, jobs=2))
        heading(
            f"one polluter among 256 tests ({options.repeat} rounds, seeds "
            f"{options.seed}..{options.seed + options.repeat - 1})"
        )
        rows = []
        labels = {
            "dtp": ("detect-test-pollution 1.2 (victim given)", "given"),
            "engine-1": ("toolkit isolation engine, jobs=1", None),
            "engine-2": ("toolkit isolation engine, jobs=2", None),
        }
        for key, (label, victim) in labels.items():
            rounds = results[key]
            runs = sorted(entry[1] for entry in rounds)
            run_cell = str(runs[0]) if runs[0] == runs[-1] else f"{runs[0]}..{runs[-1]}"
            found_victim = victim or (
                "yes"
                if all(entry[2] == VICTIM for entry in rounds)
                else "; ".join(entry[2] for entry in rounds)
            )
            found_polluter = (
                "yes"
                if all(entry[-1] == POLLUTER for entry in rounds)
                else "; ".join(entry[-1] for entry in rounds)
            )
            rows.append(
                [
                    label,
                    run_cell,
                    *stats_cells(Sample(tuple(e[0] for e in rounds))),
                    found_victim,
                    found_polluter,
                ]
            )
        print(
            render_table(
                [
                    "tool",
                    "pytest runs",
                    "wall s (median)",
                    "min..max",
                    "victim found",
                    "polluter found",
                ],
                rows,
            )
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
