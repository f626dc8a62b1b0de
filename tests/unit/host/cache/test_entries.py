"""Entries are believed only when this user made them as they are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from toolkit.host.cache import entries

SECRET = b"k" * 64
INPUTS = {"files": {"app/tests/test_a.py": "0" * 64}, "pytest": []}


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir(mode=0o700)
    return folder


def _stored(cache: Path, secret: bytes = SECRET) -> entries.Entry:
    junit = cache.parent / "junit.xml"
    junit.write_text("<testsuites/>")
    entry = entries.Entry(entries.key_of(INPUTS), "head", INPUTS, {})
    assert entries.write(cache, entry, {entries.JUNIT: junit}, secret)
    return entry


def test_an_entry_reads_back_as_it_was_stored_and_becomes_its_heads_newest(cache: Path) -> None:
    entry = _stored(cache)

    read = entries.read(cache, entry.key, SECRET)
    assert read is not None and read.inputs == INPUTS
    newest = entries.newest(cache, "head", SECRET)
    assert newest is not None and newest.key == entry.key


def test_an_entry_signed_with_another_secret_is_not_believed(cache: Path) -> None:
    """An entry from another machine's cache, or committed to a repository."""
    entry = _stored(cache, secret=b"o" * 64)

    with pytest.raises(entries.Untrusted, match="not signed with this user's secret"):
        entries.read(cache, entry.key, SECRET)


@pytest.mark.parametrize("field", ["inputs", "outputs", "files"])
def test_an_entry_edited_by_hand_is_not_believed(cache: Path, field: str) -> None:
    entry = _stored(cache)
    record = cache / entry.key / "entry.json"
    document = json.loads(record.read_text())
    document["entry"][field] = {"edited": "yes"}
    record.write_text(json.dumps(document))

    with pytest.raises(entries.Untrusted, match="not signed"):
        entries.read(cache, entry.key, SECRET)


def test_an_entry_under_another_key_is_not_believed(cache: Path) -> None:
    entry = _stored(cache)
    other = "f" * 64
    (cache / entry.key).rename(cache / other)

    with pytest.raises(entries.Untrusted, match="does not match its key"):
        entries.read(cache, other, SECRET)


def test_an_entry_others_can_write_is_not_believed(cache: Path) -> None:
    entry = _stored(cache)
    (cache / entry.key).chmod(0o777)

    with pytest.raises(entries.Untrusted, match="not a folder of this user's alone"):
        entries.read(cache, entry.key, SECRET)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file away")
def test_an_entry_record_of_another_user_is_not_believed(cache: Path) -> None:
    entry = _stored(cache)
    os.chown(cache / entry.key / "entry.json", 65534, 65534)

    with pytest.raises(entries.Untrusted, match="not a file of this user's alone"):
        entries.read(cache, entry.key, SECRET)


def test_a_missing_entry_is_none(cache: Path) -> None:
    assert entries.read(cache, "a" * 64, SECRET) is None
    assert entries.newest(cache, "head", SECRET) is None


def test_pruning_keeps_the_most_recently_used_entries_and_the_heads(cache: Path) -> None:
    stored = _stored(cache)  # used now: the newest
    for index in range(5):
        entry = cache / f"{index:064x}"
        entry.mkdir()
        os.utime(entry, (index, index))

    entries.prune(cache, keep=2)

    kept = sorted(path.name for path in cache.iterdir())
    assert kept == sorted([f"{4:064x}", stored.key, "heads"])
