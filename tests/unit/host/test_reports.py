"""Reading back what pytest and the sessions wrote under reports/."""

from __future__ import annotations

import pytest

from toolkit.host import reports
from toolkit.host.config import RepoConfig
from toolkit.host.reports import LayerResult, Outcome
from toolkit.host.shards import Shard

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="api-unit" errors="{errors}" failures="{failures}"
 skipped="{skipped}" tests="{tests}"></testsuite></testsuites>"""


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param((0, 0, 0, 5), LayerResult(5, 0, 0), id="all-passed"),
        pytest.param((1, 2, 1, 7), LayerResult(7, 2, 1, errors=1), id="errors-apart-from-failures"),
    ],
)
def test_layer_result_counts_junit_tests(config: RepoConfig, counts, expected) -> None:
    api = config.package("api")
    errors, failures, skipped, tests = counts
    path = reports.junit_path(config, api, "unit")
    path.write_text(JUNIT.format(errors=errors, failures=failures, skipped=skipped, tests=tests))

    assert reports.layer_result(reports.junit_paths(config, api, "unit")) == expected


def test_layer_result_adds_up_shards_and_ignores_broken_files(config: RepoConfig) -> None:
    api = config.package("api")
    for index in (1, 2):
        path = reports.junit_path(config, api, "unit", Shard(index, 2))
        path.write_text(JUNIT.format(errors=0, failures=index - 1, skipped=0, tests=3))
    reports.junit_path(config, api, "integration").write_text("<not xml")

    assert reports.layer_result(reports.junit_paths(config, api, "unit")) == LayerResult(6, 1, 0)
    assert reports.layer_result(reports.junit_paths(config, api, "integration")) is None


OUTCOMES = """
import pytest

@pytest.fixture
def broken_setup():
    raise ConnectionError("no database here")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

@pytest.mark.parametrize("n", range(3))
def test_setup_errors(broken_setup, n):
    pass

def test_fails():
    assert False

def test_passes():
    pass

def test_passes_then_teardown_errors(broken_teardown):
    pass

def test_fails_then_teardown_errors(broken_teardown):
    assert False

def test_skipped_then_teardown_errors(broken_teardown):
    pytest.skip("not today")

def test_skipped():
    pytest.skip("not today")
"""


def test_layer_result_says_what_pytest_says(config: RepoConfig, pytester: pytest.Pytester) -> None:
    """Failures and errors apart, counted as pytest's closing line counts them."""
    api = config.package("api")
    junit = reports.junit_path(config, api, "unit")
    pytester.makepyfile(test_outcomes=OUTCOMES)

    said = pytester.runpytest(f"--junitxml={junit}", "-p", "no:randomly").parseoutcomes()

    result = reports.layer_result([junit])
    assert said == {"passed": 2, "failed": 2, "skipped": 2, "errors": 6}
    assert result is not None
    assert (result.passed, result.failed, result.skipped, result.errors) == (2, 2, 2, 6)


def test_shards_have_their_own_file_names(config: RepoConfig) -> None:
    api = config.package("api")

    assert reports.part_name("unit") == "unit"
    assert reports.part_name("unit", Shard(2, 4)) == "unit-2of4"
    assert reports.coverage_data(config, api, "unit", Shard(2, 4)).name == "unit-2of4.coverage"


def test_an_outcome_survives_the_round_trip(config: RepoConfig) -> None:
    api = config.package("api")

    reports.write_outcome(config, api, "unit", Outcome("error", "ImportError: x"))

    assert reports.read_outcome(config, api, "unit") == Outcome("error", "ImportError: x")
    assert reports.read_outcome(config, api, "integration") is None
