"""Health figures for /status and `cisip-bot check`."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from bot import __version__
from bot.db.database import Database
from bot.db.diagnose import DatabaseProblem, describe_database_error, sqlite_file_problem
from bot.db.migrate import head_revision
from bot.leadership import Leader, me, postgres_leader, sqlite_leader
from bot.scheduler.core import Scheduler


@dataclass(frozen=True)
class Health:
    version: str
    database_backend: str
    database_ok: bool
    database_latency_ms: float | None
    schema_revision: str | None
    schema_head: str | None
    pending_jobs: int
    next_job_at: datetime | None
    leader: Leader | None = None  # the process holding the leader's lock (bot.leadership)

    @property
    def schema_current(self) -> bool:
        return self.schema_revision == self.schema_head

    @property
    def this_process_leads(self) -> bool:
        return is_this_process(self.leader)


def is_this_process(leader: Leader | None) -> bool:
    here = me()
    return leader is not None and (leader.host, leader.pid) == (here.host, here.pid)


async def current_leader(database: Database) -> Leader | None:
    """Who leads on this database: the holder of the PostgreSQL advisory lock or of the SQLite
    file's lock, None when no `cisip-bot run` holds it. Raises when the database cannot be read."""
    if database.backend == "sqlite":
        return sqlite_leader(database.url)
    async with database.engine.connect() as conn:
        return await postgres_leader(conn)


async def database_health(database: Database) -> tuple[DatabaseProblem | None, float | None, str | None]:
    """(why the database cannot be used or None, round-trip in ms, schema revision)."""
    if database.backend == "sqlite":
        problem = sqlite_file_problem(database.url)  # reads pass on a file the bot cannot write
        if problem is not None:
            return problem, None, None
    try:
        _ok, latency, revision, _pending, _next_at = await _probe(database, None, reraise=True)
    except Exception as exc:
        return describe_database_error(exc, database.url), None, None
    return None, latency, revision


async def _probe(
    database: Database, scheduler: Scheduler | None, *, reraise: bool = False
) -> tuple[bool, float | None, str | None, int, datetime | None]:
    """Everything /status reads, over one connection (each round trip costs a thread hop on SQLite)."""
    started = time.perf_counter()
    try:
        async with database.engine.connect() as conn:
            revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            latency = (time.perf_counter() - started) * 1000
            pending, next_at = (0, None)
            if scheduler is not None:
                row = (await conn.execute(scheduler.pending_summary_query())).one()
                pending, next_at = int(row[0] or 0), row[1]
        return True, latency, revision, pending, next_at
    except Exception:
        # An empty database (no alembic_version table yet) still answers.
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            if reraise:
                raise
            return False, None, None, 0, None
        return True, (time.perf_counter() - started) * 1000, None, 0, None


async def collect(database: Database, scheduler: Scheduler) -> Health:
    ok, latency, revision, pending, next_at = await _probe(database, scheduler)
    leader: Leader | None = None
    if ok:
        with contextlib.suppress(Exception):
            leader = await current_leader(database)
    return Health(
        version=__version__,
        database_backend=database.backend,
        database_ok=ok,
        database_latency_ms=latency,
        schema_revision=revision,
        schema_head=head_revision(),
        pending_jobs=pending,
        next_job_at=next_at,
        leader=leader,
    )
