"""Register the toolkit's nox sessions for a repository, under names the caller picks.

``import toolkit.sessions`` does this with the default names; a noxfile that already
has sessions called ``unit`` or ``coverage`` calls :func:`register` instead::

    from toolkit.registration import register

    register(".", names={"unit": "tests-unit"}, skip={"isolation"})

Sessions, parametrized per package (and per Python when several are configured):

- ``unit(<package>)``, ``integration(<package>)``: one test layer, in the package's
  shared environment, random order, coverage data and JUnit XML under ``reports/``;
- ``coverage(<package>)``: combine the layers, write XML/HTML/JSON, enforce the
  package's own threshold (queued automatically after any layer);
- ``isolation(<package>)``: the suite in file order and in several random orders;
- ``summary``: one table for every package tested (queued automatically).

Each parametrized session is tagged with its layer and its package, so ``nox -s unit``
runs every package and ``nox -t users`` every session of one package.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import nox

from toolkit.errors import ToolkitError

# Takes the result cache's shared secret out of the environment before any session
# starts a build or a test that could read it.
from toolkit.host.cache import secret as _result_cache_secret  # noqa: F401
from toolkit.host.config import Package, RepoConfig, load_config, normalize_name
from toolkit.host.run import Run

__all__ = ["SESSIONS", "register"]

_HOST_PYTHON = (3, 12)

SESSIONS = ("unit", "integration", "coverage", "isolation", "summary")

_Body = Callable[[nox.Session, Run, Package, "str | None"], None]


def _unit(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    from toolkit.host.layers import run_layer

    run_layer(session, run, package, python, "unit")


def _integration(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    from toolkit.host.layers import run_layer

    run_layer(session, run, package, python, "integration")


def _coverage(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    from toolkit.host.coverage import enforce

    enforce(session, run, package, python)


def _isolation(session: nox.Session, run: Run, package: Package, python: str | None) -> None:
    from toolkit.host.isolation import check

    check(session, run, package, python)


_LAYER_OF: dict[_Body, str] = {_unit: "unit", _integration: "integration"}

_BODIES: dict[str, _Body] = {
    "unit": _unit,
    "integration": _integration,
    "coverage": _coverage,
    "isolation": _isolation,
}

#: What ``nox -l`` says of each session; the package is the one in parentheses.
DESCRIPTIONS = {
    "unit": "the package's unit tests: hermetic (no network, no database), random order",
    "integration": "the package's integration tests on a fresh database of its own, random order",
    "coverage": "the package's coverage from its layers, held to its own threshold",
    "isolation": "the package's suite in several orders; names order-dependent tests' causes",
}


def _params(config: RepoConfig) -> list[Any]:
    """One parameter per package, or per package and Python for a root matrix.

    The sessions run tools from the toolkit's own per-package environments
    (``venv_backend="none"``), for which nox ignores ``python=``: the version is a
    parameter instead, ``unit(users-py3.13)``, tagged ``py3.13``. Without a matrix the
    version is decided when the session runs (:mod:`toolkit.host.interpreters`).
    """
    from toolkit.host.interpreters import versions_for

    matrix = config.python is not None and len(config.python) > 1
    params = []
    for package in config.packages:
        for version in versions_for(config, package):
            named = matrix and version is not None
            params.append(
                nox.param(
                    package.name,
                    version,
                    id=f"{package.name}-py{version}" if named else package.name,
                    tags=[package.name, *([f"py{version}"] if named else [])],
                )
            )
    return params


def _skip_unless_selected(session: nox.Session, run: Run, package: str) -> None:
    """With ``TOOLKIT_CHANGED_SINCE`` (or ``-- --changed-since=REF``), run only packages
    with changes, their dependents, or everything after a root configuration change."""
    try:
        selected = run.selection(session)
    except ToolkitError as error:
        session.error(str(error))
    if selected is None:
        return
    if package not in selected:
        session.skip(f"{package}: nothing changed since {selected.ref} in it or its dependencies")
    session.log(f"{package}: selected ({selected.reasons[package]})")


def _run_layer_body(
    session: nox.Session, run: Run, package: Package, python: str | None, body: _Body
) -> None:
    """Run a layer's session so that the summary sees it whatever happens: a session
    that aborts before or around pytest (a failed install, an unreachable server) is
    recorded as an error with its reason, never left out or counted as passed."""
    from toolkit.host.reports import Outcome

    layer = _LAYER_OF[body]
    run.record(package.name, layer)
    try:
        body(session, run, package, python)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        if type(error).__name__ != "_SessionSkip" and run.outcome(package.name, layer) is None:
            lines = str(error).strip().splitlines()
            reason = lines[0] if lines else type(error).__name__
            run.set_outcome(package, layer, Outcome("error", reason))
        raise


def _package_session(run: Run, name: str, layer: str, body: _Body) -> None:
    @nox.session(name=name, venv_backend="none", tags=[layer])
    @nox.parametrize(("package", "python_version"), _params(run.config))
    def session(session: nox.Session, package: str, python_version: str | None) -> None:
        _skip_unless_selected(session, run, package)
        chosen = run.config.package(package)
        if body in _LAYER_OF:
            _run_layer_body(session, run, chosen, python_version, body)
        else:
            body(session, run, chosen, python_version)

    session.__doc__ = DESCRIPTIONS[layer]


_SESSION_OPTIONS = ("-s", "-e", "--session", "--sessions")


def _requested_sessions(argv: list[str]) -> list[str]:
    """Session names given to nox on its command line (``-s a b``, ``--session=a``)."""
    requested: list[str] = []
    taking = False
    for arg in argv[1:]:
        option, _, value = arg.partition("=")
        if option in _SESSION_OPTIONS and value:
            requested.append(value)
            taking = False
        elif arg in _SESSION_OPTIONS:
            taking = True
        elif arg.startswith("-"):
            taking = False
        elif taking:
            requested.append(arg)
    return requested


def _check_requested_packages(
    config: RepoConfig, names: Mapping[str, str], argv: list[str]
) -> None:
    """nox would only say "Sessions not found"; name the package and the known ones."""
    import difflib

    ours = "|".join(re.escape(name) for name in names.values())
    pattern = re.compile(rf"^(?:{ours})\((?P<package>[^)]*?)(?:-py[\d.]+)?\)$")
    known = [package.name for package in config.packages]
    for requested in _requested_sessions(argv):
        match = pattern.match(requested)
        if match and normalize_name(match["package"]) not in known:
            close = difflib.get_close_matches(match["package"], known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ToolkitError(
                f"unknown package {match['package']!r} in {requested!r}",
                f"{hint}packages of this repository: {', '.join(known)}",
            )


def register(
    root: Path | str = ".",
    *,
    names: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> RepoConfig:
    """Register the sessions for the repository at ``root``; returns its configuration.

    ``names`` renames sessions (``{"unit": "tests-unit"}``), ``skip`` leaves some out,
    for noxfiles that already define sessions of the same names.
    """
    if sys.version_info < _HOST_PYTHON:
        raise ToolkitError(
            f"nox runs on Python {sys.version_info.major}.{sys.version_info.minor}; the "
            "toolkit's sessions need 3.12 or newer for nox itself",
            "install nox with Python 3.12+ (packages may still test on 3.10+)",
        )
    config = load_config(root)
    names = {session: (names or {}).get(session, session) for session in SESSIONS}
    run = Run(config, session_names=dict(names))
    _check_requested_packages(config, names, sys.argv)
    for layer, body in _BODIES.items():
        if layer not in skip:
            _package_session(run, names[layer], layer, body)
    if "summary" not in skip:

        @nox.session(name=names["summary"], python=False)
        def summary(session: nox.Session) -> None:
            """One table for every package tested: layers, coverage, threshold, status."""
            from toolkit.host.summary import write

            write(session, run)

    return config
