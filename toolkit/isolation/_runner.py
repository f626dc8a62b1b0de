"""Start the child pytest runs: whole-suite orders and explicit orders, outcomes read
from pytest-reportlog. Standard library only (the nox host imports this)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from toolkit._lifetime import dies_with_parent
from toolkit.errors import ToolkitError
from toolkit.isolation._reportlog import Execution, read_executions

__all__ = [
    "IsolationError",
    "Runner",
    "Suite",
    "derived_seed",
    "order_args",
    "resolve_python",
    "single_process_args",
    "uses_xdist",
]

ORDER_PLUGIN = "toolkit.testing.order"
LEAK_PLUGIN = "toolkit.testing.leaks"
_OK_EXIT_CODES = (0, 1, 5)  # passed, some failed, none collected
_XDIST_VALUE_OPTIONS = ("-n", "--numprocesses", "--dist", "--maxprocesses", "--tx")
_XDIST_FLAGS = ("-d", "--distload")


#: What the target environment must import, and the distribution that provides it.
_REQUIRED = {
    "pytest": "pytest",
    "pytest_randomly": "pytest-randomly",
    "pytest_reportlog": "pytest-reportlog",
    "toolkit.testing.order": "monorepo-toolkit",
}
_XDIST = {"xdist": "pytest-xdist"}


class IsolationError(ToolkitError):
    """The analysis cannot run or cannot trust a child run's outcomes (a missing plugin,
    a usage error, a crash); the message names the cause and, where known, the fix."""


def derived_seed(base: int, index: int) -> int:
    """The ``index``-th random order's seed, hashed from ``base``: seeds ``base`` and
    ``base + 1`` would give pytest-randomly's shuffles correlated orders for some
    module pairs; hashed seeds are independent, and still replayable from ``base``."""
    digest = hashlib.sha256(f"toolkit-isolation:{base}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10**9


def resolve_python(python: Path | str) -> Path:
    """An absolute interpreter path: child runs start in the suite's folder, where a
    relative path would name another file, or none."""
    text = str(python)
    if os.sep not in text and not Path(text).exists():
        found = shutil.which(text)
        if found is None:
            raise IsolationError(
                f"python {text!r} is not on PATH",
                "pass the interpreter of the environment that has the package and its tests",
            )
        return Path(found)
    path = Path(text).expanduser().absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise IsolationError(
            f"python {text!r} ({path}) is not an executable file",
            "pass the interpreter of the environment that has the package and its tests",
        )
    return path


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


def order_args(order: str, seed: int | None = None) -> list[str]:
    """pytest's arguments for one whole-suite order: ``file``, ``reverse`` (exactly file
    order reversed), ``interleave`` (even units, then odd ones, at each level),
    ``reverse-interleave`` (the interleaved order reversed), ``alone`` (file order, each
    test in a process forked for it alone) or ``random``
    (pytest-randomly with ``seed``). The sessions' layers use the same."""
    if order == "random":
        return ["-p", "randomly", f"--randomly-seed={seed}"]
    if order == "alone":
        return ["-p", "no:randomly", "-p", ORDER_PLUGIN, "--isolation-alone"]
    if order == "reverse-interleave":
        plugin = ["-p", "no:randomly", "-p", ORDER_PLUGIN]
        return [*plugin, "--isolation-interleave", "--isolation-reverse"]
    if order in ("reverse", "interleave"):
        return ["-p", "no:randomly", "-p", ORDER_PLUGIN, f"--isolation-{order}"]
    return ["-p", "no:randomly"]


def uses_xdist(args: Sequence[str]) -> bool:
    """Whether the user's arguments spread a run over xdist workers."""
    return single_process_args(args) != list(args)


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


#: Where programs put files of their own: each run of the engine gets them in its sandbox.
_XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}


def _slot_environ(env: dict[str, str], slot: int, home: Path | None = None) -> dict[str, str]:
    """Runs going on at once must not share a database, a temporary folder or a home:
    the plugin names the package's test database after DATABASE_URL's, so give each
    concurrent run its own. With ``home``, the run's HOME, its temporary folder
    (TMPDIR, TEMP, TMP) and the XDG folders the user set are made there: what a suite writes in its
    home or with :mod:`tempfile` stays in the run's sandbox, never in the user's home
    or the shared /tmp, and no run sees what an earlier one left."""
    env = dict(env)
    if home is not None:
        tmp = home / "tmp"
        tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        home.chmod(0o700)
        env.update(HOME=str(home), TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp))
        # Set only where the user set them (else they follow HOME): a suite may test
        # what happens without them.
        env.update({name: str(home / folder) for name, folder in _XDG.items() if name in env})
    if slot == 0:
        return env
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_s{slot}"))
    if env.get("PGDATABASE"):
        env["PGDATABASE"] = f"{env['PGDATABASE']}_s{slot}"
    return env


class Runner:
    """Runs pytest for the engine, counts the runs and keeps each run's files.

    Every run, whole-suite or explicit, gets a sandbox of its own under the work folder
    (HOME, TMPDIR, XDG folders; see :func:`_slot_environ`), removed once its outcomes
    are read; orders then may run at once, and a suite's side effects reach neither
    the user's home nor the shared /tmp.
    """

    def __init__(
        self,
        suite: Suite,
        work_dir: Path,
        progress: Callable[[str], None],
    ) -> None:
        self.suite = suite
        self.work_dir = work_dir
        self.progress = progress
        self.runs = 0
        self.rootdir: Path = suite.root
        self.leak_watch: str | None = None  # what the leak plugin said it watched
        work_dir.mkdir(parents=True, exist_ok=True)

    def _environ(self, slot: int, home: Path | None = None) -> dict[str, str]:
        return _slot_environ({**os.environ, **self.suite.env}, slot, home)

    def check_environment(self) -> None:
        """One quick child: does the target environment have what every run loads?"""
        modules = dict(_REQUIRED)
        if single_process_args(self.suite.args) != list(self.suite.args):
            modules.update(_XDIST)
        script = (
            "import importlib.util, sys\n"
            "def found(name):\n"
            "    try:\n"
            "        return importlib.util.find_spec(name) is not None\n"
            "    except ImportError:\n"
            "        return False\n"
            f"print(' '.join(name for name in {list(modules)!r} if not found(name)))\n"
        )
        try:
            result = subprocess.run(
                [str(self.suite.python), "-c", script],
                cwd=self.suite.root,
                env=self._environ(0),
                capture_output=True,
                text=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except OSError as error:
            raise IsolationError(
                f"cannot start {self.suite.python}: {error.strerror}",
                "pass the interpreter of the environment that has the package and its tests",
            ) from None
        if result.returncode != 0:
            tail = " | ".join(result.stderr.strip().splitlines()[-2:])
            raise IsolationError(
                f"{self.suite.python} does not run ({tail})",
                "pass the interpreter of the environment that has the package and its tests",
            )
        missing = result.stdout.split()
        if missing:
            wanted = sorted({modules[name] for name in missing})
            raise IsolationError(
                f"the environment of {self.suite.python} lacks {', '.join(wanted)}",
                f"install {' '.join(wanted)} into it (monorepo-toolkit's runner extra "
                "brings every plugin the engine loads)",
            )

    def _pytest(self, name: str, args: list[str], slot: int = 0) -> list[Execution]:
        log = self.work_dir / f"{name}.jsonl"
        output = self.work_dir / f"{name}.txt"
        home = self.work_dir / f"{name}-home"
        log.unlink(missing_ok=True)
        shutil.rmtree(home, ignore_errors=True)
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
        try:
            code = self._start(command, output, self._environ(slot, home))
        finally:
            shutil.rmtree(home, ignore_errors=True)
        if code not in _OK_EXIT_CODES:
            tail = output.read_text().strip().splitlines()[-5:]
            raise IsolationError(
                f"pytest exited with {code} in {self.suite.root} ({output}): " + " | ".join(tail)
            )
        return read_executions(log)

    def _start(self, command: list[str], output: Path, env: dict[str, str]) -> int:
        """Run ``command`` in the suite's folder, its output in ``output``; the exit code."""
        with output.open("w") as handle:
            handle.write(shlex.join(command) + "\n")
            handle.flush()
            return subprocess.run(
                command,
                cwd=self.suite.root,
                env=env,
                stdout=handle,
                check=False,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # A killed nox (or engine) takes its runs along: no output after the end.
                # Each run is started by the thread that waits for it.
                preexec_fn=dies_with_parent(),
            ).returncode

    def whole_suite(
        self, order: str, seed: int | None, *, leaks: bool, slot: int = 0
    ) -> list[Execution]:
        """The whole suite in one order (see :func:`order_args`). In the ``alone`` order
        each execution is its own process: its ``worker`` says so, nothing ran before it."""
        name = f"seed-{seed}" if order == "random" else f"{order}-order"
        info = self.work_dir / f"{name}-info.json"
        args = [*self.suite.paths, *order_args(order, seed), f"--isolation-info={info}"]
        if leaks:
            args += ["-p", LEAK_PLUGIN]
        executions = self._pytest(name, [*args, *self._order_user_args(order)], slot)
        if order == "alone":
            for index, execution in enumerate(executions):
                execution.worker = f"alone-{index}"
        if info.is_file():
            document = json.loads(info.read_text())
            self.rootdir = Path(document["rootdir"])
            if leaks:
                self.leak_watch = document.get("leaks")
        return executions

    def explicit(self, order: Sequence[str], *extra: str) -> list[Execution]:
        """Exactly ``order`` (node ids, repeats allowed), in one fresh process; ``extra``
        pytest arguments (e.g. the leak plugin's)."""
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
            *extra,
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

    def _order_user_args(self, order: str) -> list[str]:
        """The user's arguments for a whole-suite run. Random orders keep xdist; file
        order, its reverse and the interleaved order run in one process: a test can
        only pollute another in its own process, and these orders are there to put
        every pair into both relative orders, which workers would split."""
        return list(self.suite.args) if order == "random" else single_process_args(self.suite.args)

    def replay_order(self, order: str, seed: int | None = None) -> str:
        """The command replaying one whole-suite order."""
        return self.command(
            *self.suite.paths, *order_args(order, seed), *self._order_user_args(order)
        )
