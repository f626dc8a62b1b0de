"""One virtual environment per package, shared by all of its sessions.

nox gives every session its own venv and has no way to share one (wntrblm/nox#167).
A package's unit, integration, coverage and isolation sessions need the very same
packages, so the toolkit keeps one environment per package and Python version under
``.nox/toolkit-<package>[-py<version>]`` and runs tools from it; nox's sessions
themselves use ``venv_backend="none"``.

An environment carries a stamp: a hash of everything that decides its contents (the
requirements and every pyproject they come from). A run whose stamp matches installs
nothing; ``nox -R`` skips even that check. uv creates and fills environments when it
is on PATH (hard links from its cache make a cold package environment cost seconds);
otherwise the standard library's venv and pip do.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import toolkit
from toolkit.errors import ToolkitError
from toolkit.host import interpreters, legacy
from toolkit.host.config import Package, RepoConfig, requirement_name

if TYPE_CHECKING:
    import nox

__all__ = [
    "PackageEnv",
    "built_on",
    "contents",
    "is_toolkit_source",
    "prepare",
    "toolkit_requirement",
]

TOOLKIT_EXTRAS = "embedded,docker,runner"
_STAMP = ".toolkit-stamp"


@dataclass(frozen=True)
class PackageEnv:
    location: Path

    @property
    def python(self) -> Path:
        return self.location / "bin" / "python"

    @property
    def minor(self) -> str:
        """The Python version it runs (``3.12``), from its name: ``...-py3.12``."""
        return self.location.name.rpartition("-py")[2]


def toolkit_requirement() -> list[str]:
    """Install arguments for the toolkit itself, matching the one nox imported.

    ``TOOLKIT_INSTALL_SPEC`` wins; then a source checkout (editable); then the URL
    the distribution was installed from (PEP 610: a path or a VCS URL); then the same
    version from the index.
    """
    explicit = os.environ.get("TOOLKIT_INSTALL_SPEC")
    if explicit:
        return [explicit]
    source = Path(toolkit.__file__).resolve().parent.parent
    if is_toolkit_source(source):
        return ["-e", f"{source}[{TOOLKIT_EXTRAS}]"]
    try:
        direct = metadata.distribution("monorepo-toolkit").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        info = json.loads(direct)
        url = info["url"]
        if url.startswith("file://") and "vcs_info" not in info:
            return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}] @ {url}"]
        if "vcs_info" in info:
            vcs = info["vcs_info"]
            revision = vcs.get("commit_id")
            suffix = f"@{revision}" if revision else ""
            return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}] @ {vcs['vcs']}+{url}{suffix}"]
    return [f"monorepo-toolkit[{TOOLKIT_EXTRAS}]=={toolkit.__version__}"]


def is_toolkit_source(folder: Path) -> bool:
    """Whether ``folder`` is a checkout of the toolkit (installed editable from it)."""
    pyproject = folder / "pyproject.toml"
    return pyproject.is_file() and 'name = "monorepo-toolkit"' in pyproject.read_text()


def _requirements(config: RepoConfig, package: Package) -> list[str]:
    """pip arguments: workspace dependencies from their folders, its requirements files
    (the installer follows their ``-r`` and ``-c`` lines), then the package (or, for an
    app that is no installable package, its own dependencies), then its test groups."""
    import nox.project

    args: list[str] = []
    for dependency in config.local_dependencies(package):
        args += ["-e", str(dependency.path)]
    for requirements in package.requirements:
        args += ["-r", str(requirements)]
    pyproject = (
        nox.project.load_toml(package.path / "pyproject.toml") if package.has_pyproject else {}
    )
    if package.installable:
        args += ["-e", f"{package.path}{'[test]' if package.test_extra else ''}"]
    else:
        args += _own_requirements(package, pyproject)
    if package.test_groups:
        args += list(nox.project.dependency_groups(pyproject, *package.test_groups))
    return args + toolkit_requirement()


def _own_requirements(package: Package, pyproject: dict[str, Any]) -> list[str]:
    """What a project that is not installed would have brought: its dependencies (and
    its ``test`` extra), less the workspace packages installed from their folders."""
    project = pyproject.get("project", {})
    wanted = list(project.get("dependencies", []))
    if package.test_extra:
        wanted += project.get("optional-dependencies", {}).get("test", [])
    local = set(package.workspace_dependencies)
    return [item for item in wanted if requirement_name(item) not in local]


def _stamp(config: RepoConfig, package: Package, interpreter: str, requirements: list[str]) -> str:
    digest = hashlib.sha256(json.dumps([interpreter, requirements]).encode())
    sources = [package, *config.local_dependencies(package)]
    files = [
        source.path / name
        for source in sources
        for name in ("pyproject.toml", *legacy.SETUP_FILES)
        if (source.path / name).is_file()
    ]
    files += legacy.referenced_files(package.requirements)
    if config.constraints is not None:
        files.append(config.constraints)  # its pins, not only its name, decide the versions
    toolkit_source = Path(toolkit.__file__).resolve().parent.parent
    if is_toolkit_source(toolkit_source):
        files.append(toolkit_source / "pyproject.toml")
    for path in files:
        # By name within the repository (the requirements above name the checkout).
        name = path.relative_to(config.root) if path.is_relative_to(config.root) else path
        digest.update(str(name).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")  # an include that is missing: the installer says so
    for path in _toolkit_copy_files(requirements):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _toolkit_copy_files(requirements: list[str]) -> list[Path]:
    """The files of a toolkit installed by copy (``monorepo-toolkit @ file:///path``):
    an edit there reinstalls it, and nothing else does."""
    from urllib.parse import unquote, urlsplit

    files: list[Path] = []
    for requirement in requirements:
        name, at, url = requirement.partition(" @ ")
        if at and name.startswith("monorepo-toolkit") and url.startswith("file://"):
            folder = Path(unquote(urlsplit(url).path))
            files += [folder / "pyproject.toml", *sorted((folder / "toolkit").rglob("*.py"))]
    return [path for path in files if path.is_file()]


@functools.cache
def _uv() -> str | None:
    """uv on PATH, or beside the Python running nox (``pip install uv`` puts it there)."""
    found = shutil.which("uv")
    if found:
        return found
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else None


def _no_install(session: nox.Session) -> bool:
    """``nox -R`` / ``--no-install``: reuse the environment as it is."""
    return bool(getattr(session._runner.global_config, "no_install", False))


def _create(session: nox.Session, location: Path, interpreter: str) -> None:
    shutil.rmtree(location, ignore_errors=True)
    uv = _uv()
    if uv:
        session.run(uv, "venv", "--quiet", "--python", interpreter, str(location), external=True)
    else:
        session.run(interpreter, "-m", "venv", str(location), external=True)


def _install_error(output: str) -> str:
    """The line of an installer's output that says what went wrong."""
    lines = [
        line.strip(" ×╰─▶│").removeprefix("cause: ") for line in output.splitlines() if line.strip()
    ]
    # uv explains a failed resolution from its "Because ..." line on (its "And
    # because ..." lines name the other side of a conflict); pip on "ERROR: ...".
    for index, line in enumerate(lines):
        if line.lower().startswith("because"):
            following = [
                later for later in lines[index + 1 :] if later.lower().startswith("and because")
            ]
            return " ".join([line, *following])
    for prefixes in (("error",), ("no solution",)):
        for line in lines:
            if line.lower().startswith(prefixes):
                return line
    return lines[-1] if lines else "no output"


_FLAT_LAYOUT = re.compile(
    r"Multiple top-level (?:packages|modules) discovered in a flat-layout: \[([^\]]*)\]"
)


_PIP_BLOCK_END = "[end of output]"
_UV_BLOCKS = ("[stderr]", "[stdout]")


def _backend_error(output: str) -> str | None:
    """The build backend's own last error line, when a build failed: the last line of
    the output pip quotes (``[end of output]``) or of uv's ``[stderr]`` block (else its
    ``[stdout]`` block)."""
    lines = output.splitlines()
    if _PIP_BLOCK_END in output:
        end = max(i for i, line in enumerate(lines) if line.strip() == _PIP_BLOCK_END)
        quoted = [line.strip() for line in lines[:end] if line.strip()]
        return quoted[-1] if quoted else None
    for marker in _UV_BLOCKS:
        starts = [i for i, line in enumerate(lines) if line.strip() == marker]
        if not starts:
            continue
        indent = len(lines[starts[-1]]) - len(lines[starts[-1]].lstrip())
        block: list[str] = []
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and len(line) - len(line.lstrip()) < indent:
                break  # uv's own lines (hint:, the next cause) end the quoted output
            if line.strip() in _UV_BLOCKS or line.strip().startswith("hint:"):
                break
            if line.strip():
                block.append(line.strip())
        if block:
            return block[-1]
    return None


def _build_fix(package: Package) -> str:
    """What to do about a package whose build failed."""
    shown = f"pip install -e {package.path} shows the whole error"
    if package.has_project and (package.path / "setup.py").is_file():
        return (
            "setuptools applies the [project] table of its pyproject.toml over setup.py "
            "and they disagree; a setup.py package needs no [project] table for the "
            f"toolkit: remove it ({shown})"
        )
    if package.has_pyproject:
        return (
            f"fix its build ({shown}), or set [tool.uv] package = false in its "
            "pyproject.toml to test it from its folder without building it"
        )
    return f"fix its setup.py ({shown})"


def _failure(package: Package, result: subprocess.CompletedProcess[str]) -> str:
    """Why installing the package failed, in one line: a failed build by the build
    backend's own last error line and the fix; setuptools' refusal of a flat layout is
    told with its fix (the toolkit's own ``reports/`` folder, in the package folder of
    a one-package repository, is one of the names it lists)."""
    flat = _FLAT_LAYOUT.search(result.stderr + result.stdout)
    if flat is None:
        backend = _backend_error(result.stderr + "\n" + result.stdout)
        if backend is not None:
            return f"its build failed: {backend}: {_build_fix(package)}"
        return _install_error(result.stderr or result.stdout)
    names = re.findall(r"'([^']+)'", flat.group(1))
    reason = (
        f"setuptools finds several top-level packages in {package.path} "
        f"({', '.join(names)}) and builds none"
    )
    if "reports" in names:
        reason += "; reports/ is the toolkit's report folder, not a package"
    own = [name for name in names if name != "reports"] or ["app"]
    listed = ", ".join(f'"{name}*"' for name in own)
    return (
        f"{reason}: name yours in its pyproject.toml, [tool.setuptools.packages.find] "
        f"include = [{listed}], or move them under src/"
    )


def _install(
    session: nox.Session, package: Package, env: PackageEnv, requirements: list[str]
) -> None:
    uv = _uv()
    if uv:
        command = [uv, "pip", "install", "--quiet", "--python", str(env.python), *requirements]
    else:
        command = [
            str(env.python),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *requirements,
        ]
    session.log(f"{package.name}: installing into {env.location}")
    # In the package's folder: pip reads relative paths in requirements files (``-e .``)
    # from where it runs.
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=package.path)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        session.error(
            f"{package.name}: its environment could not be installed: {_failure(package, result)}"
        )


def _lock_selection(package: Package) -> list[str]:
    """uv options picking the package and its test dependencies out of the lock: the
    same groups the pip path installs, and not uv's default groups (``dev``) unless
    named, so a lock and no lock give one environment."""
    selection = ["--package", package.name, "--no-default-groups"]
    for group in package.test_groups:
        selection += ["--group", group]
    if package.test_extra:
        selection += ["--extra", "test"]
    return selection


def _uv_or_error(session: nox.Session, config: RepoConfig) -> str:
    uv = _uv()
    if uv is None:
        session.error(
            f"{config.lock} pins this repository's dependencies and uv is not installed: "
            "pip install uv (the sessions sync each package from the lock with it)"
        )
    assert uv is not None
    return uv


def _locked_versions(
    session: nox.Session, config: RepoConfig, package: Package, interpreter: str
) -> str:
    """The lock's requirements for the package and its test dependencies, as pins
    (workspace members left out): the stamp's input and the toolkit's constraints.

    uv reads the project with an interpreter: given the package's, it neither looks
    for one its ``requires-python`` admits nor downloads one."""
    uv = _uv_or_error(session, config)
    result = subprocess.run(
        [
            *(uv, "export", "--locked", "--quiet", *_lock_selection(package)),
            *("--no-hashes", "--no-emit-workspace", "--format", "requirements-txt"),
            *("--python", interpreter),
        ],
        cwd=config.root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if "needs to be updated" in result.stderr:
            session.error("uv.lock does not match the pyprojects: run uv lock")
        reason = _install_error(result.stderr)
        session.error(f"{package.name}: its locked requirements could not be read: {reason}")
    return result.stdout


def _as_constraints(pins: str) -> str:
    """The lock's pins as a constraints file: lines naming a folder or an editable
    install (a path source outside the workspace) are left out, as pip and uv refuse
    unnamed requirements as constraints; the sync installed them already."""
    kept = []
    for line in pins.splitlines():
        text = line.strip()
        if text.startswith(("-e ", "--editable", "./", "../", "/", "file:")):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def _sync_locked(
    session: nox.Session,
    config: RepoConfig,
    package: Package,
    env: PackageEnv,
    interpreter: str,
    pins: str,
) -> None:
    """Exactly the lock's versions for the package and its test group, then the
    toolkit's runner plugins without changing any of them."""
    uv = _uv_or_error(session, config)
    session.log(f"{package.name}: syncing {env.location} from uv.lock")
    result = subprocess.run(
        [
            *(uv, "sync", "--locked", "--quiet", *_lock_selection(package)),
            *("--exact", "--python", interpreter),
        ],
        cwd=config.root,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(env.location)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        session.error(
            f"{package.name}: its environment could not be synced from uv.lock: "
            f"{_failure(package, result)}"
        )
    constraints = env.location / "toolkit-constraints.txt"
    constraints.write_text(_as_constraints(pins))
    _install(session, package, env, ["-c", str(constraints), *toolkit_requirement()])


def _existing(config: RepoConfig, package: Package, version: str | None) -> PackageEnv | None:
    """For ``nox -R``: the package's environment as it is, without looking for Pythons."""
    found = sorted((config.root / ".nox").glob(f"toolkit-{package.name}-py{version or '*'}"))
    envs = [PackageEnv(path) for path in found if (path / "bin" / "python").exists()]
    return envs[-1] if len(envs) == 1 or (envs and version) else None


def prepare(
    session: nox.Session, config: RepoConfig, package: Package, version: str | None
) -> PackageEnv:
    """The package's environment (its Python: see :mod:`toolkit.host.interpreters`),
    created or brought up to date: from the lock when the repository has one."""
    _name_uninstalled_groups(session, package)
    existing = _existing(config, package, version or package.python)
    if existing is not None and (
        _no_install(session) or _current(session, config, package, existing)
    ):
        session.log(f"{package.name}: environment {existing.location} is up to date")
        return existing
    chosen = _choose(session, config, package, version)
    env = PackageEnv(config.root / ".nox" / f"toolkit-{package.name}-py{chosen.minor}")
    wanted = _wanted(session, config, package, chosen.path)
    recorded = _recorded(env)
    if env.python.exists() and recorded.get("stamp") == wanted.stamp:
        session.log(f"{package.name}: environment {env.location} is up to date")
        return env
    (env.location / _STAMP).unlink(missing_ok=True)
    if wanted.pins is not None:
        _sync_locked(session, config, package, env, chosen.path, wanted.pins)
    else:
        if not env.python.exists() or recorded.get("interpreter") != chosen.path:
            _create(session, env.location, chosen.path)
        _install(session, package, env, wanted.requirements)
    (env.location / _STAMP).write_text(
        json.dumps({"interpreter": chosen.path, "stamp": wanted.stamp})
    )
    return env


def _current(session: nox.Session, config: RepoConfig, package: Package, env: PackageEnv) -> bool:
    """Whether an existing environment is what its own interpreter would build now.

    Finding interpreters starts every Python on the machine (seconds with pyenv's
    shims, whenever what it remembers of them no longer holds), so the interpreter an
    environment was built on is taken as the one it would be built on: a newly
    installed Python is adopted when the environment's inputs change, or once the
    environment is removed. Results stay exact either way: the result cache keys on
    the interpreter an environment really holds."""
    recorded = _recorded(env)
    interpreter = recorded.get("interpreter")
    if not interpreter or not os.path.exists(interpreter) or not env.python.exists():
        return False
    return recorded.get("stamp") == _wanted(session, config, package, interpreter).stamp


def _name_uninstalled_groups(session: nox.Session, package: Package) -> None:
    """One line for a package whose test dependencies are likely in a group the
    toolkit does not install: one not named ``test`` (uv's ``dev``, ``testing``)."""
    if package.test_groups or package.test_extra or package.test_groups_set:
        return
    if package.dependency_groups:
        listed = ", ".join(f'"{group}"' for group in package.dependency_groups)
        session.log(
            f"{package.name}: no dependency group is installed (it has no test group or "
            f"extra); if its tests need some, name them in [tool.toolkit] of its "
            f"pyproject.toml: test_groups = [{listed}]"
        )


@dataclass(frozen=True)
class _Wanted:
    """What a package's environment is to hold, decided from its inputs alone."""

    requirements: list[str]
    pins: str | None
    stamp: str


def _choose(
    session: nox.Session, config: RepoConfig, package: Package, version: str | None
) -> interpreters.Interpreter:
    try:
        return interpreters.choose(config, package, version, _uv())
    except ToolkitError as error:
        session.error(str(error))
    raise AssertionError("session.error returned")  # pragma: no cover


def _wanted(
    session: nox.Session, config: RepoConfig, package: Package, interpreter: str
) -> _Wanted:
    pins = _locked_versions(session, config, package, interpreter) if config.lock else None
    requirements = toolkit_requirement() if pins is not None else _requirements(config, package)
    if pins is None and config.constraints is not None:
        requirements = ["-c", str(config.constraints), *requirements]
    stamp = _stamp(config, package, interpreter, [*requirements, pins or ""])
    return _Wanted(requirements, pins, stamp)


def _recorded(env: PackageEnv) -> dict[str, str]:
    """What the environment's stamp file says: its interpreter and stamp ({} if none)."""
    try:
        recorded = json.loads((env.location / _STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def built_on(env: PackageEnv) -> str | None:
    """The interpreter the environment was built on, as its stamp records it."""
    return _recorded(env).get("interpreter")


def _python_version(env: PackageEnv) -> str | None:
    """The environment's Python version, as its ``pyvenv.cfg`` records it (uv writes
    ``version_info``, the standard library's venv ``version``)."""
    try:
        lines = (env.location / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return None
    values = dict(line.partition("=")[::2] for line in lines)
    found = {key.strip(): value.strip() for key, value in values.items()}
    return found.get("version_info") or found.get("version") or None


def contents(env: PackageEnv) -> dict[str, Any]:
    """What the environment holds, for keys of results made in it, read without
    starting an interpreter: the interpreter it was built on and its version, its
    stamp; every installed distribution's name and version with a digest of its
    ``RECORD`` (the hash of every file it installed: a rebuild of the same version from
    another commit is another build) and of its ``direct_url.json``; the folders of
    editable installs; and the top level of ``site-packages`` (``.pth`` files and
    modules such as ``sitecustomize`` run or shadow at every start).

    Without a lock, requirements resolve to whatever the index has when the
    environment is built: the stamp alone would call two builds a month apart equal.
    Files of an installed distribution edited by hand are not seen: reinstall it.
    """
    recorded = _recorded(env)
    installed: dict[str, str] = {}
    editable: dict[str, str] = {}
    top = hashlib.sha256()
    for site in sorted(env.location.glob("lib/python*/site-packages")):
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                distribution, _, version = stem.rpartition("-")
                key = distribution.lower().replace("_", "-")
                build = hashlib.sha256()
                for part in ("RECORD", "direct_url.json"):
                    with contextlib.suppress(OSError):
                        build.update((site / name / part).read_bytes())
                installed[key] = f"{version} ({build.hexdigest()[:12]})"
                folder = _editable_folder(site / name / "direct_url.json")
                if folder:
                    editable[key] = folder
                continue
            if name == "__pycache__":
                continue  # written when a top-level module is first imported: by the run
            top.update(name.encode() + b"\0")
            if suffix in ("py", "pth"):
                with contextlib.suppress(OSError):
                    top.update((site / name).read_bytes())
    return {
        "interpreter": recorded.get("interpreter"),
        "python": _python_version(env),
        "stamp": recorded.get("stamp"),
        "installed": installed,
        "site-packages": top.hexdigest(),
        "editable": editable,
    }


def _editable_folder(direct_url: Path) -> str | None:
    """The folder an editable install runs from (PEP 610), if it is one."""
    from urllib.parse import unquote, urlsplit

    try:
        info = json.loads(direct_url.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not info.get("dir_info", {}).get("editable"):
        return None
    url = str(info.get("url", ""))
    return unquote(urlsplit(url).path) if url.startswith("file://") else None
