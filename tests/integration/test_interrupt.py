"""Ctrl-C while the ``toolkit`` command is still importing: exit 130, no traceback.

A timer cannot hit the imports reliably (they take a few tens of milliseconds, after
the interpreter's own start), so the command's console script is run with an audit
hook that sends SIGINT to the process at its n-th import, for imports spread over the
whole start. Counting starts with the first import the entry module's code makes:
what comes before (the interpreter's start, finding the entry module and its
package) runs none of the toolkit's code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import toolkit
from toolkit._toml import tomllib

SOURCE = Path(toolkit.__file__).resolve().parent.parent
#: Fails fast after every import a server start makes: nothing answers on port 1.
UNREACHABLE = {"TOOLKIT_POSTGRES_URL": "postgresql://app@127.0.0.1:1/app"}


def _entry_point() -> tuple[str, str]:
    """The module and function the installed ``toolkit`` script calls."""
    with open(SOURCE / "pyproject.toml", "rb") as handle:
        target = tomllib.load(handle)["project"]["scripts"]["toolkit"]
    module, _, function = target.partition(":")
    return module, function


def _console_script() -> str:
    """What the installed ``toolkit`` script runs."""
    module, function = _entry_point()
    return f"import sys\nfrom {module} import {function}\nsys.exit({function}())\n"


def _run(args: list[str], interrupt_at: int, count_to: Path) -> subprocess.CompletedProcess[str]:
    """The console script with ``args``, SIGINT sent at import number ``interrupt_at``
    (0: never); the number of imports it made is written to ``count_to``."""
    module = _entry_point()[0]
    parts = module.split(".")
    # The entry module, its packages: imported before any of its own code runs.
    before = {"__future__", *(".".join(parts[:end]) for end in range(1, len(parts) + 1))}
    driver = textwrap.dedent(
        f"""
        import atexit, os, signal, sys
        seen = 0
        def hook(event, _args):
            global seen
            if event != "import":
                return
            if seen == 0 and _args[0] in {before!r}:
                return
            seen += 1
            if seen == {interrupt_at}:
                os.kill(os.getpid(), signal.SIGINT)
        sys.addaudithook(hook)
        atexit.register(lambda: open({str(count_to)!r}, "w").write(str(seen)))
        sys.argv = ["toolkit", *{args!r}]
        exec(compile({_console_script()!r}, "toolkit", "exec"), {{"__name__": "__main__"}})
        """
    )
    return subprocess.run(
        [sys.executable, "-c", driver],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **UNREACHABLE},
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["postgres", "--provider", "external", "--", "true"], id="postgres"),
        pytest.param(["packages", "--root", str(SOURCE)], id="packages"),
    ],
)
def test_ctrl_c_during_imports_exits_130_without_traceback(args: list[str], tmp_path) -> None:
    count = tmp_path / "imports"
    _run(args, 0, count)
    total = int(count.read_text())
    assert total > 20

    points = sorted({1 + (total - 1) * step // 11 for step in range(12)})
    for point in points:
        result = _run(args, point, count)

        assert (result.returncode, result.stderr) == (130, ""), f"SIGINT at import {point}"
