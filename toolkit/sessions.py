"""Importing this module from a noxfile registers the toolkit's sessions.

::

    # noxfile.py
    import toolkit.sessions

registers ``unit``, ``integration``, ``coverage``, ``isolation`` (per package) and
``summary`` for the repository in nox's working directory, configured by its
``[tool.toolkit]``. To rename or leave out sessions, use
:func:`toolkit.host.registration.register` instead of this import.
"""

from __future__ import annotations

import sys
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.host.registration import register

__all__: list[str] = []

try:
    config = register(Path.cwd())
except ToolkitError as error:
    # nox would print a traceback for an exception raised while loading the noxfile.
    print(f"toolkit: error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
