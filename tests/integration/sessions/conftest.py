"""Adopting repositories are run the way their users run them: a nox of their own,
without the toolkit installed, a PEP 723 noxfile, and an environment free of ours."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import toolkit

TOOLKIT_SOURCE = Path(toolkit.__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: The README's adoption noxfile, with the install line that works from a checkout.
NOXFILE = f"""\
# /// script
# dependencies = ["nox", "monorepo-toolkit @ {TOOLKIT_SOURCE.as_uri()}"]
# ///
import toolkit.sessions
"""


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content))


def user_environ(**extra: str) -> dict[str, str]:
    """A user's shell: none of our variables, uv on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TOOLKIT_", "TESTCONTAINERS_", "PG", "NOX_", "VIRTUAL_ENV"))
        and key not in ("DATABASE_URL", "DOCKER_HOST")
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # uv, as a user would have it
    if "TOOLKIT_CACHE_DIR" in os.environ:
        env["TOOLKIT_CACHE_DIR"] = os.environ["TOOLKIT_CACHE_DIR"]
    return {**env, **extra}


def run_nox(
    nox: Path, repo: Path, *args: str, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(nox), *args],
        cwd=repo,
        env=user_environ(**extra_env),
        capture_output=True,
        check=False,
        text=True,
        timeout=900,
    )


def run_nox_after_edit(
    nox: Path, repo: Path, file: Path, old: str, new: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """``run_nox`` with ``old`` replaced by ``new`` in ``file`` for the run only."""
    original = file.read_text()
    assert old in original
    file.write_text(original.replace(old, new))
    try:
        return run_nox(nox, repo, *args)
    finally:
        file.write_text(original)


@pytest.fixture(scope="session")
def nox_without_toolkit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A nox in its own venv, without the toolkit (uv makes this cheap)."""
    venv = tmp_path_factory.mktemp("nox-only") / "venv"
    uv = shutil.which("uv") or str(BIN / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "nox"],
        check=True,
    )
    return venv / "bin" / "nox"
