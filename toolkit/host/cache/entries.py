"""Result-cache entries: what a passing run left, what it was run from, signed.

An entry is a folder named by its key, holding the run's JUnit XML and coverage data
and ``entry.json``: the inputs the key was made from (so a later miss can say what
changed), the files the run itself wrote inside the packages (its outputs, each as it
left them), the digests of the stored reports, and a MAC over all of it made with
this user's secret (:mod:`toolkit.host.cache.secret`). An entry is trusted only when
its folder and file are this user's and writable by no one else, its MAC checks, and
its key is the hash of its inputs: an entry checked out by git, restored from another
machine's cache or edited by hand fails one of these and is never replayed.

Each package, layer, shard and Python has a *head*: the key of its newest entry, whose
outputs the next key leaves out and whose inputs a miss is explained against.

Standard library only: the nox host imports this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "COVERAGE",
    "JUNIT",
    "KEEP",
    "Entry",
    "Outputs",
    "Untrusted",
    "canonical",
    "head_id",
    "key_of",
    "newest",
    "of_head",
    "prune",
    "read",
    "read_outputs",
    "write",
    "write_outputs",
]

JUNIT = "junit.xml"
COVERAGE = "data.coverage"
#: Entries kept after each store, the most recently used first.
KEEP = 256
_ENTRY = "entry.json"
_HEADS = "heads"
_STAGING = ".incoming-"
_MAX_ENTRY = 64 << 20


class Untrusted(Exception):
    """An entry is there but not to be believed; the message says why."""


@dataclass(frozen=True)
class Entry:
    key: str
    head: str
    #: What the key was made from (see :func:`key_of`).
    inputs: dict[str, Any]
    #: Files the run wrote inside the packages -> their digest as it left them.
    outputs: dict[str, str]
    #: Stored report files (``JUNIT``, ``COVERAGE``) -> their digest.
    files: dict[str, str] = field(default_factory=dict)
    stored: float = 0.0


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def key_of(inputs: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(inputs)).hexdigest()


def head_id(*parts: object) -> str:
    """The name of a head: one per package, layer, shard and Python asked for."""
    return hashlib.sha256(canonical(list(parts))).hexdigest()[:32]


def _mac(secret: bytes, entry: Entry) -> str:
    return hmac.new(secret, canonical(asdict(entry)), hashlib.sha256).hexdigest()


def digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _ours(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def read(cache: Path, key: str, secret: bytes) -> Entry | None:
    """The entry stored under ``key``; None when there is none.

    Raises :class:`Untrusted` when one is there that this user did not make as it is.
    """
    folder = cache / key
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or not _ours(info):
        raise Untrusted(f"entry {key[:12]} is not a folder of this user's alone")
    try:
        descriptor = os.open(folder / _ENTRY, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise Untrusted(f"entry {key[:12]} has no readable {_ENTRY}: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or not _ours(info):
            raise Untrusted(f"entry {key[:12]}'s {_ENTRY} is not a file of this user's alone")
        raw = handle.read(_MAX_ENTRY + 1)
    try:
        document = json.loads(raw)
        entry = Entry(**document["entry"])
        mac = str(document["mac"])
    except (ValueError, KeyError, TypeError):
        raise Untrusted(f"entry {key[:12]} cannot be read") from None
    if not hmac.compare_digest(mac, _mac(secret, entry)):
        raise Untrusted(
            f"entry {key[:12]} was not signed with this user's secret (made elsewhere, "
            "copied, or edited)"
        )
    if entry.key != key or key_of(entry.inputs) != key:
        raise Untrusted(f"entry {key[:12]} does not match its key")
    return entry


def newest(cache: Path, head: str, secret: bytes) -> Entry | None:
    """The newest entry of a head, if any (raises :class:`Untrusted` like :func:`read`)."""
    try:
        key = (cache / _HEADS / head).read_text().strip()
    except OSError:
        return None
    if len(key) != 64 or not all(char in "0123456789abcdef" for char in key):
        return None
    entry = read(cache, key, secret)
    return entry if entry is not None and entry.head == head else None


def of_head(cache: Path, head: str, secret: bytes) -> list[Entry]:
    """Every trusted entry of a head (to explain a miss against the nearest)."""
    found = []
    for folder in cache.iterdir():
        if len(folder.name) != 64 or folder.name.startswith("."):
            continue
        try:
            entry = read(cache, folder.name, secret)
        except Untrusted:
            continue
        if entry is not None and entry.head == head:
            found.append(entry)
    return found


def write(cache: Path, entry: Entry, reports: Mapping[str, Path], secret: bytes) -> bool:
    """Store ``entry`` with copies of its ``reports``, whole or not at all, and make it
    its head's newest."""
    staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=cache))
    try:
        files = {}
        for name, source in reports.items():
            shutil.copyfile(source, staging / name)
            files[name] = digest(staging / name)
        signed = Entry(
            entry.key, entry.head, entry.inputs, entry.outputs, files, stored=time.time()
        )
        document = {"entry": asdict(signed), "mac": _mac(secret, signed)}
        (staging / _ENTRY).write_text(json.dumps(document) + "\n")
        os.chmod(staging, 0o700)
        stored = _into_place(staging, cache / entry.key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if stored:
        _set_head(cache, entry.head, entry.key)
    return stored


def _into_place(staging: Path, final: Path) -> bool:
    """Rename ``staging`` to ``final``. An entry already there under the same key was
    made from the same inputs, but its outputs are an older run's: it is replaced, or
    the next key would count this run's outputs as edits."""
    retired = None
    if final.is_dir():
        retired = final.with_name(f"{_STAGING}{final.name[:12]}-{os.getpid()}-{time.time_ns()}")
        try:
            final.rename(retired)
        except OSError:
            retired = None
    try:
        staging.rename(final)
        stored = True
    except OSError:
        stored = final.is_dir()  # another run stored the same key at the same moment
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return stored


@dataclass(frozen=True)
class Outputs:
    """What layer runs wrote: ``confirmed`` outputs (a run created them, or runs
    rewrote them more than once) and ``candidates`` (a file that was there before and
    changed during one run: a run rewriting it, or someone editing it meanwhile; a
    second run changing it confirms it). Each name -> its digest as it was left."""

    confirmed: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, str] = field(default_factory=dict)


def _outputs_mac(secret: bytes, name: str, outputs: Outputs) -> str:
    signed = canonical(["outputs", name, asdict(outputs)])
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


def write_outputs(cache: Path, name: str, outputs: Outputs, secret: bytes) -> None:
    """Remember what layer runs (passing or not) wrote, signed, under ``name`` (one per
    repository): a failing run rewrites an app's report too, and a package's two
    layers often write the same one; neither may cost the next hit."""
    heads = cache / _HEADS
    heads.mkdir(mode=0o700, exist_ok=True)
    document = {"outputs": asdict(outputs), "mac": _outputs_mac(secret, name, outputs)}
    with tempfile.NamedTemporaryFile("w", dir=heads, prefix=_STAGING, delete=False) as handle:
        handle.write(json.dumps(document) + "\n")
    os.replace(handle.name, heads / f"{name}.outputs")


def read_outputs(cache: Path, name: str, secret: bytes) -> Outputs | None:
    """What layer runs wrote, if recorded under ``name`` and signed by this user."""
    try:
        document = json.loads((cache / _HEADS / f"{name}.outputs").read_text())
        found = document["outputs"]
        outputs = Outputs(
            {str(n): str(d) for n, d in found["confirmed"].items()},
            {str(n): str(d) for n, d in found["candidates"].items()},
        )
        mac = str(document["mac"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return outputs if hmac.compare_digest(mac, _outputs_mac(secret, name, outputs)) else None


def _set_head(cache: Path, head: str, key: str) -> None:
    heads = cache / _HEADS
    heads.mkdir(mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=heads, prefix=_STAGING, delete=False) as handle:
        handle.write(key + "\n")
    os.replace(handle.name, heads / head)


def prune(cache: Path, keep: int = KEEP) -> None:
    """Drop all but the ``keep`` most recently used entries, and stale staging folders."""
    entries = []
    for path in cache.iterdir():
        if path.name == _HEADS:
            continue
        try:
            used = path.lstat().st_mtime
        except OSError:
            continue
        if path.name.startswith(_STAGING):
            if used < time.time() - 3600:
                shutil.rmtree(path, ignore_errors=True)
            continue
        entries.append((used, path))
    for _, path in sorted(entries, reverse=True)[keep:]:
        shutil.rmtree(path, ignore_errors=True)
