"""Settings every provider shares: the server's test settings (a server whose files are
deleted after the run needs no durability), and how numbers are read from the
environment."""

from __future__ import annotations

import os

from toolkit import variables
from toolkit.errors import ToolkitError

__all__ = ["TEST_SETTINGS", "major_from_env", "port_from_env", "whole_number_from_env"]

TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    # Dynamic shared memory as files in the data folder, not /dev/shm/PostgreSQL.*:
    # a postmaster killed outright leaves nothing outside the folder we remove.
    "dynamic_shared_memory_type": "mmap",
}


def whole_number_from_env(name: str, low: int, high: int, what: str, fix: str) -> int | None:
    """``$name`` as a number from ``low`` to ``high``; None when unset; else one line."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ToolkitError(f"{name}={raw!r} is not {what}", fix)
    return int(raw)


def major_from_env() -> int | None:
    """``TOOLKIT_POSTGRES_VERSION``: the major version a repository tests against."""
    return whole_number_from_env(
        variables.POSTGRES_VERSION,
        10,
        99,
        "a PostgreSQL major version",
        "use a major such as 16 or 17, or unset it",
    )


def port_from_env() -> int | None:
    """``TOOLKIT_POSTGRES_PORT``: the embedded server's fixed port."""
    return whole_number_from_env(
        "TOOLKIT_POSTGRES_PORT",
        1,
        65535,
        "a port number",
        "use a number from 1 to 65535, or unset it for a free port",
    )
