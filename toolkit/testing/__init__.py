"""pytest support: the plugin's fixtures and the declaration a package hands them.

The plugin itself (:mod:`toolkit.testing.plugin`) is loaded by pytest through the
``pytest11`` entry point; packages only import :class:`Service` from here.
"""

from __future__ import annotations

from toolkit.testing.service import Service

__all__ = ["Service"]
