"""Command lines and environments of the engine's child runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.isolation._report import Finding, OrderRun, Report
from toolkit.isolation._reportlog import Execution
from toolkit.isolation._runner import Runner, Suite, _slot_environ, single_process_args


@pytest.mark.parametrize(
    ("args", "kept"),
    [
        pytest.param(["-n", "2", "-x"], ["-x"], id="separate-value"),
        pytest.param(["-n2", "-k", "users"], ["-k", "users"], id="joined-value"),
        pytest.param(["-nauto", "--dist=loadfile", "-v"], ["-v"], id="auto-and-dist"),
        pytest.param(["--numprocesses", "4", "--dist", "loadgroup", "-d"], [], id="long-options"),
        pytest.param(["--no-header", "-q"], ["--no-header", "-q"], id="no-xdist"),
    ],
)
def test_reproductions_drop_xdist_options_and_keep_the_rest(
    args: list[str], kept: list[str]
) -> None:
    assert single_process_args(args) == kept


def test_concurrent_runs_get_databases_of_their_own() -> None:
    env = {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/users", "PGDATABASE": "users", "X": "1"}

    assert _slot_environ(env, 0) is env
    assert _slot_environ(env, 2) == {
        "DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/users_s2",
        "PGDATABASE": "users_s2",
        "X": "1",
    }


def test_replay_runs_exactly_the_tests_in_order_from_the_suite_folder(tmp_path: Path) -> None:
    runner = Runner(
        Suite(tmp_path / "pkg", Path("/venv/bin/python"), ("tests",)), tmp_path / "w", print
    )
    runner.rootdir = tmp_path

    command = runner.replay(["tests/test_a.py::test_x[1-2]", "tests/test_b.py::test_y"])

    assert command == (
        f"cd {tmp_path / 'pkg'} && /venv/bin/python -m pytest -p no:randomly "
        "'../tests/test_a.py::test_x[1-2]' ../tests/test_b.py::test_y"
    )


def test_report_json_has_runs_and_findings_only() -> None:
    runs = [
        OrderRun(None, [Execution("t::a"), Execution("t::b", outcome="failed")]),
        OrderRun(4, []),
    ]
    finding = Finding(
        "order-dependent",
        "t::b",
        None,
        "cd . && pytest",
        polluters=["t::a"],
        details={"polluter_sets": [["t::a"]]},
    )

    document = Report(runs, [finding], pytest_runs=3).as_json()

    assert document == {
        "runs": [
            {"seed": None, "order": "file", "tests": 2, "failed": ["t::b"]},
            {"seed": 4, "order": "random", "tests": 0, "failed": []},
        ],
        "findings": [
            {
                "kind": "order-dependent",
                "test": "t::b",
                "polluters": ["t::a"],
                "seed": None,
                "reproduce": "cd . && pytest",
                "polluter_sets": [["t::a"]],
            }
        ],
    }


def test_prefix_is_what_ran_before_on_the_same_worker() -> None:
    run = OrderRun(
        1, [Execution("t::a", "gw0"), Execution("t::b", "gw1"), Execution("t::c", "gw0")]
    )

    assert run.prefix("t::c") == ["t::a"]
    assert run.prefix("t::b") == []
