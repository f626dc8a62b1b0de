"""Environment variables the sessions hand to the package environments.

The host (nox's process) and the code in package environments (the pytest plugin,
``toolkit template``) agree on these names and on nothing else.
"""

from __future__ import annotations

__all__ = [
    "COVERAGE_PARTS",
    "COVERAGE_REPORT",
    "LAYER",
    "POSTGRES_VERSION",
    "RUN_ID",
    "SALT",
    "TEMPLATE",
]

#: The layer a pytest run belongs to (``unit`` is hermetic).
LAYER = "TOOLKIT_LAYER"
#: The template database every pytest process clones its own database from.
TEMPLATE = "TOOLKIT_DATABASE_TEMPLATE"
#: Changes every template's fingerprint: a template to rebuild for reasons no file shows.
SALT = "TOOLKIT_TEMPLATE_SALT"
#: What sets one run's databases apart on a server several runs share.
RUN_ID = "TOOLKIT_RUN_ID"
#: The PostgreSQL major a repository tests against (``[tool.toolkit] postgres`` sets it).
POSTGRES_VERSION = "TOOLKIT_POSTGRES_VERSION"
#: The package's reports folder: a layer's pytest run combines and reports coverage
#: there once its own data is saved, so the coverage session need not start Python.
COVERAGE_REPORT = "TOOLKIT_COVERAGE_REPORT"
#: The coverage data files (``os.pathsep``-separated) that report combines.
COVERAGE_PARTS = "TOOLKIT_COVERAGE_PARTS"
