"""Start the child pytest runs: whole-suite orders and explicit orders, outcomes read
from pytest-reportlog. Standard library only (the nox host imports this)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from toolkit.isolation._reportlog import Execution, read_executions

__all__ = ["IsolationError", "Runner", "Suite", "single_process_args"]

ORDER_PLUGIN = "toolkit.isolation.order"
LEAK_PLUGIN = "toolkit.isolation.leaks"
_OK_EXIT_CODES = (0, 1, 5)  # passed, some failed, none collected
_XDIST_VALUE_OPTIONS = ("-n", "--numprocesses", "--dist", "--maxprocesses", "--tx")
_XDIST_FLAGS = ("-d", "--distload")


class IsolationError(Exception):
    """A child run broke (usage error, crash): the analysis cannot trust its outcomes."""


@dataclass(frozen=True)
class Suite:
    """What to analyse: pytest's working directory, the interpreter whose environment
    has the package and the toolkit, the test paths, extra environment, the user's
    own pytest arguments (``-n 2`` included), and the command line that reproduces a
    run for a user when ``python -m pytest`` in ``root`` is not enough."""

    root: Path
    python: Path
    paths: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    reproduce_with: tuple[str, ...] = ()


def single_process_args(args: Sequence[str]) -> list[str]:
    """The user's arguments without xdist's: reproductions run in one process."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in _XDIST_VALUE_OPTIONS:
            skip = "=" not in arg
            continue
        if name in _XDIST_FLAGS:
            continue
        if arg.startswith("-n") and arg[2:].strip().isalnum():
            continue  # -n2, -nauto
        kept.append(arg)
    return kept


def _slot_environ(env: dict[str, str], slot: int) -> dict[str, str]:
    """Runs going on at once must not share a database: the plugin names the package's
    test database after DATABASE_URL's, so give each concurrent run its own."""
    if slot == 0:
        return env
    env = dict(env)
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_s{slot}"))
    if env.get("PGDATABASE"):
        env["PGDATABASE"] = f"{env['PGDATABASE']}_s{slot}"
    return env


class Runner:
    """Runs pytest for the engine, counts the runs and keeps each run's files."""

    def __init__(self, suite: Suite, work_dir: Path, progress: Callable[[str], None]) -> None:
        self.suite = suite
        self.work_dir = work_dir
        self.progress = progress
        self.runs = 0
        self.rootdir: Path = suite.root
        work_dir.mkdir(parents=True, exist_ok=True)

    def _environ(self, slot: int) -> dict[str, str]:
        return _slot_environ({**os.environ, **self.suite.env}, slot)

    def _pytest(self, name: str, args: list[str], slot: int = 0) -> list[Execution]:
        log = self.work_dir / f"{name}.jsonl"
        output = self.work_dir / f"{name}.txt"
        log.unlink(missing_ok=True)
        command = [
            str(self.suite.python),
            "-m",
            "pytest",
            *args,
            "-p",
            ORDER_PLUGIN,
            "-p",
            "no:cacheprovider",
            "-q",
            f"--report-log={log}",
        ]
        self.runs += 1
        with output.open("w") as handle:
            handle.write(shlex.join(command) + "\n")
            handle.flush()
            code = subprocess.run(
                command,
                cwd=self.suite.root,
                env=self._environ(slot),
                stdout=handle,
                check=False,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            ).returncode
        if code not in _OK_EXIT_CODES:
            tail = output.read_text().strip().splitlines()[-5:]
            raise IsolationError(
                f"pytest exited with {code} in {self.suite.root} ({output}): " + " | ".join(tail)
            )
        return read_executions(log)

    def order_args(self, seed: int | None) -> list[str]:
        return (
            ["-p", "no:randomly"] if seed is None else ["-p", "randomly", f"--randomly-seed={seed}"]
        )

    def whole_suite(self, seed: int | None, *, leaks: bool, slot: int = 0) -> list[Execution]:
        """The whole suite in file order (``seed`` None) or pytest-randomly's order."""
        name = "file-order" if seed is None else f"seed-{seed}"
        info = self.work_dir / f"{name}-info.json"
        args = [*self.suite.paths, *self.order_args(seed), f"--isolation-info={info}"]
        if leaks:
            args += ["-p", LEAK_PLUGIN]
        executions = self._pytest(name, [*args, *self.suite.args], slot)
        if seed is None and info.is_file():
            self.rootdir = Path(json.loads(info.read_text())["rootdir"])
        return executions

    def explicit(self, order: Sequence[str]) -> list[Execution]:
        """Exactly ``order`` (node ids, repeats allowed), in one process."""
        name = f"explicit-{self.runs + 1:03d}"
        ids = self.work_dir / f"{name}.ids"
        ids.write_text("\n".join(order) + "\n")
        files = list(dict.fromkeys(str(self.rootdir / test.split("::")[0]) for test in order))
        args = [
            *files,
            "-p",
            "no:randomly",
            f"--isolation-order={ids}",
            f"--rootdir={self.rootdir}",
        ]
        executions = self._pytest(name, [*args, *single_process_args(self.suite.args)])
        return sorted(executions, key=lambda execution: execution.position or 0)

    def local_ids(self, tests: Sequence[str]) -> list[str]:
        """Node ids as arguments from the suite's folder (they are rootdir-relative)."""
        relative = os.path.relpath(self.rootdir, self.suite.root)
        return [test if relative == "." else f"{relative}/{test}" for test in tests]

    def command(self, *args: str) -> str:
        """One shell line a user can paste: go to the suite, run pytest with ``args``."""
        if self.suite.reproduce_with:
            return shlex.join([*self.suite.reproduce_with, *args])
        pytest = [str(self.suite.python), "-m", "pytest", *args]
        return f"cd {shlex.quote(str(self.suite.root))} && {shlex.join(pytest)}"

    def replay(self, tests: Sequence[str], *extra: str) -> str:
        """The command running exactly ``tests`` in that order, in one process."""
        return self.command("-p", "no:randomly", *extra, *self.local_ids(tests))

    def replay_order(self, seed: int | None) -> str:
        """The command replaying one whole-suite order."""
        return self.command(*self.suite.paths, *self.order_args(seed), *self.suite.args)
