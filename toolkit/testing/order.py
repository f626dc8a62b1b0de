"""pytest plugin the isolation engine loads into its child runs (``-p toolkit.testing.order``).

Every run the engine starts must execute exactly the tests it chose, in exactly its
order, and say which outcome belongs to which position, without scraping terminal
text. The engine writes the node ids, one a line, to a file named by
``--isolation-order``; this plugin reorders the collected items to that list (a test
may appear twice: "alone first, then after the suspects" costs one run instead of
two) and deselects the rest. Each execution's position is attached to its reports as
the user property ``isolation_position``, which pytest-reportlog writes out.
``--isolation-info`` names a file that receives the run's rootdir, against which node
ids are relative. ``--isolation-reverse`` runs the collected tests in the exact reverse
of file order: with file order, every pair of tests then runs in both relative orders.
``--isolation-interleave`` runs, at every level (modules, then classes and functions of
a module, then a class's tests), the units at even positions, then those at odd ones:
two units one apart in file order (a polluter, a test that cleans up, a victim) become
neighbours, the pair a file-order run hides behind the cleaner. Both flags together run
the interleaved order reversed: the same neighbours, each in the other relative order.
``--isolation-alone`` runs each test in a process forked for it from the one that
collected the suite: setup, call and teardown of every fixture it uses, session ones
included, with nothing run before it; one pytest run shows every test that fails when
it runs first (the engine confirms each in a fresh process before it reports it).

pytest-randomly must be off in these runs (``-p no:randomly``): the order is ours.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Generator
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

__all__ = ["POSITION"]

#: The user property carrying an execution's position in the requested order.
POSITION = "isolation_position"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("isolation", "toolkit isolation engine (internal)")
    group.addoption(
        "--isolation-order", metavar="FILE", help="run exactly these node ids, in order"
    )
    group.addoption("--isolation-info", metavar="FILE", help="write the run's rootdir here (JSON)")
    group.addoption(
        "--isolation-interleave",
        action="store_true",
        help="even units, then odd ones, at every level of file order",
    )
    group.addoption(
        "--isolation-alone",
        action="store_true",
        help="run each test in a process forked for it alone",
    )
    group.addoption(
        "--isolation-reverse",
        action="store_true",
        help="run the collected tests in the exact reverse of file order (with "
        "--isolation-interleave: of the interleaved order)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("isolation_alone"):
        config.pluginmanager.register(_Alone(), "isolation-alone")
    info = config.getoption("isolation_info")
    if info:
        Path(info).write_text(json.dumps({"rootdir": str(config.rootpath)}))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = config.getoption("isolation_order")
    if not order:
        if config.getoption("isolation_interleave"):
            items[:] = _interleaved(items)
        if config.getoption("isolation_reverse"):
            items.reverse()
        return
    wanted = [line for line in Path(order).read_text().splitlines() if line]
    by_id = {item.nodeid: item for item in items}
    missing = [nodeid for nodeid in wanted if nodeid not in by_id]
    if missing:
        raise pytest.UsageError(
            f"isolation: {len(missing)} requested test(s) were not collected, e.g. {missing[0]}"
        )
    chosen = set(wanted)
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in chosen])
    items[:] = [by_id[nodeid] for nodeid in wanted]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    session.stash[_NEXT] = 0
    return (yield)


_NEXT = pytest.StashKey[int]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Tag this execution's reports with its position (the same item may run twice)."""
    position = item.session.stash.get(_NEXT, 0)
    item.session.stash[_NEXT] = position + 1
    item.user_properties[:] = [prop for prop in item.user_properties if prop[0] != POSITION] + [
        (POSITION, position)
    ]
    return (yield)


class _Alone:
    """Registered with ``--isolation-alone``: each test in a forked process, its
    reports logged here (the position wrapper above still tags them)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for report in _forked(item):
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True


def _forked(item: pytest.Item) -> list[pytest.TestReport]:
    """Run ``item``'s whole protocol (every fixture set up and torn down) in a child
    process; its reports come back through a pipe, as pytest serialises them."""
    config = item.config
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Forking a process with threads is what this is; a suite's filterwarnings
        # = error must not turn Python's warning about it into the test's failure.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: run, send the reports, exit without cleaning up the parent's
        os.close(read)
        code = 0
        try:
            reports = runtestprotocol(item, nextitem=None, log=False)
            data = [
                config.hook.pytest_report_to_serializable(config=config, report=r) for r in reports
            ]
            with os.fdopen(write, "w") as channel:
                json.dump(data, channel)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as channel:
        text = channel.read()
    _, status = os.waitpid(pid, 0)
    if status == 0 and text:
        return [
            config.hook.pytest_report_from_serializable(config=config, data=entry)
            for entry in json.loads(text)
        ]
    reason = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {status >> 8}"
    return [
        pytest.TestReport(
            item.nodeid,
            item.location,
            {name: 1 for name in item.keywords},
            "failed",
            f"the process forked to run the test alone ended with {reason}",
            "call",
            user_properties=list(item.user_properties),
        )
    ]


def _unit_key(item: pytest.Item, level: int) -> str:
    """The unit ``item`` belongs to at ``level``: 0 its module, 1 its class (or the
    function itself), 2 the test."""
    parts = item.nodeid.split("::")
    if level == 0:
        return parts[0]
    if level == 1:
        return "::".join(parts[:2])
    return item.nodeid


def _interleaved(items: list[pytest.Item], level: int = 0) -> list[pytest.Item]:
    if level > 2 or len(items) <= 1:
        return list(items)
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(_unit_key(item, level), []).append(item)
    groups = list(units.values())
    ordered = groups[0::2] + groups[1::2]
    return [item for group in ordered for item in _interleaved(group, level + 1)]
