"""Template databases and their clones: schema built once per server, copied per user.

``CREATE DATABASE ... TEMPLATE`` copies files instead of replaying DDL, so a package
(or an xdist worker) gets a ready database in a few milliseconds however large its
schema. Building a template is serialised across processes with a PostgreSQL advisory
lock, so concurrent workers build it exactly once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from toolkit.postgres import extensions

if TYPE_CHECKING:
    import psycopg

    from toolkit.postgres.schema import Schema
    from toolkit.postgres.server import Server

__all__ = ["clone_database", "database_name", "drop_database", "ensure_template"]

_MAX_NAME = 63  # NAMEDATALEN - 1


def database_name(*parts: str) -> str:
    """A valid, lower-case identifier from ``parts``; long names keep a hash suffix."""
    name = re.sub(r"[^a-z0-9_]+", "_", "_".join(parts).lower()).strip("_") or "db"
    if name[0].isdigit():
        name = f"db_{name}"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: _MAX_NAME - 9]}_{digest}"
    return name


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


def _quote(name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name)


def ensure_template(server: Server, schema: Schema) -> str:
    """The name of a template holding ``schema`` on ``server``, built if missing."""
    from psycopg import sql

    digest = hashlib.sha256(schema.fingerprint().encode()).hexdigest()
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
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(building))
            )
            connection.execute(sql.SQL("CREATE DATABASE {}").format(_quote(building)))
            try:
                schema.apply(server.url(building))
            except BaseException as error:
                connection.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(_quote(building))
                )
                explained = extensions.explain(error, server.details.get("binaries"))
                if explained is not None:
                    raise explained from None
                raise
            # Published under its final name only once complete: a crash mid-build
            # never leaves a half-built template that later runs would trust.
            connection.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(_quote(building), _quote(name))
            )
            connection.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(_quote(name)))
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
    return name


def clone_database(server: Server, template: str, name: str) -> str:
    """(Re)create database ``name`` as a copy of ``template``; returns ``name``."""
    from psycopg import sql

    with _admin(server) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(_quote(name), _quote(template))
        )
    return name


def drop_database(server: Server, name: str) -> None:
    from psycopg import sql

    with _admin(server) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(name)))
