"""Duration-balanced shards, run through pytest-split exactly as the layers call it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.host.shards import DURATIONS_FILE, Shard

TESTS = 60
SHARDS = 3


def _duration(index: int) -> float:
    """Known, uneven durations: 0.1 s to 1.3 s."""
    return round(0.1 * ((index * 7) % 13 + 1), 1)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "sharded"\nversion = "1"\n')
    tests = tmp_path / "tests"
    tests.mkdir()
    durations = {}
    for module in range(6):
        lines = []
        for index in range(module * 10, module * 10 + 10):
            lines.append(f"def test_{index}():\n    pass\n")
            durations[f"tests/test_m{module}.py::test_{index}"] = _duration(index)
        (tests / f"test_m{module}.py").write_text("\n".join(lines))
    (tmp_path / DURATIONS_FILE).write_text(json.dumps(durations))
    return tmp_path


def _collect(suite: Path, shard: Shard, seed: int) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "--collect-only",
            "-q",
            "-p",
            "randomly",
            f"--randomly-seed={seed}",
            *shard.pytest_args(str(suite / DURATIONS_FILE)),
        ],
        cwd=suite,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("seed", [1, 20261125])
def test_shards_cover_every_test_once_with_balanced_durations(suite: Path, seed: int) -> None:
    durations = json.loads((suite / DURATIONS_FILE).read_text())

    groups = [_collect(suite, Shard(index, SHARDS), seed) for index in range(1, SHARDS + 1)]

    everything = [test for group in groups for test in group]
    assert sorted(everything) == sorted(durations)  # every test, exactly once
    totals = [sum(durations[test] for test in group) for group in groups]
    assert max(totals) <= 1.2 * min(totals), totals


def test_shards_are_the_same_in_every_job_of_a_run(suite: Path) -> None:
    first = _collect(suite, Shard(2, SHARDS), seed=99)
    again = _collect(suite, Shard(2, SHARDS), seed=99)

    assert first == again
