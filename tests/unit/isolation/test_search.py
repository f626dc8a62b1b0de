"""The search on a model of pollution: a victim flips once every test of some polluter
set has run before it in the same process. No pytest runs: the oracle is the model."""

from __future__ import annotations

import pytest

from toolkit.isolation._search import Search, chunk_count, shared_last

VICTIM = "test_victim"


def _model(polluter_sets: list[set[str]]):
    calls: list[list[str]] = []

    def oracle(order: list[str]) -> list[bool]:
        calls.append(order)
        ran: set[str] = set()
        flips = []
        for test in order:
            if test == VICTIM:
                flips.append(any(group <= ran for group in polluter_sets))
            else:
                ran.add(test)
        return flips

    return oracle, calls


def _search(tests: list[str], polluter_sets: list[set[str]]) -> tuple[Search, list[list[str]]]:
    oracle, calls = _model(polluter_sets)
    return Search(VICTIM, oracle, {test: index for index, test in enumerate(tests)}), calls


TESTS = [f"test_{index:03d}" for index in range(256)]


@pytest.mark.parametrize("polluter", ["test_000", "test_117", "test_255"])
def test_one_polluter_among_256_is_found_in_four_runs(polluter: str) -> None:
    search, calls = _search(TESTS, [{polluter}])

    alone, last = search.alone_and_last(TESTS)
    found = search.minimal_set(TESTS, last)

    assert alone is False
    assert found == [polluter]
    assert search.runs <= 3  # two probe runs and the plain run that is the reproduction
    assert [*found, VICTIM] in calls  # the reported command was run as such


def test_two_polluters_harmful_only_together_are_reported_together() -> None:
    search, _ = _search(TESTS[:40], [{"test_007", "test_031"}])

    found = search.minimal_set(TESTS[:40])

    assert found == ["test_007", "test_031"]


def test_a_victim_that_changes_state_itself_gets_no_test_it_does_not_need() -> None:
    """A victim that fails after the polluter only on its odd executions: the probes run
    it between chunks, so it first flips after a test that plays no part."""
    calls: list[list[str]] = []

    def oracle(order: list[str]) -> list[bool]:
        calls.append(order)
        polluted, executions, flips = False, 0, []
        for test in order:
            if test == VICTIM:
                executions += 1
                flips.append(polluted and executions % 2 == 1)
            polluted = polluted or test == "test_001"
        return flips

    tests = TESTS[:4]
    search = Search(VICTIM, oracle, {test: index for index, test in enumerate(tests)})

    found = search.minimal_set(tests)

    assert found == ["test_001"]
    assert oracle([*found, VICTIM]) == [True]


def test_independent_polluters_are_each_reported() -> None:
    search, _ = _search(TESTS[:40], [{"test_012"}, {"test_030"}])

    first = search.minimal_set(TESTS[:40])
    sets, complete = search.all_sets(TESTS[:40], first, limit=5)

    assert sets == [["test_012"], ["test_030"]]
    assert complete is True


def test_search_stops_at_its_limit_and_says_so() -> None:
    search, _ = _search(TESTS[:20], [{"test_001"}, {"test_005"}, {"test_009"}])

    first = search.minimal_set(TESTS[:20])
    sets, complete = search.all_sets(TESTS[:20], first, limit=2)

    assert sets == [["test_001"], ["test_005"]]
    assert complete is False


def test_candidates_that_do_not_flip_the_victim_give_nothing() -> None:
    search, _ = _search(TESTS[:30], [{"test_not_there"}])

    assert search.minimal_set(TESTS[:30]) is None


def test_probe_reports_the_victim_alone() -> None:
    search, _ = _search(TESTS[:10], [set()])  # flips even alone

    alone, _ = search.alone_and_last(TESTS[:10])

    assert alone is True


@pytest.mark.parametrize(
    ("candidates", "seconds", "expected"),
    [
        (1, 0.01, 1),
        (2, 0.01, 2),
        (40, 0.01, 40),
        (256, 0.01, 16),
        (3000, 0.01, 55),
        (256, 10.0, 3),
    ],
)
def test_probes_per_run_cover_few_candidates_and_grow_as_the_square_root_of_many(
    candidates: int, seconds: float, expected: int
) -> None:
    assert chunk_count(candidates, seconds) == expected


def _shared_model(causes: dict[str, list[set[str]]]):
    """Several victims, each flipping once one of its polluter sets ran before it."""
    calls: list[list[str]] = []

    def oracle(order: list[str]) -> dict[str, list[bool]]:
        calls.append(order)
        ran: set[str] = set()
        flips: dict[str, list[bool]] = {}
        for test in order:
            if test in causes:
                flips.setdefault(test, []).append(any(group <= ran for group in causes[test]))
            else:
                ran.add(test)
        return flips

    return oracle, calls


def test_victims_of_one_polluter_are_narrowed_by_the_same_runs() -> None:
    victims = [f"victim_{index}" for index in range(8)]
    oracle, calls = _shared_model({victim: [{"test_117"}] for victim in victims})

    found = shared_last(oracle, TESTS, victims)

    assert found == dict.fromkeys(victims, 117)
    assert len(calls) <= 2  # what one victim alone costs


def test_victims_with_different_polluters_part_ways() -> None:
    oracle, calls = _shared_model(
        {"v1": [{"test_010"}], "v2": [{"test_010"}], "v3": [{"test_200"}], "v4": [{"not_there"}]}
    )

    found = shared_last(oracle, TESTS, ["v1", "v2", "v3", "v4"])

    assert found == {"v1": 10, "v2": 10, "v3": 200, "v4": None}
    assert len(calls) <= 3
