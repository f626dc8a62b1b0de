"""Reading pytest-reportlog files into executions."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.isolation._reportlog import read_executions


def _entry(nodeid: str, when: str, outcome: str, *, position: int | None = None, **extra) -> dict:
    properties = [] if position is None else [["isolation_position", position]]
    properties += extra.pop("properties", [])
    return {
        "$report_type": "TestReport",
        "nodeid": nodeid,
        "when": when,
        "outcome": outcome,
        "user_properties": properties,
        "keywords": extra.pop("keywords", {}),
        "duration": 0.5,
        **extra,
    }


def _log(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "log.jsonl"
    path.write_text(
        "\n".join(json.dumps(entry) for entry in [{"$report_type": "SessionStart"}, *entries])
    )
    return path


def _phases(nodeid: str, call: str = "passed", **extra) -> list[dict]:
    return [
        _entry(nodeid, "setup", "passed", **extra),
        _entry(nodeid, "call", call, **extra),
        _entry(nodeid, "teardown", "passed", **extra),
    ]


def test_same_test_twice_in_one_run_gives_two_executions_by_position(tmp_path: Path) -> None:
    entries = (
        _phases("t::v", position=0)
        + _phases("t::p", position=1)
        + _phases("t::v", "failed", position=2)
    )

    executions = read_executions(_log(tmp_path, entries))

    assert [(e.test, e.outcome, e.position) for e in executions] == [
        ("t::v", "passed", 0),
        ("t::p", "passed", 1),
        ("t::v", "failed", 2),
    ]


def test_rerun_test_counts_by_its_final_attempt(tmp_path: Path) -> None:
    entries = [
        _entry("t::flaky", "setup", "passed"),
        _entry("t::flaky", "call", "rerun"),
        *_phases("t::flaky", keywords={"flaky": 1}),
    ]

    (execution,) = read_executions(_log(tmp_path, entries))

    assert execution.outcome == "passed"
    assert execution.marked_flaky is True


def test_failing_setup_or_teardown_fails_the_execution(tmp_path: Path) -> None:
    entries = [
        _entry("t::a", "setup", "failed"),
        _entry("t::a", "teardown", "passed"),
        _entry("t::b", "setup", "passed"),
        _entry("t::b", "call", "passed"),
        _entry("t::b", "teardown", "failed"),
    ]

    assert [e.failed for e in read_executions(_log(tmp_path, entries))] == [True, True]


def test_workers_and_leaks_are_read(tmp_path: Path) -> None:
    leak = [["isolation_leak", {"public.notes": 2}]]
    entries = _phases("t::a", worker_id="gw1") + [
        _entry("t::b", "setup", "passed"),
        _entry("t::b", "call", "passed"),
        _entry("t::b", "teardown", "passed", properties=leak),
    ]

    first, second = read_executions(_log(tmp_path, entries))

    assert (first.worker, first.leak) == ("gw1", {})
    assert (second.worker, second.leak) == ("", {"public.notes": 2})


def test_a_fixture_leak_is_read_once_from_the_reports_it_rides_on(tmp_path: Path) -> None:
    leak = {
        "fixture": "tests/conftest.py::seed",
        "scope": "session",
        "tables": {"public.audit": "+2 rows"},
        "tests": ["t::a"],
    }
    other = dict(leak, fixture="tests/conftest.py::flags", scope="package")
    entries = [
        _entry("t::b", "setup", "passed"),
        _entry("t::b", "call", "passed"),
        _entry(
            "t::b",
            "teardown",
            "passed",
            # Two properties of one name (as plugins of earlier versions wrote them).
            properties=[["isolation_fixture_leak", [leak]], ["isolation_fixture_leak", [other]]],
        ),
    ]

    (execution,) = read_executions(_log(tmp_path, entries))

    assert execution.fixture_leaks == [leak, other]
    assert execution.leak == {}


def test_missing_log_means_no_executions(tmp_path: Path) -> None:
    assert read_executions(tmp_path / "absent.jsonl") == []
