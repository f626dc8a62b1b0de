"""Which isolation findings fail the session: leaks by the package's policy, accepted
leaks never, order-dependent, brittle and non-deterministic ones always."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.host.config import Package
from toolkit.host.isolation import _failing, _verdict
from toolkit.isolation import Finding, Report

PACKAGE = Package("notes", Path("notes"), 80.0, "default", {"unit": None, "integration": None})


def _leak(test: str, fixture: str | None = None) -> Finding:
    details = {"tables": {"public.notes": "+1 row"}}
    if fixture:
        details.update(fixture=fixture, scope="module")
    return Finding("database-leak", test, None, f"pytest {test}", details=details)


ORDER = Finding("order-dependent", "t::victim", 1, "pytest t::p t::victim", polluters=["t::p"])


@pytest.mark.parametrize(
    ("policy", "findings", "fails"),
    [
        ("fail", [_leak("t::a")], True),
        ("report", [_leak("t::a")], False),
        ("report", [_leak("t::a"), ORDER], True),
        ("off", [ORDER], True),
    ],
)
def test_leaks_fail_only_under_the_fail_policy_and_order_findings_always(
    policy: str, findings: list[Finding], fails: bool
) -> None:
    package = replace(PACKAGE, isolation_leaks=policy)

    assert _failing(package, Report([], findings, 0)) is fails


def test_under_report_the_verdict_counts_only_what_fails() -> None:
    package = replace(PACKAGE, isolation_leaks="report")

    verdict = _verdict(package, Report([], [_leak("t::a"), ORDER], 0))

    assert "1 test(s) fail only in some orders (1 order-dependent)" in verdict
    assert "leak" not in verdict


def test_an_accepted_leak_leaves_the_findings_and_a_stale_entry_is_returned() -> None:
    report = Report([], [_leak("t::a"), _leak("t::b", fixture="tests/conftest.py::seed"), ORDER], 0)

    stale = report.accept_leaks(["tests/conftest.py::seed", "t::victim", "t::gone"])

    assert [f.test for f in report.findings] == ["t::a", "t::victim"]
    assert [f.details["fixture"] for f in report.accepted] == ["tests/conftest.py::seed"]
    assert stale == ["t::victim", "t::gone"]  # an order-dependent test is never accepted
    assert report.as_json()["accepted_leaks"][0]["fixture"] == "tests/conftest.py::seed"
