"""What the report says the orders covered, and how many random orders run."""

from __future__ import annotations

from toolkit.isolation._engine import MAX_RANDOM, MIN_RANDOM, random_orders
from toolkit.isolation._exposure import Exposure, sibling_groups, unit_path
from toolkit.isolation._report import OrderRun
from toolkit.isolation._reportlog import Execution

TESTS = [
    "t/test_a.py::TestP::test_1",
    "t/test_a.py::TestC::test_1",
    "t/test_a.py::TestV::test_1",
    "t/test_a.py::TestV::test_2",
    "t/test_b.py::test_f",
]


def _run(order: str, tests: list[str], workers: list[str] | None = None) -> OrderRun:
    workers = workers or [""] * len(tests)
    return OrderRun(None, [Execution(t, w) for t, w in zip(tests, workers, strict=True)], order)


def test_units_are_module_class_and_test_and_functions_sit_beside_classes() -> None:
    assert unit_path(TESTS[2]) == ("t/test_a.py", "t/test_a.py::TestV", TESTS[2])
    assert unit_path("t/test_b.py::test_f[1]") == ("t/test_b.py", "t/test_b.py::test_f[1]")
    # modules; classes of a, functions of b; tests of each class
    assert sorted(map(len, sibling_groups(TESTS))) == [1, 1, 1, 2, 2, 3]


def test_pairs_count_only_direct_neighbours_in_one_process() -> None:
    file = _run("file", TESTS)
    # P and V were never neighbours in file order (C between); the reverse interleaved
    # order makes them so, and the alone run counts for nothing.
    reverse_interleave = _run("reverse-interleave", [TESTS[4], TESTS[1], *TESTS[2:4], TESTS[0]])
    split = _run(
        "random", [TESTS[0], TESTS[2], TESTS[3], TESTS[1], TESTS[4]], ["gw0", "gw1"] * 2 + ["gw0"]
    )
    alone = _run("alone", list(reversed(TESTS)), [f"alone-{i}" for i in range(5)])

    first = Exposure.of([file], TESTS, 0, 3)
    more = Exposure.of([file, reverse_interleave, split, alone], TESTS, 1, 3)

    assert first.pairs == (2, 6, 2) and first.covered == (1, 2, 1)
    # reverse interleaved: b->a, C->V, V->P, V tests 1->2; the xdist run: gw0 runs P then C.
    assert more.covered == (2, 5, 1)
    assert more.orders == ("file", "reverse-interleave", "alone")
    line = more.line()
    assert line.startswith(
        "orders: file, reverse interleaved, each test alone, 1 random; ran as direct "
        "neighbours: 2/2 pairs of modules, 5/6 pairs of classes and functions of a module, "
        "1/2 pairs of tests of a class; "
    )
    assert line.endswith("isolation_orders = 3 (or a longer isolation_budget) covers more")


def test_every_pair_covered_says_so_and_asks_for_nothing() -> None:
    tests = ["t/test_a.py::test_1", "t/test_a.py::test_2"]
    exposure = Exposure.of([_run("file", tests), _run("reverse", tests[::-1])], tests, 0, 3)

    assert exposure.complete
    assert exposure.line().endswith("2/2 pairs of classes and functions of a module (all)")
    assert exposure.as_json()["neighbours"]["modules"] == {"covered": 0, "pairs": 0}


def test_random_orders_follow_the_largest_group_of_siblings_within_bounds() -> None:
    functions = [f"t/test_a.py::test_{i}" for i in range(9)]

    assert random_orders(functions, 1.0, None, 2) == (9, 9)
    assert random_orders(functions[:2], 1.0, None, 2) == (MIN_RANDOM, MIN_RANDOM)
    many = [f"t/test_a.py::test_{i}" for i in range(50)]
    assert random_orders(many, 1.0, None, 2) == (MAX_RANDOM, MAX_RANDOM)


def test_random_orders_fit_in_the_budget_left_but_one_always_runs() -> None:
    functions = [f"t/test_a.py::test_{i}" for i in range(9)]

    # 40% of 100 s left, two at a time, 20 s each: four orders.
    assert random_orders(functions, 20.0, 100.0, 2) == (4, 9)
    assert random_orders(functions, 500.0, 100.0, 1) == (1, 9)
    assert random_orders(functions, 20.0, -5.0, 1) == (1, 9)
