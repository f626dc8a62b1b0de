"""The child process that times one server start: imports, start to first row, stop.

Each start runs in a fresh interpreter so that imports are counted as a user pays them.
"""

from __future__ import annotations

__all__ = ["start_script"]

_TEMPLATE = """
import json, time
t0 = time.perf_counter()
from toolkit.postgres import start_server
import psycopg
t1 = time.perf_counter()
server = start_server({provider!r})
try:
    with psycopg.connect(server.dsn()) as connection:
        connection.execute("SELECT 1").fetchone()
    t2 = time.perf_counter()
finally:
    server.stop()
t3 = time.perf_counter()
print(json.dumps({{
    "imports": t1 - t0, "first_row": t2 - t1, "stop": t3 - t2,
    **{{key: server.details[key] for key in {details!r}}},
}}))
"""


def start_script(provider: str, details: tuple[str, ...]) -> str:
    """Python source for ``python -c``: prints the timings and ``details`` as JSON."""
    return _TEMPLATE.format(provider=provider, details=details)
