"""Command lines and environments of the engine's child runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.isolation import IsolationError, analyse, order_args, order_plan, uses_xdist
from toolkit.isolation._report import Finding, Note, OrderRun, Report
from toolkit.isolation._reportlog import Execution, describe_leak
from toolkit.isolation._runner import (
    Runner,
    Suite,
    _slot_environ,
    derived_seed,
    resolve_python,
    single_process_args,
)


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

    assert _slot_environ(env, 0) == env
    assert _slot_environ(env, 2) == {
        "DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/users_s2",
        "PGDATABASE": "users_s2",
        "X": "1",
    }


def test_every_run_gets_a_temporary_folder_and_home_of_its_own(tmp_path: Path) -> None:
    env = {"HOME": "/root", "TMPDIR": "/tmp", "XDG_CACHE_HOME": "/root/.cache", "X": "1"}

    first = _slot_environ(env, 0, tmp_path / "a")
    second = _slot_environ(env, 1, tmp_path / "b")

    assert first["HOME"] == str(tmp_path / "a") and first["TMPDIR"] == str(tmp_path / "a" / "tmp")
    assert first["TEMP"] == first["TMP"] == first["TMPDIR"]
    assert first["XDG_CACHE_HOME"] == str(tmp_path / "a" / ".cache")
    assert "XDG_CONFIG_HOME" not in first  # unset stays unset: it follows HOME
    assert second["TMPDIR"] == str(tmp_path / "b" / "tmp")
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "b" / "tmp").stat().st_mode & 0o777 == 0o700
    assert env["HOME"] == "/root" and env["TMPDIR"] == "/tmp"


def test_orders_are_the_deterministic_ones_then_random_with_hashed_seeds() -> None:
    plan = order_plan(3, 7)

    assert [order for order, _ in plan] == [
        "file",
        "reverse",
        "interleave",
        "reverse-interleave",
        "alone",
        "random",
        "random",
        "random",
    ]
    assert [seed for _, seed in plan[:5]] == [None] * 5
    seeds = [seed for _, seed in plan[5:]]
    assert seeds == [derived_seed(7, index) for index in range(3)]  # replayable from 7
    assert len(set(seeds)) == 3
    assert all(abs(a - b) > 1000 for a in seeds for b in seeds if a != b)  # not consecutive
    assert [seed for _, seed in order_plan(3, 8)[5:]] != [seeds[1], seeds[2], derived_seed(8, 2)]


def test_reverse_order_is_replayed_through_the_order_plugin() -> None:
    assert order_args("reverse") == [
        "-p",
        "no:randomly",
        "-p",
        "toolkit.testing.order",
        "--isolation-reverse",
    ]
    assert order_args("random", 5) == ["-p", "randomly", "--randomly-seed=5"]
    assert order_args("reverse-interleave")[-2:] == [
        "--isolation-interleave",
        "--isolation-reverse",
    ]
    assert order_args("alone")[-1] == "--isolation-alone"


def test_relative_interpreter_path_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    monkeypatch.chdir(tmp_path)

    assert resolve_python("venv/bin/python") == python


@pytest.mark.parametrize("python", ["venv/bin/python", "no-such-python-here"])
def test_interpreter_that_does_not_exist_is_one_clear_error(tmp_path: Path, python: str) -> None:
    with pytest.raises(IsolationError) as raised:
        analyse(tmp_path, python)

    message = str(raised.value)
    assert python in message and "pass the interpreter" in message
    assert "\n" not in message


def test_suite_folder_that_does_not_exist_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IsolationError, match="not a directory; pass the folder pytest runs in"):
        analyse(tmp_path / "nope", "python3")


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


def test_report_json_lists_failing_tests_that_are_not_findings() -> None:
    notes = [
        Note("fails alone", "t::c", "fails alone", "cd . && pytest t::c"),
        Note("unconfirmed", "t::d", "failed once", "cd . && pytest"),
    ]

    report = Report([], [], pytest_runs=3, notes=notes)

    assert report.as_json() == {
        "runs": [],
        "findings": [],
        "fails_alone": [
            {"test": "t::c", "reason": "fails alone", "command": "cd . && pytest t::c"}
        ],
        "unconfirmed": [{"test": "t::d", "reason": "failed once", "command": "cd . && pytest"}],
        "unsearched": [],
        "accepted_leaks": [],
    }
    assert report.always_failing == ["t::c"]
    assert report.summary()[0].startswith("1 test(s) fail(s) even alone")


def test_report_json_lists_every_kind_of_note_even_when_empty() -> None:
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
        "fails_alone": [],
        "unconfirmed": [],
        "unsearched": [],
        "accepted_leaks": [],
    }


def test_prefix_is_what_ran_before_on_the_same_worker() -> None:
    run = OrderRun(
        1, [Execution("t::a", "gw0"), Execution("t::b", "gw1"), Execution("t::c", "gw0")]
    )

    assert run.prefix("t::c") == ["t::a"]
    assert run.prefix("t::b") == []


def test_xdist_is_recognised_in_every_spelling_the_sessions_pass_on() -> None:
    for args in (["-n", "2"], ["-n2"], ["--numprocesses=auto"], ["--dist", "loadfile", "-n", "2"]):
        assert uses_xdist(args), args
    assert not uses_xdist(["-x", "-k", "name"])


def test_leak_is_told_in_the_words_the_plugin_wrote() -> None:
    finding = Finding(
        "database-leak",
        "t::x",
        None,
        "cd . && pytest t::x",
        details={"tables": {"public.notes": "table created", "public.users": "2 rows updated"}},
    )

    assert finding.cause() == "left public.notes: table created, public.users: 2 rows updated"


def test_leak_left_by_a_fixture_names_the_fixture_and_its_scope() -> None:
    finding = Finding(
        "database-leak",
        "tests/test_a.py::test_uses",
        None,
        "cd . && pytest tests/test_a.py::test_uses",
        details={
            "tables": {"public.scratch": "table created"},
            "fixture": "tests/conftest.py::scratch",
            "scope": "module",
        },
    )

    assert finding.cause() == (
        "fixture tests/conftest.py::scratch (module scope) left public.scratch: table created"
    )


def test_leak_counts_from_plugins_of_earlier_versions_still_read_as_words() -> None:
    assert describe_leak({"public.notes": 0, "public.tags": 2, "public.users": -1}) == (
        "public.notes: rows changed, public.tags: +2 rows, public.users: -1 row"
    )


def test_alternative_state_setter_sets_are_told_apart_not_joined() -> None:
    finding = Finding(
        "brittle",
        "t::victim",
        None,
        "cd . && pytest t::victim",
        state_setters=["t::a", "t::b", "t::c"],
        details={"state_setter_sets": [["t::a", "t::b"], ["t::c"]]},
    )

    assert finding.cause() == "passes after t::a + t::b; t::c"
