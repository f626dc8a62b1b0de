"""The isolation engine: from "something failed in random order" to "this test
pollutes that one, here is the command".

:func:`analyse` runs a suite in file order, its exact reverse and random orders
(pytest-randomly), then examines every test that failed in any of them in sequential
runs of fresh processes: it tells order dependence from chance, finds the minimal sets
of polluters (or state-setters of a brittle test) in explicit orders, and notices tests
and fixtures that leave the package's database changed (:mod:`toolkit.isolation._leaks`).
Only what reproduces one process at a time is a finding. Every outcome comes from
pytest-reportlog; every finding carries a command that shows it.

This package is standard library only, so a noxfile's host process can import it:
the pytest plugins it loads into its child runs (:mod:`toolkit.testing.order`,
:mod:`toolkit.testing.leaks`) run inside the package's environment.
"""

from __future__ import annotations

from toolkit.isolation._engine import DEFAULT_BUDGET, FLAKY_SUGGESTION, analyse, order_plan
from toolkit.isolation._report import KINDS, Finding, Note, OrderRun, Report
from toolkit.isolation._runner import IsolationError, Suite, order_args, uses_xdist

__all__ = [
    "DEFAULT_BUDGET",
    "FLAKY_SUGGESTION",
    "Finding",
    "IsolationError",
    "KINDS",
    "Note",
    "OrderRun",
    "Report",
    "Suite",
    "analyse",
    "order_args",
    "order_plan",
    "uses_xdist",
]
