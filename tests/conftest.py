"""Root fixtures for the toolkit's own tests.

The toolkit's plugin is loaded here like in any package (entry point), so the
integration tests share one embedded server through its ``postgres_server`` fixture.
Every test gets a clean environment: no TOOLKIT_* or DATABASE_URL leaks in from the
shell, and servers started by a test keep their files in the test's own folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # Started in the background by a non-interactive shell (``cmd &``, nohup): every
    # child would inherit an ignored Ctrl-C, and the tests that press it would test
    # nothing but that. A terminal's Ctrl-C is what they are about.
    signal.signal(signal.SIGINT, signal.default_int_handler)

_ENV_PREFIXES = ("TOOLKIT_", "PG")
_ENV_NAMES = ("DATABASE_URL", "DOCKER_HOST")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    keep = {"TOOLKIT_CACHE_DIR"}  # a warm initdb cache is a speed-up, never a behaviour
    for name in list(os.environ):
        if name in keep:
            continue
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name)


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where servers started by this test keep their files; must end empty.

    Not under tmp_path: pytest's temp folders are private (0700), and a server
    started as root runs as another user who must reach its data dir.
    """
    path = Path(tempfile.mkdtemp(prefix="toolkit-test-run-"))
    path.chmod(0o755)
    monkeypatch.setenv("TOOLKIT_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)
