"""The scheduler: rows run once, on time, across restarts, with two processes racing."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.database import Database
from bot.db.models import ScheduledJob
from bot.scheduler import JobContext, JobFailed, MovableClock, Scheduler, YearlyRule

START = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[JobContext] = []

    async def __call__(self, context: JobContext) -> None:
        self.calls.append(context)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START, ticking=False)


async def statuses(database: Database) -> dict[str, int]:
    async with database.session() as session:
        rows = await session.execute(select(ScheduledJob.status, func.count()).group_by(ScheduledJob.status))
    return dict(rows.all())  # type: ignore[arg-type]


async def test_a_due_row_runs_once_and_is_done(database: Database, clock: MovableClock) -> None:
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("greet", seen)
    job_id = await scheduler.schedule("greet", START + timedelta(hours=1), {"who": "alice"})

    assert await scheduler.run_due() == 0  # not yet
    clock.advance(hours=1)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0

    assert [(c.id, c.payload, c.late) for c in seen.calls] == [(job_id, {"who": "alice"}, False)]
    assert await statuses(database) == {"done": 1}


async def test_dedupe_key_refuses_a_second_row(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock)
    assert await scheduler.schedule("greet", START, dedupe_key="workshop:1:7d:alice") is not None
    assert await scheduler.schedule("greet", START, dedupe_key="workshop:1:7d:alice") is None
    assert await scheduler.pending_count() == 1


async def test_the_apscheduler_wakeup_fires_on_real_time(database: Database) -> None:
    clock = MovableClock(START)
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("greet", seen)
    await scheduler.start()
    try:
        await scheduler.schedule("greet", clock.now() + timedelta(milliseconds=200))
        for _ in range(50):
            if seen.calls:
                break
            await asyncio.sleep(0.05)
        assert len(seen.calls) == 1
        # Moving the clock re-plans the wake-up: a row a day away runs as soon as the day "passes".
        await scheduler.schedule("greet", clock.now() + timedelta(days=1))
        clock.advance(days=1)
        for _ in range(50):
            if len(seen.calls) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(seen.calls) == 2
    finally:
        await scheduler.stop()


async def test_jobs_are_rebuilt_from_rows_after_a_restart(
    database: Database, empty_database: Database, clock: MovableClock
) -> None:
    first, seen = Scheduler(database, clock), Recorder()
    first.register("remind", seen)
    await first.start()
    for hours in (1, 2, 3):
        await first.schedule("remind", START + timedelta(hours=hours), {"n": hours})
    await first.stop()

    # A new process: new engine, new scheduler, the same database.
    restarted_db = Database(database.url)
    second = Scheduler(restarted_db, clock)
    second.register("remind", seen)
    await second.start()
    try:
        assert len(second._aps.get_jobs()) == 2  # type: ignore[union-attr]  # wake-up + poll, whatever the rows
        clock.advance(hours=2)
        await second.run_due()
        assert sorted(c.payload["n"] for c in seen.calls) == [1, 2]
    finally:
        await second.stop()
        await restarted_db.dispose()


async def test_overdue_within_grace_runs_at_once_flagged_late(
    database: Database, clock: MovableClock
) -> None:
    scheduler, seen = Scheduler(database, clock, grace=timedelta(hours=24)), Recorder()
    scheduler.register("remind", seen)
    await scheduler.schedule("remind", START - timedelta(hours=3))
    await scheduler.schedule("remind", START - timedelta(seconds=10))

    await scheduler.run_due()

    assert [c.late for c in seen.calls] == [True, False]
    assert seen.calls[0].lateness == timedelta(hours=3)
    async with database.session() as session:
        late_flags = (await session.scalars(select(ScheduledJob.late).order_by(ScheduledJob.id))).all()
    assert late_flags == [True, False]


async def test_overdue_beyond_grace_is_marked_missed_and_logged(
    database: Database, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler, seen, missed = Scheduler(database, clock, grace=timedelta(hours=24)), Recorder(), Recorder()
    scheduler.register("remind", seen, on_missed=missed)
    scheduler.register("short", seen, grace=timedelta(minutes=5))
    await scheduler.schedule("remind", START - timedelta(days=2))
    await scheduler.schedule("short", START - timedelta(minutes=10))

    with caplog.at_level(logging.WARNING):
        await scheduler.run_due()

    assert seen.calls == []
    assert len(missed.calls) == 1
    assert await statuses(database) == {"missed": 2}
    assert sum("beyond its grace: marked missed" in r.getMessage() for r in caplog.records) == 2


async def test_failures_retry_with_backoff_then_succeed(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock, retry_base=timedelta(seconds=30))
    attempts: list[int] = []

    async def flaky(context: JobContext) -> None:
        attempts.append(context.attempt)
        if context.attempt < 3:
            raise ConnectionError("Discord is having a moment")

    scheduler.register("flaky", flaky)
    job_id = await scheduler.schedule("flaky", START)

    await scheduler.run_due()
    async with database.session() as session:
        row = await session.get(ScheduledJob, job_id)
    assert row is not None
    assert (row.status, row.attempts, row.due_at) == ("pending", 1, START + timedelta(seconds=30))
    assert row.last_error == "ConnectionError: Discord is having a moment"

    clock.advance(seconds=30)
    await scheduler.run_due()
    clock.advance(seconds=59)
    assert await scheduler.run_due() == 0  # second backoff is 60 s
    clock.advance(seconds=1)
    await scheduler.run_due()

    assert attempts == [1, 2, 3]
    assert await statuses(database) == {"done": 1}


async def test_failures_stop_after_the_attempt_limit(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock, max_attempts=3, retry_base=timedelta(seconds=1))

    async def broken(context: JobContext) -> None:
        raise RuntimeError("always")

    scheduler.register("broken", broken)
    await scheduler.schedule("broken", START)
    for _ in range(5):
        await scheduler.run_due()
        clock.advance(minutes=1)
    async with database.session() as session:
        row = (await session.scalars(select(ScheduledJob))).one()
    assert (row.status, row.attempts) == ("failed", 3)


async def test_job_failed_is_not_retried(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock)

    async def hopeless(context: JobContext) -> None:
        raise JobFailed("the channel is gone")

    scheduler.register("post", hopeless)
    await scheduler.schedule("post", START)
    await scheduler.run_due()
    assert await statuses(database) == {"failed": 1}


async def test_rows_of_unregistered_kinds_wait_for_their_handler(
    database: Database, clock: MovableClock
) -> None:
    scheduler = Scheduler(database, clock)
    await scheduler.schedule("from-a-cog-that-failed-to-load", START)
    assert await scheduler.run_due() == 0
    assert await statuses(database) == {"pending": 1}


async def test_a_row_whose_claimer_died_is_run_again_after_the_lease(
    database: Database, clock: MovableClock
) -> None:
    dead, seen = Scheduler(database, clock, lease=timedelta(minutes=10)), Recorder()
    await dead.schedule("remind", START)
    dead.register("remind", seen)
    claimed = await dead._claim(clock.now())  # claimed, then the process "dies"
    assert len(claimed) == 1

    survivor = Scheduler(database, clock, lease=timedelta(minutes=10))
    survivor.register("remind", seen)
    assert await survivor.reclaim_stale() == 0
    clock.advance(minutes=11)
    assert await survivor.reclaim_stale() == 1
    await survivor.run_due()
    assert len(seen.calls) == 1


async def test_cancel_by_prefix(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock)
    for offset in ("7d", "1d", "1h"):
        await scheduler.schedule("remind", START, dedupe_key=f"workshop:12:{offset}")
    await scheduler.schedule("remind", START, dedupe_key="workshop:13:1h")
    assert await scheduler.cancel(dedupe_prefix="workshop:12:") == 3
    assert await statuses(database) == {"cancelled": 3, "pending": 1}


async def test_a_yearly_recurrence_fires_each_occurrence_once(
    database: Database, clock: MovableClock
) -> None:
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("anniversary", seen)
    await scheduler.put_recurrence(
        "calendar:anniversary", "anniversary", YearlyRule(5, 26, 10), "Asia/Shanghai", {"guild": 1}
    )
    assert await scheduler.next_occurrence("calendar:anniversary") == datetime(2027, 5, 26, 2, tzinfo=UTC)

    clock.set(datetime(2027, 5, 26, 2, 0, 1, tzinfo=UTC))
    await scheduler.run_due()
    await scheduler.sync_recurrences()  # a restart's re-sync adds nothing twice
    await scheduler.run_due()

    assert [c.payload["occurrence"] for c in seen.calls] == ["2027-05-26T02:00:00+00:00"]
    assert seen.calls[0].payload["guild"] == 1
    assert await scheduler.next_occurrence("calendar:anniversary") == datetime(2028, 5, 26, 2, tzinfo=UTC)


async def test_recurrence_after_downtime_runs_the_recent_and_records_the_old(
    database: Database, clock: MovableClock
) -> None:
    scheduler, seen = Scheduler(database, clock, grace=timedelta(days=3)), Recorder()
    scheduler.register("daily", seen)
    await scheduler.put_recurrence("daily-digest", "daily", YearlyRule(1, 11, 9), "UTC")
    from bot.scheduler.recurrence import CronRule

    await scheduler.put_recurrence("every-day", "daily", CronRule("0 9 * * *"), "UTC")
    # The bot is down for ten days.
    clock.advance(days=10)
    await scheduler.run_due()

    occurrences = sorted(
        c.payload["occurrence"] for c in seen.calls if c.payload["recurrence"] == "every-day"
    )
    # It is now 12:00 on the 20th: the 18th, 19th and 20th are within the 3-day grace and run late.
    assert occurrences == [
        "2027-01-18T09:00:00+00:00",
        "2027-01-19T09:00:00+00:00",
        "2027-01-20T09:00:00+00:00",
    ]
    assert all(c.late for c in seen.calls)
    counts = await statuses(database)
    assert counts["missed"] == 8  # the yearly one's 11 January, and the daily one's 11th to 17th


async def test_paused_recurrence_does_not_fire_and_resumes_from_now(
    database: Database, clock: MovableClock
) -> None:
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("note", seen)
    await scheduler.put_recurrence("note", "note", YearlyRule(1, 11, 9), "UTC")
    assert await scheduler.set_recurrence_enabled("note", False)
    clock.advance(days=2)
    await scheduler.run_due()
    assert seen.calls == []
    assert await scheduler.set_recurrence_enabled("note", True)
    assert await scheduler.next_occurrence("note") == datetime(2028, 1, 11, 9, tzinfo=UTC)
    assert await scheduler.remove_recurrence("note")
    assert await scheduler.next_occurrence("note") is None


@pytest.mark.parametrize("rows", [1000])
async def test_two_schedulers_racing_run_each_row_exactly_once(database: Database, rows: int) -> None:
    clock = MovableClock(START)
    counts: Counter[int] = Counter()

    async def handler(context: JobContext) -> None:
        counts[context.payload["n"]] += 1
        await asyncio.sleep(0)

    setup = Scheduler(database, clock)
    async with database.transaction() as session:
        for n in range(rows):
            await setup.schedule("race", START, {"n": n}, session=session)

    # Two processes: two engines (two connection pools) on one database.
    other_db = Database(database.url)
    first = Scheduler(database, clock, batch_size=100, instance_id="first")
    second = Scheduler(other_db, clock, batch_size=100, instance_id="second")
    for scheduler in (first, second):
        scheduler.register("race", handler)
    try:
        ran = await asyncio.gather(first.run_due(), second.run_due())
    finally:
        await other_db.dispose()

    assert sum(ran) == rows
    assert len(counts) == rows and set(counts.values()) == {1}
    assert await statuses(database) == {"done": rows}
    if database.backend == "postgresql":
        assert all(ran), f"both processes should share the work on PostgreSQL, got {ran}"


async def test_a_cancelled_key_can_be_scheduled_again(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock)
    await scheduler.schedule("remind", START, dedupe_key="workshop:12:7d")
    await scheduler.cancel(dedupe_prefix="workshop:12:")
    # The workshop was edited: its reminders are scheduled again under the same keys.
    assert await scheduler.schedule("remind", START, dedupe_key="workshop:12:7d") is not None
    assert await scheduler.schedule("remind", START, dedupe_key="workshop:12:7d") is None


async def test_editing_a_recurrence_before_it_is_due_keeps_its_next_occurrence(
    database: Database, clock: MovableClock
) -> None:
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("note", seen)
    await scheduler.put_recurrence("note", "note", YearlyRule(5, 26, 10), "UTC", {"text": "old"})
    await scheduler.put_recurrence("note", "note", YearlyRule(5, 26, 10), "UTC", {"text": "new"})
    await scheduler.set_recurrence_enabled("note", False)
    await scheduler.set_recurrence_enabled("note", True)
    assert await scheduler.next_occurrence("note") == datetime(2027, 5, 26, 10, tzinfo=UTC)
    clock.set(datetime(2027, 5, 26, 10, 0, 1, tzinfo=UTC))
    await scheduler.run_due()
    assert [c.payload["text"] for c in seen.calls] == ["new"]


async def test_a_retry_is_judged_against_the_original_time(database: Database, clock: MovableClock) -> None:
    scheduler = Scheduler(database, clock, retry_base=timedelta(minutes=5))
    seen: list[JobContext] = []

    async def flaky(context: JobContext) -> None:
        seen.append(context)
        if context.attempt == 1:
            raise ConnectionError("blip")

    scheduler.register("flaky", flaky)
    await scheduler.schedule("flaky", START)
    await scheduler.run_due()
    clock.advance(minutes=5)
    await scheduler.run_due()
    assert [c.due_at for c in seen] == [START, START]
    assert seen[1].late and seen[1].lateness == timedelta(minutes=5)


async def test_a_slow_handler_keeps_its_lease_and_is_not_run_twice(database: Database) -> None:
    clock = MovableClock(START)
    lease = timedelta(seconds=0.6)
    runs: Counter[int] = Counter()
    release = asyncio.Event()

    async def slow(context: JobContext) -> None:
        runs[context.id] += 1
        await release.wait()

    first = Scheduler(database, clock, lease=lease, instance_id="first")
    other_db = Database(database.url)
    second = Scheduler(other_db, clock, lease=lease, instance_id="second")
    for scheduler in (first, second):
        scheduler.register("slow", slow)
    await first.schedule("slow", START)
    try:
        running = asyncio.ensure_future(first.run_due())
        await asyncio.sleep(1.5)  # well past the lease: the first process renewed it meanwhile
        assert await second.reclaim_stale() == 0
        assert await second.run_due() == 0
        release.set()
        assert await running == 1
    finally:
        await other_db.dispose()
    assert runs == Counter({1: 1})
    assert await statuses(database) == {"done": 1}


async def test_a_row_reclaimed_by_another_process_is_not_overwritten(
    database: Database, clock: MovableClock
) -> None:
    dead = Scheduler(database, clock, instance_id="dead")
    dead.register("remind", Recorder())
    await dead.schedule("remind", START)
    claimed = await dead._claim(clock.now())
    clock.advance(minutes=11)
    alive = Scheduler(database, clock, instance_id="alive")
    alive.register("remind", Recorder())
    await alive.reclaim_stale()
    await alive.run_due()
    # The "dead" process wakes up and reports its stale outcome: it must not count.
    from bot.scheduler.core import _Outcome

    await dead._finish_all([_Outcome(claimed[0], "failed", False, "late report")])
    async with database.session() as session:
        row = (await session.scalars(select(ScheduledJob))).one()
    assert (row.status, row.claimed_by, row.last_error) == ("done", "alive", None)


async def test_a_deferred_job_goes_back_without_counting_an_attempt(
    database: Database, clock: MovableClock
) -> None:
    from bot.scheduler import JobDeferred

    scheduler = Scheduler(database, clock)
    calls = 0

    async def not_yet(context: JobContext) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise JobDeferred
        assert context.attempt == 1

    scheduler.register("later", not_yet)
    await scheduler.schedule("later", START)
    assert await scheduler.run_due() == 1
    assert await statuses(database) == {"pending": 1}
    clock.advance(seconds=5)
    await scheduler.run_due()
    assert calls == 2 and await statuses(database) == {"done": 1}


async def test_a_long_running_kind_does_not_hold_back_the_rows_due_meanwhile(database: Database) -> None:
    """A report's DM fan-out runs for minutes: reminders due meanwhile run on time, the fan-out
    keeps its lease (another process cannot take it), and it is recorded when it ends."""
    clock = MovableClock(START)
    lease = timedelta(seconds=0.6)
    release = asyncio.Event()
    reminded: list[int] = []

    async def fan_out(context: JobContext) -> None:
        await release.wait()

    async def remind(context: JobContext) -> None:
        reminded.append(context.id)

    first = Scheduler(database, clock, lease=lease, instance_id="first")
    other_db = Database(database.url)
    second = Scheduler(other_db, clock, lease=lease, instance_id="second")
    for scheduler in (first, second):
        scheduler.register("fan-out", fan_out, long_running=True)
        scheduler.register("remind", remind)
    try:
        await first.schedule("fan-out", START)
        assert await first._dispatch_due() == 1  # returns at once: the fan-out runs beside the loop
        reminder = await first.schedule("remind", START)
        assert await first._dispatch_due() == 1
        assert reminded == [reminder]
        await asyncio.sleep(1.5)  # well past the lease: renewed meanwhile
        assert await second.reclaim_stale() == 0
        assert await statuses(database) == {"running": 1, "done": 1}
        release.set()
        await first.wait_long_running()
    finally:
        await other_db.dispose()
    assert await statuses(database) == {"done": 2}


async def test_a_stopping_scheduler_waits_for_a_long_running_row_that_defers(database: Database) -> None:
    """Stopping tells the long-running handler (``stopping``); it hands its row back at once, for
    the next start or another process, without counting an attempt."""
    from bot.scheduler import JobDeferred

    clock = MovableClock(START)
    scheduler = Scheduler(database, clock)
    started = asyncio.Event()

    async def fan_out(context: JobContext) -> None:
        started.set()
        await scheduler.stopping.wait()
        raise JobDeferred

    scheduler.register("fan-out", fan_out, long_running=True)
    await scheduler.schedule("fan-out", START)
    await scheduler.start()
    await scheduler._dispatch_due()
    await asyncio.wait_for(started.wait(), 5)
    await scheduler.stop(grace_seconds=5)
    async with database.session() as session:
        row = (await session.scalars(select(ScheduledJob))).one()
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)


async def test_bring_forward_makes_a_held_row_due_now(database: Database, clock: MovableClock) -> None:
    scheduler, seen = Scheduler(database, clock), Recorder()
    scheduler.register("deliver", seen)
    await scheduler.schedule("deliver", START + timedelta(minutes=1), dedupe_key="report-delivery:1")
    assert await scheduler.run_due() == 0
    assert await scheduler.bring_forward("report-delivery:1")
    assert await scheduler.run_due() == 1
    assert not await scheduler.bring_forward("report-delivery:1")  # already run: nothing to move
    assert len(seen.calls) == 1
