"""monorepo-toolkit: shared nox sessions, PostgreSQL provisioning and pytest fixtures.

Kept import-light on purpose: noxfiles, the pytest plugin and the server supervisor
all import from here, and none of them should pay for SQLAlchemy or testcontainers
before they need them.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
