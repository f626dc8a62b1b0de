"""The order plugin's whole-suite orders, in real pytest runs of a small suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SUITE = """
import os
import unittest

STATE = []


class TestA(unittest.TestCase):
    def test_1(self):
        STATE.append("a")


class TestB(unittest.TestCase):
    def test_1(self):
        pass


class TestC(unittest.TestCase):
    def test_1(self):
        pass


def test_needs_a():
    assert STATE == ["a"]


def test_dies():
    os._exit(9)
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "toolkit.testing.order"]
        + ["-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        # Only the plugin under test: the others (the toolkit's own among them) cost seconds.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "test_s.py").write_text(textwrap.dedent(SUITE))
    return tmp_path


def test_reverse_interleaved_order_puts_units_two_apart_next_to_each_other_backwards(
    folder: Path,
) -> None:
    result = _pytest(
        folder, "--collect-only", "-q", "--isolation-interleave", "--isolation-reverse"
    )

    ids = [line for line in result.stdout.splitlines() if "::" in line]
    # Units: A, B, C, needs_a, dies; interleaved: A, C, dies, B, needs_a; then reversed.
    assert ids == [
        "test_s.py::test_needs_a",
        "test_s.py::TestB::test_1",
        "test_s.py::test_dies",
        "test_s.py::TestC::test_1",
        "test_s.py::TestA::test_1",
    ]


def test_each_test_alone_runs_with_nothing_before_it_and_a_crash_is_its_own_failure(
    folder: Path,
) -> None:
    together = _pytest(folder, "-q", "--deselect", "test_s.py::test_dies")
    alone = _pytest(folder, "-q", "-rf", "--isolation-alone")

    assert together.returncode == 0, together.stdout
    assert "FAILED test_s.py::test_needs_a" in alone.stdout
    assert "FAILED test_s.py::test_dies - the process forked to run the test alone ended" in (
        alone.stdout
    )
    assert "2 failed, 3 passed" in alone.stdout
