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
from collections.abc import Callable
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


def _run(
    script: str,
    entry: str,
    argv: list[str],
    interrupt_at: int,
    count_to: Path,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``script`` run as ``argv``, SIGINT sent at the ``interrupt_at``-th import (0:
    never) counted from the first one module ``entry``'s own code makes; the number
    of those imports is written to ``count_to``."""
    parts = entry.split(".")
    # The entry module and its packages are imported before any of its own code runs.
    before = {"__future__", *(".".join(parts[:end]) for end in range(1, len(parts) + 1))}
    driver = textwrap.dedent(
        f"""
        import atexit, os, signal, sys
        started = False
        seen = 0
        def hook(event, args):
            global started, seen
            if event != "import":
                return
            started = started or args[0] == {entry!r}
            if not started or (seen == 0 and args[0] in {before!r}):
                return
            seen += 1
            if seen == {interrupt_at}:
                os.kill(os.getpid(), signal.SIGINT)
        sys.addaudithook(hook)
        atexit.register(lambda: open({str(count_to)!r}, "w").write(str(seen)))
        sys.argv = {argv!r}
        exec(compile({script!r}, {argv[0]!r}, "exec"), {{"__name__": "__main__"}})
        """
    )
    return subprocess.run(
        [sys.executable, "-c", driver],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**os.environ, **UNREACHABLE},
    )


def _interrupted_everywhere(
    run: Callable[[int], subprocess.CompletedProcess[str]], count: Path
) -> list[subprocess.CompletedProcess[str]]:
    """SIGINT at eight imports spread over the whole start: each run ends with 130."""
    run(0)
    total = int(count.read_text())
    assert total > 20

    results = []
    for point in sorted({1 + (total - 1) * step // 7 for step in range(8)}):
        result = run(point)
        assert result.returncode == 130, f"SIGINT at import {point}: {result.stderr[-2000:]}"
        results.append(result)
    return results


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["postgres", "--provider", "external", "--", "true"], id="postgres"),
        pytest.param(["packages", "--root", str(SOURCE)], id="packages"),
    ],
)
def test_ctrl_c_during_imports_exits_130_without_traceback(args: list[str], tmp_path: Path) -> None:
    module, function = _entry_point()
    script = f"import sys\nfrom {module} import {function}\nsys.exit({function}())\n"
    count = tmp_path / "imports"

    results = _interrupted_everywhere(
        lambda point: _run(script, module, ["toolkit", *args], point, count), count
    )

    assert [result.stderr for result in results] == [""] * len(results)
