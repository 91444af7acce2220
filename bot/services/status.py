"""Health figures for /status and `cisip-bot check`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from bot import __version__
from bot.db.database import Database
from bot.db.migrate import current_revision, head_revision
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

    @property
    def schema_current(self) -> bool:
        return self.schema_revision == self.schema_head


async def database_health(database: Database) -> tuple[bool, float | None, str | None]:
    started = time.perf_counter()
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        latency = (time.perf_counter() - started) * 1000
        return True, latency, await current_revision(database)
    except Exception:
        return False, None, None


async def collect(database: Database, scheduler: Scheduler) -> Health:
    ok, latency, revision = await database_health(database)
    pending = await scheduler.pending_count() if ok else 0
    next_at = await scheduler.next_due(registered_only=False) if ok else None
    return Health(
        version=__version__,
        database_backend=database.backend,
        database_ok=ok,
        database_latency_ms=latency,
        schema_revision=revision,
        schema_head=head_revision(),
        pending_jobs=pending,
        next_job_at=next_at,
    )
