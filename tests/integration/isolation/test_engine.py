"""The engine on suites with planted problems: real pytest subprocesses, fixed seeds.

Each suite plants exactly one kind of problem, and the engine must report exactly it.
The seeds are fixed so that every run is repeatable; each scenario is built so that
most seeds show the problem (the comments say with what odds a random order does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.integration.isolation.suites import (
    home_polluter,
    misses,
    module,
    pollutes,
    suite,
    victim_of,
)
from toolkit.isolation import FLAKY_SUGGESTION, Report, analyse
from toolkit.isolation._runner import derived_seed

PYTHON = Path(sys.executable)

pytestmark = pytest.mark.slow


def _analyse(root: Path, seed: int, **kwargs) -> Report:
    return analyse(root, PYTHON, paths=["tests"], seed=seed, work_dir=root / "work", **kwargs)


def _shows_failure(command: str, test: str, env: dict[str, str] | None = None) -> bool:
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, env=env, check=False
    )
    return result.returncode == 1 and (
        f"FAILED {test}" in result.stdout or f"ERROR {test}" in result.stdout
    )


def _kinds(report: Report) -> list[tuple[str, str]]:
    return [(finding.kind, finding.test) for finding in report.findings]


def test_one_polluter_hidden_among_256_tests_is_found_in_fewer_runs_than_bisection(
    tmp_path: Path,
) -> None:
    # 16 modules of 16 tests; the victim runs after the polluter in file order, and a
    # random order puts it first with odds 1 in 2.
    modules = {}
    for index in range(16):
        tests = []
        if index == 2:
            tests.append(pollutes("planted_polluter", "polluted"))
        if index == 12:
            tests.append(victim_of("planted_victim", "'polluted' in state.flags"))
        modules[f"test_m{index:02d}"] = module(
            *tests, fillers=16 - len(tests), prefix=f"m{index:02d}"
        )
    root = suite(tmp_path, modules)

    # Three random orders, as the search's cost is measured: each more order the victim
    # fails in costs one more check (16 orders, as this suite's size asks, cost 14 runs).
    report = _analyse(root, seed=1, orders=3)

    assert _kinds(report) == [("order-dependent", "tests/test_m12.py::test_planted_victim")]
    finding = report.findings[0]
    assert finding.polluters == ["tests/test_m02.py::test_planted_polluter"]
    assert finding.details["search_complete"] is True
    # detect-test-pollution needs ceil(log2(255)) + 3 = 11 runs, and the victim's name;
    # past the orders that find the victim, the engine needs the replay, the victim
    # alone, two probes, the reproduction, one check per other run it failed in, and
    # the reproduction twice more before it is reported.
    failing_runs = sum(run.outcome(finding.test) == "failed" for run in report.runs)
    assert report.pytest_runs - len(report.runs) <= 7 + failing_runs - 1
    assert report.pytest_runs - len(report.runs) < 11
    assert _shows_failure(finding.reproduce, "tests/test_m12.py::test_planted_victim")


def test_two_polluters_harmful_only_together_are_reported_as_one_set(tmp_path: Path) -> None:
    # The victim's module runs last in file order; a random order puts it before one
    # of the two others with odds 2 in 3.
    root = suite(
        tmp_path,
        {
            "test_a": module(pollutes("first_half", "a"), fillers=6, prefix="a"),
            "test_b": module(pollutes("second_half", "b"), fillers=6, prefix="b"),
            "test_c": module(pollutes("unrelated", "c"), fillers=4, prefix="c"),
            "test_z": module(
                victim_of("needs_both", "{'a', 'b'} <= state.flags"), fillers=3, prefix="z"
            ),
        },
    )

    report = _analyse(root, seed=5)

    assert _kinds(report) == [("order-dependent", "tests/test_z.py::test_needs_both")]
    finding = report.findings[0]
    assert finding.details["polluter_sets"] == [
        ["tests/test_a.py::test_first_half", "tests/test_b.py::test_second_half"]
    ]
    assert _shows_failure(finding.reproduce, "tests/test_z.py::test_needs_both")


def test_each_independent_polluter_of_one_victim_is_reported(tmp_path: Path) -> None:
    # The victim passes only when its module runs first: odds 1 in 3 per random order.
    root = suite(
        tmp_path,
        {
            "test_a": module(pollutes("one_polluter", "x"), fillers=5, prefix="a"),
            "test_b": module(pollutes("other_polluter", "y"), fillers=5, prefix="b"),
            "test_z": module(
                victim_of("victim", "state.flags & {'x', 'y'}"), fillers=2, prefix="z"
            ),
        },
    )

    report = _analyse(root, seed=2)

    assert _kinds(report) == [("order-dependent", "tests/test_z.py::test_victim")]
    finding = report.findings[0]
    assert finding.details["polluter_sets"] == [
        ["tests/test_a.py::test_one_polluter"],
        ["tests/test_b.py::test_other_polluter"],
    ]
    assert finding.polluters == [
        "tests/test_a.py::test_one_polluter",
        "tests/test_b.py::test_other_polluter",
    ]
    # each set has a command of its own that shows the victim failing after it alone
    commands = finding.details["reproduce_sets"]
    assert finding.reproduce == commands[0]
    for command, polluter, other in zip(commands, ("one", "other"), ("other", "one"), strict=True):
        assert f"::test_{polluter}_polluter" in command
        assert f"::test_{other}_polluter" not in command
        assert _shows_failure(command, "tests/test_z.py::test_victim")


def test_a_victim_that_leaves_state_itself_is_reported_with_its_polluter_only(
    tmp_path: Path,
) -> None:
    # The victim fails after the polluter on its odd executions only: the search's
    # probes, which run it between chunks of tests, see it flip after a later test.
    root = suite(
        tmp_path,
        {
            "test_m": """\
                def test_a():
                    pass

                def test_b_polluter():
                    state.flags.add("polluted")

                def test_c_other():
                    pass

                def test_d_victim():
                    state.runs = getattr(state, "runs", 0) + 1
                    assert not (state.runs % 2 == 1 and "polluted" in state.flags)
            """
        },
    )

    report = _analyse(root, seed=2)  # before the fix, seeds 2 to 4 named test_c_other too

    assert _kinds(report) == [("order-dependent", "tests/test_m.py::test_d_victim")]
    finding = report.findings[0]
    assert finding.details["polluter_sets"] == [["tests/test_m.py::test_b_polluter"]]
    assert _shows_failure(finding.reproduce, "tests/test_m.py::test_d_victim")


def test_brittle_test_and_its_state_setter_are_named(tmp_path: Path) -> None:
    # The setter's module runs first in file order; a random order puts the brittle
    # test's module first with odds 1 in 2.
    root = suite(
        tmp_path,
        {
            "test_a": module(pollutes("sets_up_state", "ready"), fillers=8, prefix="a"),
            "test_b": module(
                "def test_needs_state():\n    assert 'ready' in state.flags\n",
                fillers=8,
                prefix="b",
            ),
        },
    )

    report = _analyse(root, seed=1)

    assert _kinds(report) == [("brittle", "tests/test_b.py::test_needs_state")]
    finding = report.findings[0]
    assert finding.state_setters == ["tests/test_a.py::test_sets_up_state"]
    assert _shows_failure(finding.reproduce, "tests/test_b.py::test_needs_state")
    assert (
        subprocess.run(
            finding.details["passes_with"], shell=True, capture_output=True, check=False
        ).returncode
        == 0
    )


COUNTED = """
import pathlib
import pytest

{marker}
def test_{name}():
    counter = pathlib.Path(__file__).with_name(".{name}-executions")
    executions = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(executions))
    assert executions not in (1, 10), "fails on its 1st and 10th executions"
"""


def test_randomly_failing_tests_are_non_deterministic_and_told_whether_marked(
    tmp_path: Path,
) -> None:
    # Fails on its 1st and 10th executions, whatever ran before: in file order (the
    # 1st), then passes in the four other deterministic orders (the reverse, the
    # interleaved and its reverse, alone), three random orders and the replay of file
    # order (the 9th), and fails again in the next replay.
    root = suite(
        tmp_path,
        {
            "test_a": module(COUNTED.format(marker="", name="unmarked"), fillers=5, prefix="a"),
            "test_b": module(
                COUNTED.format(marker="@pytest.mark.flaky(reruns=0)", name="marked"),
                fillers=5,
                prefix="b",
            ),
        },
    )

    report = _analyse(root, seed=1, orders=3)

    assert _kinds(report) == [
        ("non-deterministic", "tests/test_a.py::test_unmarked"),
        ("non-deterministic", "tests/test_b.py::test_marked"),
    ]
    unmarked, marked = (finding.details for finding in report.findings)
    assert unmarked["marked_flaky"] is False and FLAKY_SUGGESTION in unmarked["suggestion"]
    assert marked["marked_flaky"] is True and "suggestion" not in marked


def test_clean_suite_has_no_findings_and_costs_only_its_orders(tmp_path: Path) -> None:
    root = suite(
        tmp_path,
        {
            "test_a": module(fillers=10, prefix="a"),
            "test_b": module(
                "def test_reads_state():\n    assert 'x' not in state.flags\n",
                fillers=10,
                prefix="b",
            ),
        },
    )

    report = _analyse(root, seed=1, orders=3)

    assert report.findings == [] and report.notes == []
    assert report.pytest_runs == 8  # five deterministic orders, three random ones
    assert [run.order for run in report.runs][:5] == [
        "file",
        "reverse",
        "interleave",
        "reverse-interleave",
        "alone",
    ]
    assert [run.seed for run in report.runs][5:] == [derived_seed(1, index) for index in range(3)]
    assert all(len(run.tests()) == 21 for run in report.runs)
    # Each test alone: 21 processes, nothing before any of them.
    assert len({e.worker for e in report.runs[4].executions}) == 21
    assert report.exposure is not None
    assert report.exposure.line().startswith(
        "orders: file, reverse, interleaved, reverse interleaved, each test alone, 3 random; "
        "ran as direct neighbours: 2/2 pairs of modules, "
    )
    assert "isolation_orders = " in report.exposure.line()  # 10 functions: not every pair


def test_a_suite_writing_to_home_and_tmp_leaves_nothing_in_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a sandbox, the first run leaves the dot-folder in the user's home and the
    # victim then fails alone in every later run: reported as "fails alone", not found.
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    root, expected = home_polluter(tmp_path / "suite")
    scratch = Path(tempfile.gettempdir()) / (root / "scratch-name.txt").read_text()

    report = _analyse(root, seed=1, orders=1, jobs=2)

    assert misses(report, expected) == []
    assert list(home.iterdir()) == []
    assert not scratch.exists()


def test_suite_run_under_xdist_is_analysed_and_reproduced_in_one_process(tmp_path: Path) -> None:
    # --dist loadfile keeps a module on one worker, where the polluter precedes the victim.
    root = suite(
        tmp_path,
        {
            "test_a": module(
                pollutes("polluter", "p"),
                victim_of("victim", "'p' in state.flags"),
                fillers=4,
                prefix="a",
            ),
            "test_b": module(fillers=6, prefix="b"),
        },
    )

    report = _analyse(root, seed=3, args=["-n", "2", "--dist", "loadfile"])

    assert _kinds(report) == [("order-dependent", "tests/test_a.py::test_victim")]
    assert {execution.worker for execution in report.runs[0].executions} == {""}  # file order
    assert {execution.worker for execution in report.runs[-1].executions} == {"gw0", "gw1"}
    assert report.findings[0].polluters == ["tests/test_a.py::test_polluter"]
    assert "-n" not in report.findings[0].reproduce.split()
    assert _shows_failure(report.findings[0].reproduce, "tests/test_a.py::test_victim")


LEAKY_CONFTEST = """
import pytest
import sqlalchemy as sa
from toolkit.testing import Service

metadata = sa.MetaData()
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))


@pytest.fixture(scope="session")
def toolkit_service():
    return Service(metadata=metadata)
"""

LEAKY_TESTS = """
import sqlalchemy as sa
from tests.conftest import notes


def test_commits_on_its_own_connection(engine):
    with engine.begin() as connection:
        connection.execute(sa.insert(notes).values(body="left behind"))


def test_writes_through_the_rolled_back_session(db_session):
    db_session.execute(sa.insert(notes).values(body="rolled back"))
    db_session.commit()


def test_reads_nothing(db_session):
    assert db_session.scalar(sa.select(sa.func.count()).select_from(notes)) >= 0
"""


def test_test_leaving_rows_in_the_database_is_named_with_its_tables(
    tmp_path: Path, postgres_server
) -> None:
    root = suite(tmp_path, {"test_notes": LEAKY_TESTS}, conftest=LEAKY_CONFTEST)
    env = {"DATABASE_URL": postgres_server.dsn("leaky")}

    report = _analyse(root, seed=1, env=env, jobs=2)

    assert _kinds(report) == [
        ("database-leak", "tests/test_notes.py::test_commits_on_its_own_connection")
    ]
    finding = report.findings[0]
    assert finding.details["tables"] == {"public.notes": "+1 row"}
    # the file-order run watches; one run confirms the leak
    assert report.pytest_runs == len(report.runs) + 1
    assert report.leak_watch == "on: the database_url fixture"
    assert _shows_failure(finding.reproduce, finding.test, env={**os.environ, **env})


RAW_TESTS = """
import os

import psycopg

URL = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


def test_commits_through_its_own_connection():
    with psycopg.connect(URL) as connection:
        connection.execute("insert into notes (body) values ('left behind')")


def test_rolls_back():
    with psycopg.connect(URL) as connection:
        connection.execute("insert into notes (body) values ('undone')")
        connection.rollback()


def test_reads():
    with psycopg.connect(URL) as connection:
        assert connection.execute("select count(*) from notes").fetchone()[0] >= 0
"""


def test_suite_without_the_toolkit_fixtures_is_watched_through_database_url(
    tmp_path: Path, postgres_server
) -> None:
    import uuid

    import psycopg

    database = f"raw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'create database "{database}"')
    try:
        with psycopg.connect(postgres_server.dsn(database), autocommit=True) as connection:
            connection.execute("create table notes (id serial primary key, body text)")
        root = suite(tmp_path, {"test_raw": RAW_TESTS})
        env = {"DATABASE_URL": postgres_server.url(database, "psycopg")}

        report = _analyse(root, seed=1, env=env)

        assert report.leak_watch == "on: DATABASE_URL"
        assert _kinds(report) == [
            ("database-leak", "tests/test_raw.py::test_commits_through_its_own_connection")
        ]
        assert report.findings[0].details["tables"] == {"public.notes": "+1 row"}
        assert _shows_failure(
            report.findings[0].reproduce, report.findings[0].test, env={**os.environ, **env}
        )
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
            admin.execute(f'drop database if exists "{database}" with (force)')


def test_past_the_budget_victims_are_listed_with_the_command_that_shows_them_failing(
    tmp_path: Path,
) -> None:
    root = suite(
        tmp_path,
        {
            "test_a": module(pollutes("polluter", "p"), fillers=2, prefix="a"),
            "test_b": module(victim_of("victim", "'p' in state.flags"), fillers=2, prefix="b"),
        },
    )

    report = _analyse(root, seed=1, orders=1, budget=0.001)

    assert report.findings == []
    assert [(note.kind, note.test) for note in report.notes] == [
        ("unsearched", "tests/test_b.py::test_victim")
    ]
    assert report.pytest_runs == 6  # the orders only: five deterministic, one random
    assert _shows_failure(report.notes[0].command, "tests/test_b.py::test_victim")
    assert report.as_json()["unsearched"][0]["test"] == "tests/test_b.py::test_victim"
