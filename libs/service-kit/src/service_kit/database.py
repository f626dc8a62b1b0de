"""How every service names its database: the URL it accepts and its constraints' names."""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["NAMING_CONVENTION", "normalize_database_url", "new_metadata"]

_PSYCOPG = "postgresql+psycopg://"
# libpq's and the toolkit's scheme, Heroku's, and psycopg 2's: all served by psycopg 3.
_REWRITTEN = ("postgresql://", "postgres://", "postgresql+psycopg2://")

# Deterministic constraint names: migrations and models agree on them, and a service
# recognises a unique violation by its constraint's name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def normalize_database_url(url: str) -> str:
    """``url`` as a SQLAlchemy URL on psycopg 3, whichever PostgreSQL scheme it came with.

    ``DATABASE_URL`` is usually libpq's ``postgresql://`` (the toolkit sets that); SQLAlchemy
    would pick psycopg 2 for it, which the services do not install. Any other database
    or driver is refused (``ValueError``, which pydantic reports as a settings error).
    """
    if url.startswith(_PSYCOPG):
        return url
    for prefix in _REWRITTEN:
        if url.startswith(prefix):
            return _PSYCOPG + url.removeprefix(prefix)
    raise ValueError("must be a PostgreSQL URL (postgresql:// or postgresql+psycopg://)")


def new_metadata() -> MetaData:
    """A fresh ``MetaData`` with the shared naming convention, for one service's ``Base``."""
    return MetaData(naming_convention=NAMING_CONVENTION)
