"""A pytest plugin for benchmarks/workers.py: when each process reached which point.

Loaded with ``-p _timing_plugin`` (xdist hands the option to its workers). Every
process (the controller and each worker) appends one JSON line to the file named by
``TOOLKIT_BENCH_TIMING``: epoch seconds of its start (from ``/proc``), of this
plugin's import (Python and pytest imported), of the session's start (every plugin
and the initial conftests loaded, the database cloned), of collection's end (test
modules imported), of its first and last test, and of the session's end.
"""

from __future__ import annotations

import json
import os
import time

import pytest

_IMPORTED = time.time()
_POINTS: dict[str, float] = {"imported": _IMPORTED}


def _process_start() -> float:
    """When this process started, to about 10 ms (clock ticks since boot)."""
    with open("/proc/self/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    started_ticks = int(fields[19])  # field 22 of the whole line
    with open("/proc/uptime") as handle:
        uptime = float(handle.read().split()[0])
    return time.time() - (uptime - started_ticks / os.sysconf("SC_CLK_TCK"))


_POINTS["process"] = _process_start()


def pytest_sessionstart(session: pytest.Session) -> None:
    _POINTS["sessionstart"] = time.time()


def pytest_collection_finish(session: pytest.Session) -> None:
    _POINTS["collected"] = time.time()


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _POINTS.setdefault("first_test", time.time())


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _POINTS["last_test"] = time.time()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    _POINTS["sessionfinish"] = time.time()


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get("TOOLKIT_BENCH_TIMING")
    if not path:
        return
    worker = getattr(config, "workerinput", {}).get("workerid", "controller")
    with open(path, "a") as handle:
        handle.write(json.dumps({"who": worker, **_POINTS, "unconfigure": time.time()}) + "\n")
