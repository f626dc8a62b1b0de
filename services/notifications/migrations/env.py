"""Alembic environment.

Three ways in, in this order:
1. a live SQLAlchemy ``Connection`` in ``config.attributes["connection"]`` (the toolkit's
   pytest plugin builds the test template this way);
2. ``sqlalchemy.url`` set on the config;
3. the service's settings (``NOTIFICATIONS_DATABASE_URL`` or ``DATABASE_URL``).
Migrations run synchronously over psycopg; the app itself uses the async driver.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from notifications import models  # noqa: F401  (registers the tables on Base.metadata)
from notifications.config import DatabaseSettings
from notifications.db import Base
from service_kit.database import normalize_database_url

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return normalize_database_url(url) if url else DatabaseSettings().database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
