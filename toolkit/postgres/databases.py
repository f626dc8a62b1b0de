"""Template databases and their clones: schema built once per server, copied per user.

``CREATE DATABASE ... TEMPLATE`` copies files instead of replaying DDL, so a package
(or an xdist worker) gets a ready database in a few milliseconds however large its
schema. Building a template is serialised across processes with a PostgreSQL advisory
lock, so concurrent workers build it exactly once.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from toolkit import variables
from toolkit.errors import ToolkitError
from toolkit.postgres import _process_marks, _stored_templates, extensions

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

    from toolkit.postgres.schema import Schema
    from toolkit.postgres.server import Server

__all__ = [
    "InUse",
    "clone_database",
    "database_name",
    "drop_abandoned",
    "drop_database",
    "ensure_template",
    "run_database_name",
    "run_id",
]

_MAX_NAME = 63  # NAMEDATALEN - 1


_HASHED = re.compile(r"_[0-9a-f]{6}$")


def database_name(*parts: str) -> str:
    """A valid, lower-case identifier from ``parts``; long names keep a hash suffix.

    Two different ``parts`` never give one name. Folding (case, punctuation,
    non-ASCII) can make two names one (``svc-a`` and ``svc_a``, ``svc-ä`` and
    ``svc-ö``): whenever it changed anything, a short hash of the original parts is
    appended. A name that needed no folding is kept as it is, unless it ends like
    such a hash itself (so that no name ever given could come from another one).
    """
    joined = "_".join(parts)
    name = re.sub(r"[^a-z0-9_]+", "_", joined.lower()).strip("_") or "db"
    if name[0].isdigit():
        name = f"db_{name}"
    if name != joined or _HASHED.search(name):
        name = f"{name}_{hashlib.sha256(joined.encode()).hexdigest()[:6]}"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        name = f"{name[: _MAX_NAME - 7]}_{digest}"
    return name


def run_id() -> str:
    """What sets this run's databases apart on a server other runs share.

    ``TOOLKIT_RUN_ID`` when the caller set one for a whole run (every process of a
    nox run agrees on it), else a random token drawn once per process.
    """
    explicit = os.environ.get(variables.RUN_ID, "").strip()
    if explicit:
        return explicit
    global _RUN_ID
    if _RUN_ID is None:
        _RUN_ID = secrets.token_hex(4)
    return _RUN_ID


_RUN_ID: str | None = None


def run_database_name(*parts: str) -> str:
    """:func:`database_name` plus :func:`run_id`: two runs never pick the same name."""
    return database_name(*parts, run_id())


@contextmanager
def _admin(server: Server) -> Iterator[psycopg.Connection]:
    import psycopg

    # The maintenance database always exists; the URL's own database need not (a
    # runner may name a per-package database that only its clones will realise).
    try:
        connection = psycopg.connect(server.dsn("postgres"), autocommit=True)
    except psycopg.OperationalError:
        connection = psycopg.connect(server.dsn(), autocommit=True)
    with connection:
        yield connection


def _exists(connection: psycopg.Connection, name: str) -> bool:
    row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _quote(name: str) -> sql.Identifier:
    from psycopg import sql

    return sql.Identifier(name)


_TEMPLATE_PREFIX = "toolkit_tpl_"


class InUse(ToolkitError):
    """A database another session is connected to: never dropped from under it."""


def _family_comment(family: str) -> str:
    return f"toolkit template of {hashlib.sha256(family.encode()).hexdigest()[:16]}"


def ensure_template(server: Server, schema: Schema, *, family: str | None = None) -> str:
    """The name of a template holding ``schema`` on ``server``, built if missing.

    ``family`` (else the schema's own ``family`` attribute) names whose template it is,
    such as a package's folder: when a new template of a family is built, the family's
    older ones are dropped, unless someone is connected to them. ``TOOLKIT_TEMPLATE_SALT``
    enters the fingerprint: change it to force a rebuild.
    """
    from psycopg import sql

    family = family or getattr(schema, "family", None)
    salt = os.environ.get(variables.SALT, "")
    digest = hashlib.sha256(f"{schema.fingerprint()}\0{salt}".encode()).hexdigest()
    name = database_name("toolkit_tpl", digest[:16])
    lock_key = int(digest[:15], 16)
    with _admin(server) as connection:
        if _exists(connection, name):
            return name
        connection.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        try:
            if _exists(connection, name):
                return name
            building = database_name(name, "building")
            _recreate(connection, building)
            store = (
                _stored_templates.open_store(connection, digest, family)
                if getattr(schema, "stored", False)
                else None
            )
            with store.lock() if store is not None else nullcontext():
                # An earlier run's result, when stored: the setup does not run again.
                restored = store is not None and store.restore(server, building)
                if not restored:
                    if store is not None and store.attempted:
                        _recreate(connection, building)  # whatever a failed restore left
                    _build(connection, server, schema, building, store)
            # Published under its final name only once complete: a crash mid-build
            # never leaves a half-built template that later runs would trust.
            connection.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(_quote(building), _quote(name))
            )
            connection.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(_quote(name)))
            if family:
                connection.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                        _quote(name), sql.Literal(_family_comment(family))
                    )
                )
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
        if family:
            _drop_older_templates(connection, family, keep=name)
    return name


def _recreate(connection: psycopg.Connection, name: str) -> None:
    from psycopg import sql

    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(name)))
    connection.execute(sql.SQL("CREATE DATABASE {}").format(_quote(name)))


def _build(
    connection: psycopg.Connection,
    server: Server,
    schema: Schema,
    building: str,
    store: _stored_templates.TemplateStore | None,
) -> None:
    """Apply ``schema`` to the empty ``building``; then keep the result in ``store``,
    unless the build made what a dump of one database cannot carry (a role, say)."""
    from psycopg import sql

    before = _stored_templates.cluster_objects(connection, building) if store else None
    try:
        schema.apply(server.url(building))
    except BaseException as error:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(_quote(building)))
        explained = extensions.explain(error, server.details.get("binaries"))
        if explained is not None:
            raise explained from None
        raise
    if store is None:
        return
    if _stored_templates.cluster_objects(connection, building) != before:
        _stored_templates.note(
            "the template is rebuilt every run: its setup made roles, tablespaces or "
            "database settings, which a dump of one database does not carry"
        )
        return
    store.save(server, building)


def _drop_older_templates(connection: psycopg.Connection, family: str, keep: str) -> None:
    """Drop the family's other templates that nobody is connected to."""
    import psycopg
    from psycopg import sql

    rows = connection.execute(
        "SELECT d.datname FROM pg_database d "
        "WHERE d.datname LIKE %s AND d.datname <> %s "
        "AND shobj_description(d.oid, 'pg_database') = %s",
        (f"{_TEMPLATE_PREFIX}%", keep, _family_comment(family)),
    ).fetchall()
    for (old,) in rows:
        if _others_connected(connection, old):
            continue  # kept for later, without waiting the 5 s a busy DROP takes
        try:
            connection.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(_quote(old)))
            connection.execute(sql.SQL("DROP DATABASE {}").format(_quote(old)))
        except psycopg.errors.ObjectInUse:
            # A run is cloning it or connected to it right now: keep it for later.
            connection.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(_quote(old)))
        except psycopg.Error:
            continue


#: Databases this process created, with the OID each got: the only ones it drops with
#: FORCE, and only while the name still holds that OID (another process may have
#: dropped it meanwhile and made its own under the same name).
_created: dict[tuple[str, int, str], int] = {}


def _oid(connection: psycopg.Connection, name: str) -> int | None:
    row = connection.execute("SELECT oid FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return int(row[0]) if row else None


def _others_connected(connection: psycopg.Connection, name: str) -> int:
    row = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    ).fetchone()
    return int(row[0]) if row else 0


def _in_use(server: Server, name: str, count: int) -> InUse:
    return InUse(
        f"database {name!r} on {server.host}:{server.port} is in use by another session "
        f"({count} connection(s)); it was left alone",
        "give each run its own database name (run_database_name, TOOLKIT_RUN_ID), "
        "or stop the other run",
    )


_FILE_COPY_SINCE = 150000  # server_version_num of PostgreSQL 15, which added STRATEGY


def _copy_strategy(connection: psycopg.Connection) -> sql.Composable:
    """``STRATEGY FILE_COPY`` on a throwaway server (``fsync = off``), else nothing.

    Since PostgreSQL 15 a clone is written page by page through the WAL by default
    (``WAL_LOG``): about 8 MB of system catalogs per clone, whatever the schema.
    ``FILE_COPY`` copies the files and checkpoints twice, which costs next to nothing
    without fsync: faster alone, and much faster when xdist workers clone at once
    (``benchmarks/postgres.py``, part 2b). On a durable server those checkpoints
    would flush everyone's dirty pages, so there the default stays.
    """
    from psycopg import sql

    if connection.info.server_version < _FILE_COPY_SINCE:
        return sql.SQL("")
    row = connection.execute("SELECT current_setting('fsync')").fetchone()
    return sql.SQL(" STRATEGY FILE_COPY") if row and row[0] == "off" else sql.SQL("")


def clone_database(server: Server, template: str, name: str, *, mark_owner: bool = False) -> str:
    """(Re)create database ``name`` as a copy of ``template``; returns ``name``.

    An existing ``name`` is replaced at once only if it is still the very database this
    process created (same OID); any other only if nobody is connected to it: on a
    server other runs share, it may be theirs (:class:`InUse`, one line). With
    ``mark_owner`` (a name of this process's own) the database names this process,
    so that :func:`drop_abandoned` can remove it if the process is killed outright.
    """
    import psycopg
    from psycopg import sql

    key = (server.host, server.port, name)
    with _admin(server) as connection:
        existing = _oid(connection, name)
        if existing is not None:
            if _created.get(key) == existing:
                drop = sql.SQL("DROP DATABASE {} WITH (FORCE)")
            else:
                drop = sql.SQL("DROP DATABASE {}")
                count = _others_connected(connection, name)
                if count:
                    raise _in_use(server, name, count)
            try:
                connection.execute(drop.format(_quote(name)))
            except psycopg.errors.ObjectInUse:
                raise _in_use(server, name, _others_connected(connection, name)) from None
        _created.pop(key, None)
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                _quote(name), _quote(template), _copy_strategy(connection)
            )
        )
        created = _oid(connection, name)
        owner = _process_marks.mark() if mark_owner else None
        if owner is not None:
            connection.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(_quote(name), sql.Literal(owner))
            )
    if created is not None:
        _created[key] = created
    return name


def drop_abandoned(server: Server) -> list[str]:
    """Drop the databases of processes on this machine that were killed before they
    could (see ``mark_owner``); returns their names. Only databases nobody is
    connected to go, never with FORCE."""
    import psycopg
    from psycopg import sql

    prefix = _process_marks.local_prefix()
    if prefix is None:
        return []
    dropped = []
    with _admin(server) as connection:
        rows = connection.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE NOT datistemplate AND shobj_description(oid, 'pg_database') LIKE %s",
            (prefix.replace("%", r"\%").replace("_", r"\_") + "%",),
        ).fetchall()
        for name, found in rows:
            if _process_marks.alive(found):
                continue
            try:
                connection.execute(sql.SQL("DROP DATABASE {}").format(_quote(name)))
            except psycopg.Error:
                continue  # in use after all, or gone already
            dropped.append(name)
    return dropped


def drop_database(server: Server, name: str) -> str | None:
    """Drop ``name`` if it is this process's; returns a one-line note when it was left.

    The very database this process created (same OID) is dropped with FORCE. One it
    created but that is not there any more under that OID is someone else's now and is
    left alone. One it never created is dropped only if nobody uses it.
    """
    import psycopg
    from psycopg import sql

    key = (server.host, server.port, name)
    where = f"database {name!r} on {server.host}:{server.port}"
    ours = _created.pop(key, None)
    with _admin(server) as connection:
        current = _oid(connection, name)
        if current is None:
            return None
        if ours is not None and current != ours:
            return (
                f"{where} is no longer the one this process created (another session "
                "made its own under that name); it was left alone"
            )
        in_use = f"{where} is in use by another session; it was left alone"
        if ours is None and _others_connected(connection, name):
            return in_use  # without waiting the 5 s PostgreSQL gives a busy database
        force = sql.SQL(" WITH (FORCE)") if ours is not None else sql.SQL("")
        try:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(_quote(name), force))
        except psycopg.errors.ObjectInUse:
            return in_use
    return None
