"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.db.database import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class SchemaOutOfDate(Exception):
    """The database is at an older (or unknown) revision than this code expects."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str | None:
    """The newest revision this code ships (read from the migration files once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(database: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; returns (before, after)."""
    config = alembic_config()

    def run(connection: Connection) -> tuple[str | None, str | None]:
        if connection.dialect.name == "postgresql":
            # Two bot processes starting together on one database: one migrates, the other waits.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7130521)")
        before = _current(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return before, _current(connection)

    async with database.engine.begin() as conn:
        return await conn.run_sync(run)


async def ensure_current(database: Database) -> str:
    """Refuse to go on with a schema older than the code."""
    current = await current_revision(database)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'} but this version needs {head}: "
            "run `cisip-bot db upgrade`"
        )
    assert head is not None
    return head
