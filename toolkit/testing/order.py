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
neighbours, the pair a file-order run hides behind the cleaner.

pytest-randomly must be off in these runs (``-p no:randomly``): the order is ours.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path

import pytest

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
        "--isolation-reverse",
        action="store_true",
        help="run the collected tests in the exact reverse of file order",
    )


def pytest_configure(config: pytest.Config) -> None:
    info = config.getoption("isolation_info")
    if info:
        Path(info).write_text(json.dumps({"rootdir": str(config.rootpath)}))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = config.getoption("isolation_order")
    if not order:
        if config.getoption("isolation_reverse"):
            items.reverse()
        elif config.getoption("isolation_interleave"):
            items[:] = _interleaved(items)
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
