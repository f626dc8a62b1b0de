"""Finding the interpreters a machine has (real ones, probed) and choosing one per package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.host.test_config import _package, _write
from toolkit.host.config import RepoConfig, load_config


@pytest.fixture
def config(tmp_path: Path) -> RepoConfig:
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.toolkit]\npackages = ["api"]\n',
            "api/pyproject.toml": _package("api"),
        },
    )
    return load_config(tmp_path)


def test_a_python_that_is_not_installed_is_one_line_listing_those_found(
    config: RepoConfig,
) -> None:
    from toolkit.errors import ToolkitError
    from toolkit.host import interpreters

    with pytest.raises(ToolkitError) as caught:
        interpreters.choose(config, config.package("api"), "3.99", None)

    message = str(caught.value)
    assert message.startswith(
        "api needs Python 3.99 ([tool.toolkit] python) and it is not installed"
    )
    assert "found: 3." in message and "\n" not in message


def test_requires_python_picks_the_newest_installed_interpreter_it_admits(
    config: RepoConfig,
) -> None:
    from dataclasses import replace

    from toolkit.host import interpreters

    found = interpreters.installed(None)
    newest = found[0]
    below = replace(config.package("api"), requires_python=f"<{newest.minor}")
    exact = replace(config.package("api"), requires_python=f"=={newest.minor}.*")

    assert interpreters.choose(config, exact, None, None).minor == newest.minor
    older = [i for i in found if i.version[:2] < newest.version[:2]]
    if older:
        assert interpreters.choose(config, below, None, None).minor == older[0].minor


def _fake_python(
    folder: Path, name: str, version: str, log: Path, base: Path | None = None
) -> Path:
    """An executable that answers the probe as CPython ``version`` and logs each call;
    with ``base``, it says it stands for that installation (as a venv or a shim does)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    major, minor, micro = version.split(".")
    answer = f"echo CPython {major} {minor} {micro}\n" + (f"echo {base}\n" if base else "")
    path.write_text(f'#!/bin/sh\necho probed >> "{log}"\n{answer}')
    path.chmod(0o755)
    return path


@pytest.fixture
def discovery(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    """A PATH of one folder holding one interpreter; (folder, its probe log, record)."""
    from toolkit.host import interpreters

    folder, log = tmp_path / "bin", tmp_path / "probes.log"
    _fake_python(folder, "python3.98", "3.98.1", log)
    monkeypatch.setenv("PATH", str(folder))
    interpreters.installed.cache_clear()
    (tmp_path / "repo").mkdir()
    yield folder, log, tmp_path / "repo" / interpreters.RECORD
    interpreters.installed.cache_clear()


def _discover(record: Path) -> list[str]:
    from toolkit.host import interpreters

    interpreters.installed.cache_clear()  # a new nox run
    return [i.minor for i in interpreters.installed(None, record)]


@pytest.fixture
def pyenv(discovery, tmp_path: Path, monkeypatch) -> Path:
    """A pyenv root with 3.96 installed, which no shim on PATH selects."""
    _, log, _ = discovery
    root = tmp_path / "pyenv"
    _fake_python(root / "versions" / "3.96.2" / "bin", "python3.96", "3.96.2", log)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    return root


def test_every_version_pyenv_installed_is_found_not_only_the_selected_one(
    discovery, pyenv: Path
) -> None:
    folder, log, record = discovery

    assert {"3.98", "3.96"} <= set(_discover(record))


def test_a_pyenv_folder_others_can_write_is_never_run(discovery, pyenv: Path) -> None:
    folder, log, record = discovery
    (pyenv / "versions").chmod(0o777)

    assert "3.96" not in _discover(record)
    assert log.read_text().count("probed") == 1  # only the PATH one


def test_several_names_for_one_installation_are_listed_once(discovery, tmp_path: Path) -> None:
    from toolkit.host import interpreters

    folder, log, record = discovery
    base = _fake_python(tmp_path / "install" / "bin", "python3.95", "3.95.0", log)
    for shim in ("python3", "python3.95"):  # what pyenv's shims look like
        _fake_python(folder, shim, "3.95.0", log, base=base)

    _discover(record)

    found = [i for i in interpreters.installed(None, record) if i.minor == "3.95"]
    assert [i.path for i in found] == [str(base)]


def test_requires_python_nothing_admits_names_the_fixes(config: RepoConfig) -> None:
    from dataclasses import replace

    from toolkit.errors import ToolkitError
    from toolkit.host import interpreters

    package = replace(config.package("api"), requires_python="==3.99.*")
    with pytest.raises(ToolkitError) as caught:
        interpreters.choose(config, package, None, None)

    message = str(caught.value)
    assert "no installed Python satisfies api's requires-python '==3.99.*'" in message
    assert "python3.N on PATH" in message and "found: 3." in message


def test_a_later_run_reuses_what_discovery_found(discovery) -> None:
    folder, log, record = discovery

    first, second = _discover(record), _discover(record)

    assert "3.98" in first and second == first
    assert log.read_text().count("probed") == 1


def test_a_python_added_to_a_path_folder_is_found(discovery) -> None:
    folder, log, record = discovery
    _discover(record)

    _fake_python(folder, "python3.97", "3.97.0", log)

    assert {"3.98", "3.97"} <= set(_discover(record))


def test_a_python_replaced_in_place_is_probed_again(discovery) -> None:
    folder, log, record = discovery
    _discover(record)

    (folder / "python3.98").unlink()
    _fake_python(folder, "python3.98", "3.98.7", log)

    from toolkit.host import interpreters

    _discover(record)
    assert any(i.version == (3, 98, 7) for i in interpreters.installed(None, record))


def test_a_virtual_environments_python_stands_for_its_installation(tmp_path: Path) -> None:
    """nox run from a venv, from its script environment or from the installation must
    build the same package environments (and key the same results)."""
    import subprocess
    import sys

    from toolkit.host import interpreters

    base = getattr(sys, "_base_executable", "") or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)

    probed = interpreters._probe(str(tmp_path / "venv" / "bin" / "python"))

    assert probed is not None and probed.path == base
    assert probed.version == tuple(sys.version_info[:3])
