"""The template cache's trust and pruning rules, against a fake pg_restore."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.postgres import _stored_templates
from toolkit.postgres._stored_templates import TemplateStore, prune
from toolkit.postgres.server import Server

_SERVER = Server(
    provider="external", host="127.0.0.1", port=1, user="u", password="p", database="d"
)


@pytest.fixture
def store(tmp_path: Path) -> TemplateStore:
    """A store whose pg_restore records what it was given instead of restoring it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pg_restore", "pg_dump"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\ncat > "{tmp_path}/{tool}.input"\n')
        script.chmod(0o755)
    folder = tmp_path / "templates"
    folder.mkdir(mode=0o700)
    return TemplateStore(folder=folder, key="k" * 64, family="f" * 16, bin_dir=bin_dir)


def _entry(store: TemplateStore, content: bytes, digest: str | None = None) -> Path:
    digest = digest or hashlib.sha256(content).hexdigest()
    path = store.folder / f"{store.family}-{store.key}-{digest}.dump"
    path.write_bytes(content)
    return path


def _restored(store: TemplateStore) -> bytes | None:
    given = store.bin_dir.parent / "pg_restore.input"
    return given.read_bytes() if given.exists() else None


def test_an_entry_whose_content_matches_its_name_is_restored(store: TemplateStore) -> None:
    _entry(store, b"PGDMP dump")

    assert store.restore(_SERVER, "db") is True
    assert _restored(store) == b"PGDMP dump"


def test_an_edited_or_truncated_entry_is_removed_not_restored(
    store: TemplateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _entry(store, b"PGDMP dump", digest=hashlib.sha256(b"PGDMP dump, longer").hexdigest())

    assert store.restore(_SERVER, "db") is False
    assert _restored(store) is None
    assert not entry.exists()
    assert "does not match its content" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["symlink", "hard link", "other owner", "fifo"])
def test_an_entry_that_is_no_plain_file_of_this_user_is_never_read(
    store: TemplateStore, tmp_path: Path, kind: str
) -> None:
    content = b"PGDMP planted"
    name = f"{store.family}-{store.key}-{hashlib.sha256(content).hexdigest()}.dump"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(content)
    if kind == "symlink":
        (store.folder / name).symlink_to(elsewhere)
    elif kind == "hard link":
        os.link(elsewhere, store.folder / name)
    elif kind == "fifo":
        os.mkfifo(store.folder / name)
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can give a file to another user")
        (store.folder / name).write_bytes(content)
        os.chown(store.folder / name, 65534, 65534)

    assert store.restore(_SERVER, "db") is False
    assert _restored(store) is None
    assert not (store.folder / name).exists()


def test_a_failed_restore_says_why_and_reports_it_tried(
    store: TemplateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    (store.bin_dir / "pg_restore").write_text(
        "#!/bin/sh\necho 'pg_restore: error: boom' >&2\nexit 1\n"
    )
    _entry(store, b"PGDMP dump")

    assert store.restore(_SERVER, "db") is False
    assert store.attempted
    assert "stored template not restored (pg_restore: error: boom)" in capsys.readouterr().err


def test_the_password_reaches_the_client_by_environment_only(store: TemplateStore) -> None:
    record = store.bin_dir.parent / "seen"
    (store.bin_dir / "pg_restore").write_text(
        f'#!/bin/sh\necho "$PGPASSWORD $*" > "{record}"\ncat > /dev/null\n'
    )
    _entry(store, b"PGDMP dump")

    assert store.restore(_SERVER, "db")
    password, *argv = record.read_text().split()
    assert password == "p"
    assert "p" not in argv


def test_a_failed_dump_keeps_nothing(
    store: TemplateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    (store.bin_dir / "pg_dump").write_text(
        "#!/bin/sh\necho partial\necho 'pg_dump: error: could not write: No space left' >&2\nexit 1\n"
    )

    store.save(_SERVER, "db")

    assert list(store.folder.iterdir()) == []
    assert "not kept for the next run (pg_dump: error: could not write: No space left)" in (
        capsys.readouterr().err
    )


def test_a_saved_dump_is_named_by_its_content_and_replaces_the_keys_older_one(
    store: TemplateStore,
) -> None:
    (store.bin_dir / "pg_dump").write_text("#!/bin/sh\nprintf 'PGDMP new'\n")
    old = _entry(store, b"PGDMP old")

    store.save(_SERVER, "db")

    (entry,) = store.folder.iterdir()
    assert entry != old
    assert entry.name.endswith(f"-{hashlib.sha256(b'PGDMP new').hexdigest()}.dump")
    assert entry.stat().st_mode & 0o777 == 0o600


def _aged(path: Path, seconds: float) -> Path:
    path.write_bytes(b"x")
    when = time.time() - seconds
    os.utime(path, (when, when))
    return path


def test_pruning_keeps_a_familys_two_most_recent_and_sweeps_the_stale(tmp_path: Path) -> None:
    newest = _aged(tmp_path / "fam-a-1.dump", 10)
    before = _aged(tmp_path / "fam-b-1.dump", 20)
    oldest = _aged(tmp_path / "fam-c-1.dump", 30)
    other_family = _aged(tmp_path / "oth-a-1.dump", 40)
    unused = _aged(tmp_path / "oth-b-1.dump", _stored_templates.UNUSED_FOR + 60)
    killed_mid_dump = _aged(tmp_path / ".k.123.tmp", 2 * 3600)
    dumping_now = _aged(tmp_path / ".k.456.tmp", 5)

    prune(tmp_path, "fam")

    assert sorted(tmp_path.iterdir()) == sorted([newest, before, other_family, dumping_now])
    assert not {oldest, unused, killed_mid_dump} & set(tmp_path.iterdir())


def test_another_checkouts_entry_for_the_same_key_is_restored(store: TemplateStore) -> None:
    content = b"PGDMP from the other worktree"
    digest = hashlib.sha256(content).hexdigest()
    (store.folder / f"{'0' * 16}-{store.key}-{digest}.dump").write_bytes(content)
    (store.folder / f"{'0' * 16}-{'x' * 64}-{digest}.dump").write_bytes(b"another key")

    assert store.restore(_SERVER, "db") is True
    assert _restored(store) == content


def test_a_template_folder_of_another_user_is_refused_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    cache = tmp_path / "cache"
    (cache / "templates").mkdir(parents=True)
    cache.chmod(0o700)
    os.chown(cache / "templates", 65534, 65534)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(cache))

    with pytest.raises(ToolkitError, match="template cache folder .* belongs to uid 65534"):
        _stored_templates._folder()


def test_pruning_keeps_a_bounded_number_in_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stored_templates, "KEEP_ALL", 3)
    entries = [_aged(tmp_path / f"f{index}-k-1.dump", 10 * index) for index in range(5)]

    prune(tmp_path)

    assert sorted(tmp_path.iterdir()) == sorted(entries[:3])


class _Answers:
    """A connection that answers the one query ``open_store`` sends."""

    def __init__(self, row: tuple[object, ...]) -> None:
        self.row = row

    def execute(self, *_args: object) -> _Answers:
        return self

    def fetchone(self) -> tuple[object, ...]:
        return self.row


def test_without_a_client_of_the_servers_major_templates_are_built_as_before(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_stored_templates, "_client_bin", lambda major: None)
    connection = _Answers((17, "UTF8", "en_US.utf8", "en_US.utf8", "postgres"))

    assert _stored_templates.open_store(connection, "fingerprint", "family") is None  # type: ignore[arg-type]
    (line,) = capsys.readouterr().err.splitlines()
    assert "no pg_dump/pg_restore of PostgreSQL 17" in line
    assert "postgresql-client-17" in line


def test_the_key_follows_the_server_major_locale_and_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_stored_templates, "_client_bin", lambda major: tmp_path)
    base = (15, "UTF8", "C", "C", "postgres")

    def key(*changes: tuple[int, object]) -> str:
        row = list(base)
        for index, value in changes:
            row[index] = value
        store = _stored_templates.open_store(_Answers(tuple(row)), "fp", "fam")  # type: ignore[arg-type]
        assert store is not None
        return store.key

    keys = {key(), key((0, 16)), key((2, "en_US.utf8")), key((4, "app"))}
    assert len(keys) == 4
    assert key() == key()
