"""Scheduler benchmark: start-up with 100,000 pending rows, and lateness of 1,000 rows due at once.

    python bench/scheduler_bench.py [--rows 100000] [--burst 1000] [--database-url URL]

Targets (DESIGN.md): start-up under 3 s with 100,000 pending rows; p99 lateness under 1 s when
1,000 rows fall due in the same second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.db.models import ScheduledJob
from bot.scheduler import JobContext, Scheduler


async def fresh_database(url: str | None, workdir: Path) -> Database:
    if url is None:
        database = Database(f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}")
    else:
        database = Database(normalise_database_url(url, workdir))
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(database)
    return database


async def insert_rows(database: Database, count: int, first_due: datetime, spacing: timedelta) -> None:
    now = datetime.now(UTC)
    batch = 5_000
    for start in range(0, count, batch):
        rows = [
            {
                "kind": "bench",
                "payload": {"n": n},
                "due_at": first_due + spacing * n,
                "status": "pending",
                "attempts": 0,
                "max_attempts": 5,
                "late": False,
                "created_at": now,
            }
            for n in range(start, min(count, start + batch))
        ]
        async with database.transaction() as session:
            await session.execute(insert(ScheduledJob), rows)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench_startup(url: str | None, workdir: Path, rows: int) -> None:
    setup = await fresh_database(url, workdir)
    started = time.perf_counter()
    await insert_rows(setup, rows, datetime.now(UTC) + timedelta(days=1), timedelta(seconds=30))
    insert_seconds = time.perf_counter() - started
    db_url = setup.url
    await setup.dispose()

    # A restarting bot process: new engine, new scheduler, start() rebuilds from the rows.
    database = Database(db_url)
    scheduler = Scheduler(database)

    async def handler(context: JobContext) -> None:
        return None

    scheduler.register("bench", handler)
    rss_before = rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    await scheduler.start()
    startup = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    jobs = len(scheduler._aps.get_jobs()) if scheduler._aps else 0
    pending = await scheduler.pending_count()
    await scheduler.stop()
    await database.dispose()
    print(f"[{database.backend}] inserted {rows:,} pending rows in {insert_seconds:.1f} s")
    print(
        f"[{database.backend}] start-up with {pending:,} pending rows: {startup * 1000:.0f} ms "
        f"(target < 3000 ms); APScheduler jobs held: {jobs}; "
        f"peak Python allocations during start: {peak / 2**20:.2f} MiB; "
        f"process max RSS {rss_before:.0f} -> {rss_mib():.0f} MiB"
    )


async def bench_burst(url: str | None, workdir: Path, burst: int) -> None:
    database = await fresh_database(url, workdir)
    lateness: list[float] = []
    done = asyncio.Event()

    scheduler = Scheduler(database)

    async def handler(context: JobContext) -> None:
        lateness.append((datetime.now(UTC) - context.due_at).total_seconds())
        if len(lateness) == burst:
            done.set()

    scheduler.register("bench", handler)
    await scheduler.start()
    # All rows fall due within one second, starting two seconds from now.
    first_due = datetime.now(UTC) + timedelta(seconds=2)
    await insert_rows(database, burst, first_due, timedelta(seconds=1) / burst)
    scheduler.wake()
    await asyncio.wait_for(done.wait(), timeout=60)
    await scheduler.stop()
    await database.dispose()
    ordered = sorted(lateness)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    print(
        f"[{database.backend}] {burst:,} rows due within one second: lateness p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms (target p99 < 1000 ms)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is wiped); default SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await bench_startup(args.database_url, Path(tmp), args.rows)
        await bench_burst(args.database_url, Path(tmp), args.burst)


if __name__ == "__main__":
    asyncio.run(main())
