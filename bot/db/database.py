"""The async engine and its sessions, tuned per backend.

Two kinds of unit of work:

* ``session()`` reads (a deferred transaction on SQLite, the default on PostgreSQL);
* ``transaction()`` writes, and commits on success. On SQLite it starts with ``BEGIN IMMEDIATE``:
  it takes the database's write lock before its first read, so two writers queue for the lock
  (``busy_timeout``) instead of both reading, then one failing with "database is locked" when it
  tries to write on a snapshot another writer has changed. On PostgreSQL decisions that many
  people race for lock their row (``SELECT ... FOR UPDATE``).

The pools are sized on purpose: SQLite has one writer at a time, so a few connections serve
readers beside it; PostgreSQL gets enough for every worker of the bot and some to spare. A
caller waits at most ``POOL_TIMEOUT`` seconds for a connection, and the bot bounds how much work
runs at once (handlers queue rather than pile onto the pool).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Insert, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.config import sqlite_path

SQLITE_POOL = {"pool_size": 4, "max_overflow": 4}
POSTGRES_POOL = {"pool_size": 10, "max_overflow": 10}
POOL_TIMEOUT = 60  # seconds a caller may wait for a pooled connection
POSTGRES_CONNECT_TIMEOUT = 10.0  # seconds a new PostgreSQL connection may take before it fails
SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for the write lock
_IMMEDIATE = "cisip_immediate"


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        options: dict[str, Any] = {"echo": echo}
        if self.backend == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                # A folder that cannot be made fails at the first connection, where
                # bot.db.diagnose says why.
                with contextlib.suppress(OSError):
                    path.parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if url.endswith(":memory:") or path is None:
                options["poolclass"] = NullPool
            else:
                options.update(SQLITE_POOL, pool_timeout=POOL_TIMEOUT)
        else:
            options.update(POSTGRES_POOL, pool_timeout=POOL_TIMEOUT, pool_pre_ping=True)
            options["connect_args"] = {"timeout": POSTGRES_CONNECT_TIMEOUT}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        writer = self.engine
        if self.backend == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            writer = self.engine.execution_options(**{_IMMEDIATE: True})
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(writer, expire_on_commit=False)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on error."""
        async with self._writer() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off: the "begin" listener below says how
    # each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; busy_timeout waits for a lock instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def upsert(database: Database, model: Any, keys: list[str], columns: list[str]) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET columns``, in the backend's dialect: one
    statement that is right whoever writes first."""
    dialect = postgresql if database.backend == "postgresql" else sqlite
    statement = dialect.insert(model)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: getattr(statement.excluded, name) for name in columns}
    )


async def claim_row(session: AsyncSession, model: Any, defaults: dict[str, Any], **key: Any) -> Any:
    """The row of ``model`` with this key, created from ``defaults`` when missing, and held for the
    rest of the transaction: two writers who both find it missing cannot both insert it (the
    insert is ``ON CONFLICT DO NOTHING``, then the row is read ``FOR UPDATE``)."""
    dialect = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(model).values(**key, **defaults).on_conflict_do_nothing())
    return await session.scalar(select(model).filter_by(**key).with_for_update())


# The first key of every ``hold`` lock (two-int advisory locks never meet the one-bigint locks of
# leadership and migrations).
_HOLD_CLASS = 0x43495350  # "CISP"


async def hold(session: AsyncSession, name: str) -> None:
    """Hold the lock called ``name`` until the transaction ends, for a rule no unique key can keep
    (a name unique in any letter case, a whole directory written at once): writers of the same
    ``name`` take turns. On PostgreSQL a transaction-level advisory lock; on SQLite nothing, since
    every write transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_HOLD_CLASS, func.hashtext(name))))
