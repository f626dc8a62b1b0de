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
        pytest.param((1, 2, 1, 7), LayerResult(7, 3, 1), id="errors-count-as-failed"),
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
