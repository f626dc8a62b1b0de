"""Container (docker provider) start to first query, beside the embedded figures.

Measured only when a Docker-API engine answers (Docker, or Podman's API service from
``python -m tools.podman setup``); otherwise the report says why not. Like
the embedded measurement, every repeat is a fresh ``python -c`` child: imports,
``start_server("docker")`` to the first ``SELECT 1`` row, ``server.stop()`` (the
container removed), and the child's whole wall time. One untimed start first pulls
the image if needed and fills the bytecode cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping

from _child import start_script
from _report import Sample, heading, render_table, stats_cells

from toolkit.postgres.engine_probe import api_version, docker_host
from toolkit.postgres.providers import docker as docker_provider

__all__ = ["container_leftovers", "measure_container_starts", "report_container_starts"]

CHILD = start_script("docker", ("container_id",))

ROWS = (
    ("imports (toolkit.postgres, psycopg)", "imports"),
    ("start_server() -> first row", "first_row"),
    ("server.stop() (container removed)", "stop"),
    ("whole child process (wall)", "process"),
)

#: Ids of every container this run started, for the leak check.
STARTED_CONTAINERS: list[str] = []


def _start_once(env: Mapping[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=dict(env), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"container start child failed:\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    STARTED_CONTAINERS.append(report.pop("container_id"))
    return {**report, "process": wall}


def measure_container_starts(repeat: int, env: Mapping[str, str]) -> dict[str, Sample] | None:
    """Samples per row, or None when no engine answers (nothing is started then)."""
    if docker_provider.available() is not None:  # the reason none can be used
        return None
    _start_once(env)  # pulls the image if the engine lacks it; compiles bytecode
    runs = [_start_once(env) for _ in range(repeat)]
    return {key: Sample(tuple(run[key] for run in runs)) for _, key in ROWS}


def report_container_starts(
    container: dict[str, Sample] | None, embedded_warm: dict[str, Sample], image: str
) -> None:
    heading("1b. Container (docker provider): start to first query (seconds, fresh process each)")
    if container is None:
        print(
            f"not measured: no container engine answers at {docker_host()} (or testcontainers "
            "is missing). Start Docker, or see the README's 'Docker and Podman'."
        )
        return
    rows = []
    for label, key in ROWS:
        warm = embedded_warm[key].median
        ratio = container[key].median / warm if warm else float("nan")
        rows.append([label, *stats_cells(container[key], 1, 3), f"{warm:.3f}", f"{ratio:.1f}x"])
    headers = ["", "container median", "min..max", "embedded warm median", "container/embedded"]
    print(render_table(headers, rows))
    print(f"engine: {docker_host()}; image: {image}")


def container_leftovers() -> list[str]:
    """Containers this run started that still exist (should be none)."""
    if not STARTED_CONTAINERS:
        return []
    import docker

    client = docker.from_env(version=api_version() or None)
    try:
        present = {entry["Id"] for entry in client.api.containers(all=True)}
    finally:
        client.close()
    return [container_id for container_id in STARTED_CONTAINERS if container_id in present]
