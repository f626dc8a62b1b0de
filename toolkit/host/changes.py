"""Which packages a change touches: changed files, their packages, and every dependent.

``git diff --name-only REF`` (the working tree against REF, so uncommitted work
counts) plus untracked files, and files git ignores (tool folders aside: pytest
collects an ignored test file all the same), gives the changed files. A file inside
a package selects that package; the packages depending on it, transitively, come
along (a change to a library can break its users). A change to the repository's own configuration
(``pyproject.toml``, ``noxfile.py``, lock files at the root) selects everything.
Any other file outside the packages (documentation, CI files) selects nothing.

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from toolkit.errors import ToolkitError
from toolkit.host.cache.inputs import TOOL_FOLDERS
from toolkit.host.config import Package, RepoConfig

__all__ = ["ROOT_CONFIGURATION", "Selection", "changed_files", "select"]

#: Root files whose change can alter every package's result.
ROOT_CONFIGURATION = frozenset(
    {
        "pyproject.toml",
        "noxfile.py",
        "conftest.py",
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "requirements.txt",
        "constraints.txt",
        "setup.cfg",
        "tox.ini",
        "pytest.ini",
        ".python-version",
    }
)


@dataclass(frozen=True)
class Selection:
    """The selected packages, each with the reason it was selected, in config order."""

    ref: str
    reasons: dict[str, str]

    def __contains__(self, package: str) -> bool:
        return package in self.reasons

    @property
    def packages(self) -> list[str]:
        return list(self.reasons)


def _git(root: Path, *args: str, check: bool = True) -> list[str]:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise ToolkitError(
            "git is not installed", "install git to select changed packages"
        ) from None
    if result.returncode != 0 and check:
        detail = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ToolkitError(f"git {' '.join(args)} failed in {root}: {detail}", "check the ref")
    return [line for line in result.stdout.splitlines() if line]


def changed_files(root: Path, ref: str) -> list[PurePosixPath]:
    """Files changed between ``ref`` and the working tree, relative to ``root``."""
    top = Path(_git(root, "rev-parse", "--show-toplevel")[0])
    if not _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False):
        raise ToolkitError(f"{ref!r} is not a commit in {top}", "fetch it or name another ref")
    names = _git(top, "diff", "--name-only", "--no-renames", ref, "--")
    names += _git(top, "ls-files", "--others", "--exclude-standard")
    # Files git ignores have no history to compare with, yet pytest collects and reads
    # them: each one (tool folders aside) selects its package, whose result cache
    # then decides whether it changed.
    ignored = _git(top, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory")
    names += [name.rstrip("/") for name in ignored if not _tool_file(name.rstrip("/"))]
    prefix = PurePosixPath(root.resolve().relative_to(top.resolve()).as_posix())
    files = []
    for name in dict.fromkeys(names):
        path = PurePosixPath(name)
        if prefix == PurePosixPath(".") or path.is_relative_to(prefix):
            files.append(path.relative_to(prefix) if prefix != PurePosixPath(".") else path)
    return files


def _tool_file(name: str) -> bool:
    parts = name.split("/")
    return (
        any(part in TOOL_FOLDERS or part.endswith(".egg-info") for part in parts)
        or parts[-1] == ".coverage"
        or parts[-1].startswith(".coverage.")
    )


def _owner(config: RepoConfig, path: PurePosixPath) -> Package | None:
    for package in config.packages:
        folder = PurePosixPath(package.path.relative_to(config.root).as_posix())
        if path.is_relative_to(folder):
            return package
    return None


def _dependents(config: RepoConfig) -> dict[str, set[str]]:
    reverse: dict[str, set[str]] = {package.name: set() for package in config.packages}
    for package in config.packages:
        for dependency in package.workspace_dependencies:
            reverse[dependency].add(package.name)
    return reverse


def select(config: RepoConfig, ref: str, files: Iterable[PurePosixPath] | None = None) -> Selection:
    """The packages a change since ``ref`` affects (``files`` defaults to git's answer)."""
    files = list(changed_files(config.root, ref) if files is None else files)
    root_changes = sorted(str(path) for path in files if str(path) in ROOT_CONFIGURATION)
    if root_changes:
        reason = f"root configuration changed ({', '.join(root_changes)})"
        return Selection(ref, {package.name: reason for package in config.packages})
    reasons: dict[str, str] = {}
    for path in files:
        owner = _owner(config, path)
        if owner is not None and owner.name not in reasons:
            reasons[owner.name] = f"changed: {path}"
    reverse = _dependents(config)
    pending = list(reasons)
    while pending:
        changed = pending.pop(0)
        for dependent in sorted(reverse[changed]):
            if dependent not in reasons:
                reasons[dependent] = f"depends on {changed}"
                pending.append(dependent)
    ordered = {
        package.name: reasons[package.name]
        for package in config.packages
        if package.name in reasons
    }
    return Selection(ref, ordered)
