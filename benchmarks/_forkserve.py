"""pytest plugin for the recall sweep: one pytest process collects a planted suite once,
then runs each order it is sent in a process forked for that run alone.

``--forkserve=READ,WRITE`` names two file descriptors: each line read is a JSON request,
``{"order": "file" | "reverse" | "interleave" | "reverse-interleave" | "alone" |
"random", "seed": N}`` (a whole-suite order, computed as the engine's runs compute it:
the toolkit's order plugin for the deterministic ones, pytest-randomly's own shuffle for
random ones) or ``{"ids": [...]}`` (an explicit order, repeats allowed); each reply line
is, per process, the executions ``[nodeid, outcome, duration]`` in the order they ran.

A fork of a process that collected the suite and ran nothing is what a fresh pytest
run is once it has collected: the same for the planted suites, whose state lives in
imported modules, the environment and the working directory. It is not the same for
a suite whose outcomes depend on time, concurrency or import-time side effects of
modules an explicit run would not collect: the sweep runs those for real.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from toolkit.testing.order import _interleaved


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--forkserve", default=None)


def _sequences(session: pytest.Session, request: dict[str, Any]) -> list[list[pytest.Item]]:
    items = list(session.items)
    if "ids" in request:
        by_id = {item.nodeid: item for item in items}
        return [[by_id[nodeid] for nodeid in request["ids"]]]
    order = request["order"]
    if order == "alone":
        return [[item] for item in items]
    if order == "random":
        import pytest_randomly

        session.config.option.randomly_seed = request["seed"]
        pytest_randomly._reorganize_items(session.config, items)
        return [items]
    if order in ("interleave", "reverse-interleave"):
        items = _interleaved(items)
    if order in ("reverse", "reverse-interleave"):
        items.reverse()
    return [items]


def _run(sequence: list[pytest.Item]) -> list[list[Any]]:
    """``sequence`` in a forked child, as pytest's main loop runs it."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the server's threads wait
        pid = os.fork()
    if pid == 0:
        os.close(read)
        executions = []
        for index, item in enumerate(sequence):
            following = sequence[index + 1] if index + 1 < len(sequence) else None
            reports = runtestprotocol(item, nextitem=following, log=False)
            outcome = "passed"
            if any(report.failed for report in reports):
                outcome = "failed"
            elif any(report.skipped for report in reports):
                outcome = "skipped"
            executions.append([item.nodeid, outcome, sum(r.duration for r in reports)])
        with os.fdopen(write, "w") as channel:
            json.dump(executions, channel)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as channel:
        text = channel.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else []


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    spec = session.config.getoption("forkserve")
    if not spec:
        return None
    read, write = (int(fd) for fd in spec.split(","))
    with os.fdopen(read) as requests, os.fdopen(write, "w") as replies:
        for line in requests:
            request = json.loads(line)
            replies.write(json.dumps([_run(s) for s in _sequences(session, request)]) + "\n")
            replies.flush()
    return True
