"""PostgreSQL for test runs: one interface, three providers.

>>> from toolkit.postgres import start_server
>>> with start_server() as server:          # doctest: +SKIP
...     run_tests(env=server.environ())

The provider comes from ``TOOLKIT_POSTGRES`` (see :mod:`toolkit.postgres.selection`);
servers the toolkit starts are stopped and erased on every exit path.
"""

from __future__ import annotations

# ``typing`` costs a guardian milliseconds at every start; mypy reads the names anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from toolkit.postgres.selection import choices, choose_provider
    from toolkit.postgres.server import Server
    from toolkit.postgres.start import start_server

__all__ = ["Server", "choices", "choose_provider", "start_server"]

#: Loaded on first use: the guardians (``python -I -m toolkit.postgres._supervisor``)
#: import this package and must start in milliseconds.
_LAZY = {
    "Server": "toolkit.postgres.server",
    "choices": "toolkit.postgres.selection",
    "choose_provider": "toolkit.postgres.selection",
    "start_server": "toolkit.postgres.start",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
