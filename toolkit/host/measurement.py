"""Which coverage core a layer's pytest run measures with, per interpreter.

coverage.py's default core is its C tracer up to Python 3.13; ``sys.monitoring``
(``COVERAGE_CORE=sysmon``, PEP 669) costs far less for line coverage, but before
Python 3.14 it cannot measure branches, dynamic contexts or some concurrency
libraries, and coverage falls back to the C tracer with a warning. So the layer asks
for ``sysmon`` on 3.12 and 3.13 when the package's coverage ``[run]`` settings ask for
none of those; on 3.14 coverage picks ``sysmon`` itself, branches included. A
``COVERAGE_CORE`` the user set wins. Measured by ``benchmarks/coverage_cost.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from toolkit.host.config import Package

__all__ = ["coverage_environ", "requested_core"]

#: Interpreters with sys.monitoring whose coverage default is still the C tracer.
_SYSMON_BY_REQUEST = ("3.12", "3.13")
#: concurrency values sys.monitoring measures (coverage refuses the others).
_SYSMON_CONCURRENCY = {"thread"}


def _run_settings(package: Package) -> dict[str, Any]:
    """Its ``[run]`` settings, from the file coverage.py reads for it."""
    return package.coverage.run


def _sysmon_measures(run: Mapping[str, Any]) -> bool:
    """Whether sys.monitoring (3.12, 3.13) can measure what the package asks for."""
    concurrency = run.get("concurrency", [])
    concurrency = [concurrency] if isinstance(concurrency, str) else list(concurrency)
    return (
        not run.get("branch", False)
        and not run.get("dynamic_context")
        and set(concurrency) <= _SYSMON_CONCURRENCY
    )


def requested_core(run_settings: Mapping[str, Any], python_minor: str) -> str | None:
    """The core to ask for, given coverage ``[run]`` settings; None leaves it to coverage
    (and to a ``core`` the package chose itself: ``COVERAGE_CORE`` would override it)."""
    if "core" in run_settings:
        return None
    if python_minor in _SYSMON_BY_REQUEST and _sysmon_measures(run_settings):
        return "sysmon"
    return None


def coverage_environ(package: Package, python_minor: str) -> dict[str, str]:
    """``COVERAGE_CORE=sysmon`` where it is the cheaper core coverage would not pick."""
    if "COVERAGE_CORE" in os.environ or python_minor not in _SYSMON_BY_REQUEST:
        return {}
    core = requested_core(_run_settings(package), python_minor)
    return {"COVERAGE_CORE": core} if core else {}
