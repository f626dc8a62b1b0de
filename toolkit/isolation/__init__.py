"""The isolation engine: from "something failed in random order" to "this test
pollutes that one, here is the command".

:func:`analyse` runs a suite in file order and in random orders (pytest-randomly),
then, for every test whose outcome depends on the run, tells order dependence from
chance, finds the minimal sets of polluters (or state-setters of a brittle test) in
explicit orders, and notices tests that leave rows in the package's database. Every
outcome comes from pytest-reportlog; every finding carries a command that shows it.

This package is standard library only, so a noxfile's host process can import it:
the pytest plugins it loads into its child runs (:mod:`toolkit.isolation.order`,
:mod:`toolkit.isolation.leaks`) run inside the package's environment.
"""

from __future__ import annotations

from toolkit.isolation._engine import FLAKY_SUGGESTION, analyse
from toolkit.isolation._report import KINDS, Finding, OrderRun, Report
from toolkit.isolation._runner import IsolationError, Suite

__all__ = [
    "FLAKY_SUGGESTION",
    "KINDS",
    "Finding",
    "IsolationError",
    "OrderRun",
    "Report",
    "Suite",
    "analyse",
]
