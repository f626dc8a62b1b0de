"""``tomllib`` where the standard library has it (3.11+), its backport ``tomli`` before."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised in 3.10 package environments
    import tomli as tomllib

__all__ = ["tomllib"]
