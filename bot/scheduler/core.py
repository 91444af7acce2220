"""The scheduler: rows in the database, claimed atomically, woken up by APScheduler.

Why it looks like this:
- Every scheduled thing is a ``ScheduledJob`` row, so nothing is lost across restarts and several
  bot processes can share one PostgreSQL database.
- APScheduler holds only two jobs, whatever the number of rows: a wake-up at the earliest due row
  (stable id, ``replace_existing``) and a slow poll that notices rows written by other processes and
  reclaims rows whose claimer died. Start-up and memory stay flat with 100,000 pending rows.
- A row is claimed with one ``UPDATE ... WHERE status = 'pending' ... RETURNING`` (with
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two processes never run the same row.
- A row found more than its grace late is marked ``missed`` and logged instead of running; a row
  run more than ``late_after`` after its time is flagged ``late`` so its handler can apologise.
- Failures retry with exponential backoff a bounded number of times, then the row is ``failed``.
- How a batch of rows ended is written in one transaction (1,000 rows due in one second is a
  handful of statements, not thousands).
- A crash while a handler runs, or before its batch is recorded, leaves the row ``running``;
  after the lease it is run again, so handlers with outside effects make them idempotent (e.g. a
  message nonce).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, claim_row
from bot.db.models import Recurrence, ScheduledJob
from bot.scheduler.clock import Clock
from bot.scheduler.recurrence import Rule, rule_from_dict

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED, MISSED, CANCELLED = (
    "pending",
    "running",
    "done",
    "failed",
    "missed",
    "cancelled",
)
OPEN_STATUSES = (PENDING, RUNNING)
# After a long outage a frequent rule could owe thousands of occurrences: record this many as missed.
MAX_MISSED_RECORDED = 20
# A deferred row is offered again this much later (not at once, or one dispatch would spin on it).
DEFER_DELAY = timedelta(seconds=5)


class JobFailed(Exception):
    """Raised by a handler for a failure that retrying cannot fix."""


class JobDeferred(Exception):
    """Raised by a handler that cannot run yet (e.g. the bot is shutting down before it was ready).

    The row goes back to the queue a few seconds later; no attempt is counted, and lateness is
    still judged against its original time.
    """


@dataclass(frozen=True)
class JobContext:
    id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    started_at: datetime
    attempt: int
    late: bool

    @property
    def lateness(self) -> timedelta:
        return max(timedelta(0), self.started_at - self.due_at)


Handler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class _Registration:
    handler: Handler
    grace: timedelta | None
    max_attempts: int | None
    on_missed: Handler | None
    long_running: bool = False


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int
    max_attempts: int
    recurrence_id: int | None


@dataclass(frozen=True)
class _Outcome:
    row: _Claimed
    status: str
    late: bool
    error: str | None = None


class Scheduler:
    WAKEUP_JOB_ID = "cisip-scheduler-wakeup"
    POLL_JOB_ID = "cisip-scheduler-poll"

    def __init__(
        self,
        database: Database,
        clock: Clock | None = None,
        *,
        grace: timedelta = timedelta(hours=24),
        late_after: timedelta = timedelta(minutes=1),
        poll_interval: float = 30.0,
        batch_size: int = 500,
        concurrency: int = 100,
        lease: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
        retry_base: timedelta = timedelta(seconds=30),
        retry_cap: timedelta = timedelta(hours=1),
        instance_id: str | None = None,
    ) -> None:
        self.db = database
        self.clock = clock or Clock()
        self.grace = grace
        self.late_after = late_after
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.instance_id = instance_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handlers: dict[str, _Registration] = {}
        self._semaphore = asyncio.Semaphore(concurrency)
        self._dispatch_lock = asyncio.Lock()
        self._plan_lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._long_running: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self.clock.subscribe(self.wake)

    # -- registration -------------------------------------------------------------------------

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        grace: timedelta | None = None,
        max_attempts: int | None = None,
        on_missed: Handler | None = None,
        long_running: bool = False,
    ) -> None:
        """Run ``handler`` for rows of ``kind``; rows of kinds nobody registered are left alone.

        A ``long_running`` kind (a report's DM fan-out, minutes long) runs beside the dispatch
        loop instead of in its batch, so the rows due meanwhile (reminders) are not held back; its
        lease is renewed while it runs, and :meth:`stop` waits for it like any handler, so its
        handler should watch :attr:`stopping` and end early (``JobDeferred`` hands the row to the
        next start, or to another process, at once)."""
        self._handlers[kind] = _Registration(handler, grace, max_attempts, on_missed, long_running)

    def unregister(self, kind: str) -> None:
        """Stop running rows of ``kind`` (they stay pending until a handler is registered again)."""
        self._handlers.pop(kind, None)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._aps is not None

    @property
    def stopping(self) -> asyncio.Event:
        """Set once :meth:`stop` is called; handlers waiting on something else can watch it."""
        return self._stopping

    async def start(self) -> None:
        self._stopping.clear()
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.start()
        await self.reclaim_stale()
        await self.sync_recurrences()
        self._aps.add_job(
            self._poll,
            "interval",
            seconds=self.poll_interval,
            id=self.POLL_JOB_ID,
            replace_existing=True,
            coalesce=True,  # a backlog of polls is one poll
            max_instances=1,
            misfire_grace_time=None,
        )
        await self._plan_wakeup()
        async with self.db.session() as session:
            pending, first = (await session.execute(self.pending_summary_query())).one()
        log.info(
            "scheduler started: %d scheduled item%s pending%s",
            pending or 0,
            "" if pending == 1 else "s",
            f", the next due {first:%Y-%m-%d %H:%M} UTC" if first is not None else "",
        )

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop waking up, and wait for work in flight to record how it ended.

        Nothing is cancelled mid-query: a cancelled database call can strand its connection and
        keep the process from exiting.
        """
        self._stopping.set()
        # First let wake-ups finish (APScheduler's shutdown would cancel them), then stop it.
        # A handler stuck past the timeout is cancelled: its row is reclaimed after the lease.
        pending = set(self._background)
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=grace_seconds)
            for task in stuck:
                log.warning("scheduler work still running at shutdown was cancelled")
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    def wake(self) -> None:
        """Re-plan the wake-up (new rows, or the clock moved). Safe to call from sync code."""
        if self._aps is None or self._stopping.is_set():
            return
        self._spawn(self._plan_wakeup())

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._track(task)

    async def wait_long_running(self) -> None:
        """Wait until the long-running rows under way have ended."""
        while self._long_running:
            await asyncio.gather(*self._long_running, return_exceptions=True)

    def _track(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # -- writing rows -------------------------------------------------------------------------

    async def schedule(
        self,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        max_attempts: int | None = None,
        session: AsyncSession | None = None,
    ) -> int | None:
        """Add a row. Returns its id, or None when ``dedupe_key`` is already taken.

        With ``session`` the row joins the caller's transaction; call :meth:`wake` after commit.
        """
        if due_at.tzinfo is None:
            raise ValueError("due_at must be aware")
        if session is not None:
            return await self._insert(session, kind, due_at, payload or {}, dedupe_key, max_attempts)
        async with self.db.transaction() as own:
            job_id = await self._insert(own, kind, due_at, payload or {}, dedupe_key, max_attempts)
        self.wake()
        return job_id

    async def _insert(
        self,
        session: AsyncSession,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        dedupe_key: str | None,
        max_attempts: int | None,
        *,
        recurrence_id: int | None = None,
        status: str = PENDING,
    ) -> int | None:
        job = ScheduledJob(
            kind=kind,
            dedupe_key=dedupe_key,
            payload=payload,
            due_at=due_at,
            status=status,
            attempts=0,
            max_attempts=max_attempts or self.max_attempts,
            late=status == MISSED,
            created_at=self.clock.now(),
            recurrence_id=recurrence_id,
            finished_at=self.clock.now() if status != PENDING else None,
        )
        try:
            async with session.begin_nested():
                session.add(job)
        except IntegrityError:
            return None  # the dedupe key is taken: this occurrence already exists
        return job.id

    async def bring_forward(self, dedupe_key: str) -> bool:
        """Make the pending row with this key due now; False when there is none (already run)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.dedupe_key == dedupe_key, ScheduledJob.status == PENDING)
                .values(due_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )
        moved = bool(getattr(result, "rowcount", 0))
        if moved:
            self.wake()
        return moved

    async def cancel(
        self,
        *,
        job_id: int | None = None,
        dedupe_prefix: str | None = None,
        session: AsyncSession | None = None,
    ) -> int:
        """Cancel pending rows by id or by dedupe-key prefix; returns how many."""
        stmt = update(ScheduledJob).where(ScheduledJob.status == PENDING)
        if job_id is not None:
            stmt = stmt.where(ScheduledJob.id == job_id)
        elif dedupe_prefix is not None:
            stmt = stmt.where(ScheduledJob.dedupe_key.startswith(dedupe_prefix, autoescape=True))
        else:
            raise ValueError("cancel needs job_id or dedupe_prefix")
        # A cancelled row gives its dedupe key back, so the same thing can be scheduled again.
        stmt = stmt.values(status=CANCELLED, dedupe_key=None, finished_at=self.clock.now()).execution_options(
            synchronize_session=False
        )
        if session is not None:
            return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]
        async with self.db.transaction() as own:
            count: int = (await own.execute(stmt)).rowcount  # type: ignore[attr-defined]
        self.wake()
        return count

    # -- recurrences --------------------------------------------------------------------------

    async def put_recurrence(
        self,
        key: str,
        kind: str,
        rule: Rule,
        timezone: str,
        payload: dict[str, Any] | None = None,
        *,
        enabled: bool = True,
    ) -> Recurrence:
        """Create or replace the recurrence ``key``; its next occurrence is scheduled at once."""
        ZoneInfo(timezone)  # validated by the caller; this only guards against programming errors
        async with self.db.transaction() as session:
            # Created if missing and held to the end: two processes putting the same key at once
            # take turns (the second replaces the first) instead of both inserting it.
            defaults = {
                "kind": kind,
                "rule": rule.to_dict(),
                "timezone": timezone,
                "payload": payload or {},
                "enabled": enabled,
                "created_at": self.clock.now(),
                "last_occurrence_at": None,
            }
            rec = await claim_row(session, Recurrence, defaults, key=key)
            await self._cancel_open(session, rec)  # nothing open for a new one
            rec.last_occurrence_at = None
            rec.kind, rec.rule, rec.timezone = kind, rule.to_dict(), timezone
            rec.payload, rec.enabled = payload or {}, enabled
            await session.flush()
            if enabled:
                await self._ensure_next(session, rec)
        self.wake()
        return rec

    async def set_recurrence_enabled(self, key: str, enabled: bool) -> bool:
        async with self.db.transaction() as session:
            rec = await session.scalar(select(Recurrence).where(Recurrence.key == key))
            if rec is None:
                return False
            rec.enabled = enabled
            if enabled:
                # Resume from now: occurrences that passed while paused are not owed.
                rec.last_occurrence_at = None
                await self._ensure_next(session, rec)
            else:
                await self._cancel_open(session, rec)
        self.wake()
        return True

    async def remove_recurrence(self, key: str) -> bool:
        async with self.db.transaction() as session:
            rec = await session.scalar(select(Recurrence).where(Recurrence.key == key))
            if rec is None:
                return False
            await self._cancel_open(session, rec)
            await session.delete(rec)
        self.wake()
        return True

    async def next_occurrence(self, key: str) -> datetime | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(func.min(ScheduledJob.due_at))
                .join(Recurrence, ScheduledJob.recurrence_id == Recurrence.id)
                .where(Recurrence.key == key, ScheduledJob.status == PENDING)
            )

    async def sync_recurrences(self) -> None:
        """Make sure every enabled recurrence has its next occurrence as a row (after downtime too)."""
        async with self.db.transaction() as session:
            open_ids = select(ScheduledJob.recurrence_id).where(
                ScheduledJob.status.in_(OPEN_STATUSES), ScheduledJob.recurrence_id.is_not(None)
            )
            recs = (
                await session.scalars(
                    select(Recurrence).where(Recurrence.enabled.is_(True), Recurrence.id.not_in(open_ids))
                )
            ).all()
            for rec in recs:
                await self._ensure_next(session, rec)

    async def _cancel_open(self, session: AsyncSession, rec: Recurrence) -> None:
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.recurrence_id == rec.id, ScheduledJob.status == PENDING)
            .values(status=CANCELLED, dedupe_key=None, finished_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )

    async def _ensure_next(self, session: AsyncSession, rec: Recurrence) -> None:
        has_open = await session.scalar(
            select(func.count())
            .select_from(ScheduledJob)
            .where(ScheduledJob.recurrence_id == rec.id, ScheduledJob.status.in_(OPEN_STATUSES))
        )
        if has_open:
            return
        rule, tz = rule_from_dict(rec.rule), ZoneInfo(rec.timezone)
        now = self.clock.now()
        grace = self._grace_for(rec.kind)
        occurrence = rule.next_after(rec.last_occurrence_at or now, tz)
        missed = 0
        # Occurrences owed from before the grace window are recorded as missed, never run.
        while occurrence < now - grace:
            missed += 1
            if missed <= MAX_MISSED_RECORDED:
                log.warning("recurrence %s missed its occurrence at %s (beyond grace)", rec.key, occurrence)
                await self._insert_occurrence(session, rec, occurrence, status=MISSED)
            occurrence = rule.next_after(occurrence, tz)
        if missed > MAX_MISSED_RECORDED:
            log.warning("recurrence %s missed %d occurrences in all", rec.key, missed)
        await self._insert_occurrence(session, rec, occurrence)
        rec.last_occurrence_at = occurrence

    async def _insert_occurrence(
        self, session: AsyncSession, rec: Recurrence, occurrence: datetime, *, status: str = PENDING
    ) -> None:
        stamp = occurrence.strftime("%Y-%m-%dT%H:%MZ")
        payload = {**rec.payload, "recurrence": rec.key, "occurrence": occurrence.isoformat()}
        await self._insert(
            session,
            rec.kind,
            occurrence,
            payload,
            f"{rec.key}@{stamp}",
            None,
            recurrence_id=rec.id,
            status=status,
        )

    # -- reading ------------------------------------------------------------------------------

    async def next_due(self, *, registered_only: bool = True) -> datetime | None:
        """When the next pending row is due (of the kinds this process runs, unless told otherwise)."""
        query = select(func.min(ScheduledJob.due_at)).where(ScheduledJob.status == PENDING)
        if registered_only:
            if not self._handlers:
                return None
            query = query.where(ScheduledJob.kind.in_(self.kinds))
        async with self.db.session() as session:
            return await session.scalar(query)

    @staticmethod
    def pending_summary_query() -> Select[int, datetime]:
        """How many rows are pending (of any kind) and when the first is due, in one query."""
        return select(func.count(), func.min(ScheduledJob.due_at)).where(ScheduledJob.status == PENDING)

    async def pending_count(self) -> int:
        async with self.db.session() as session:
            count, _first = (await session.execute(self.pending_summary_query())).one()
        return int(count or 0)

    # -- running ------------------------------------------------------------------------------

    async def run_due(self) -> int:
        """Claim and run every row due now, long-running ones to their end too; returns how many
        ran. Tests call it after moving the clock."""
        total = await self._dispatch_due()
        await self.wait_long_running()
        return total

    async def _dispatch_due(self) -> int:
        """Claim and run every row due now; long-running ones are started, not waited for."""
        total = 0
        async with self._dispatch_lock:
            while not self._stopping.is_set() and (rows := await self._claim(self.clock.now())):
                await self._run_batch(rows)
                total += len(rows)
        return total

    async def _run_batch(self, rows: list[_Claimed]) -> None:
        """Run a claimed batch: long-running kinds each in a task of their own (the dispatch loop
        goes on without them), the rest here."""
        long = {kind for kind, registration in self._handlers.items() if registration.long_running}
        for row in rows:
            if row.kind in long:
                task = asyncio.create_task(self._run_rows([row]), name=f"scheduled-{row.kind}-{row.id}")
                self._track(task)
                self._long_running.add(task)
                task.add_done_callback(self._long_running.discard)
        rest = [row for row in rows if row.kind not in long]
        if rest:
            await self._run_rows(rest)

    async def _run_rows(self, rows: list[_Claimed]) -> None:
        """Run claimed rows; while they run, record finished rows and renew the lease of the rest.

        A slow handler (a DM fan-out waiting on rate limits) thus neither holds back the record of
        the fast ones nor lets its lease lapse, which would let another process run it again.
        """
        in_flight = {row.id for row in rows}
        outcomes: list[_Outcome] = []
        finished = asyncio.Event()

        async def run_one(row: _Claimed) -> None:
            outcome = await self._execute(row)
            in_flight.discard(row.id)
            if outcome is not None:
                outcomes.append(outcome)

        async def keep_books() -> None:
            tick = min(1.0, self.lease.total_seconds() / 3)
            while not finished.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), tick)
                if finished.is_set():
                    return
                done = outcomes[:]
                del outcomes[: len(done)]
                await self._finish_all(done)
                await self._renew_lease(list(in_flight))

        keeper = asyncio.ensure_future(keep_books())
        try:
            await asyncio.gather(*(run_one(row) for row in rows))
        finally:
            finished.set()
            await keeper
            await self._finish_all(outcomes)

    async def _renew_lease(self, ids: list[int]) -> None:
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(ScheduledJob)
                .where(
                    ScheduledJob.id.in_(ids),
                    ScheduledJob.status == RUNNING,
                    ScheduledJob.claimed_by == self.instance_id,
                )
                .values(claimed_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )

    async def reclaim_stale(self) -> int:
        """Return rows claimed by a process that died (lease expired) to the queue."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledJob)
                .where(
                    ScheduledJob.status == RUNNING, ScheduledJob.claimed_at < self.clock.now() - self.lease
                )
                .values(status=PENDING, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
        count: int = result.rowcount  # type: ignore[attr-defined]
        if count:
            log.warning("reclaimed %d scheduled rows whose claimer stopped", count)
        return count

    async def reclaim_all_running(self) -> int:
        """Return every ``running`` row to the queue, whatever its lease (``bot.leadership``: the
        process that just took the leader's lock knows the previous leader is gone)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.status == RUNNING)
                .values(status=PENDING, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
        count: int = result.rowcount  # type: ignore[attr-defined]
        if count:
            log.warning(
                "took back %d scheduled row%s the previous leader was running",
                count,
                "" if count == 1 else "s",
            )
        return count

    async def _claim(self, now: datetime) -> list[_Claimed]:
        if not self._handlers:
            return []
        due = (
            select(ScheduledJob.id)
            .where(
                ScheduledJob.status == PENDING, ScheduledJob.due_at <= now, ScheduledJob.kind.in_(self.kinds)
            )
            .order_by(ScheduledJob.due_at, ScheduledJob.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(ScheduledJob)
            .where(ScheduledJob.id.in_(due.scalar_subquery()), ScheduledJob.status == PENDING)
            .values(
                status=RUNNING,
                claimed_by=self.instance_id,
                claimed_at=now,
                attempts=ScheduledJob.attempts + 1,
            )
            .returning(
                ScheduledJob.id,
                ScheduledJob.kind,
                ScheduledJob.payload,
                # A retried row is judged (late, grace) against when it was first due.
                func.coalesce(ScheduledJob.first_due_at, ScheduledJob.due_at),
                ScheduledJob.attempts,
                ScheduledJob.max_attempts,
                ScheduledJob.recurrence_id,
            )
            .execution_options(synchronize_session=False)
        )
        async with self.db.transaction() as session:
            rows = (await session.execute(stmt)).all()
        return sorted((_Claimed(*row) for row in rows), key=lambda c: (c.due_at, c.id))

    def _grace_for(self, kind: str) -> timedelta:
        registration = self._handlers.get(kind)
        return registration.grace if registration and registration.grace is not None else self.grace

    async def _execute(self, row: _Claimed) -> _Outcome | None:
        """Run one claimed row; returns how it ended (None when it was put back for a retry)."""
        registration = self._handlers.get(row.kind)
        if registration is None:  # its handler was unregistered since the claim: leave it for later
            await self._put_back(row)
            return None
        async with self._semaphore:
            started = self.clock.now()
            context = JobContext(
                id=row.id,
                kind=row.kind,
                payload=row.payload,
                due_at=row.due_at,
                started_at=started,
                attempt=row.attempts,
                late=started - row.due_at > self.late_after,
            )
            if started - row.due_at > self._grace_for(row.kind):
                log.warning(
                    "scheduled %s #%d was due at %s and is beyond its grace: marked missed",
                    row.kind,
                    row.id,
                    row.due_at.isoformat(),
                )
                if registration.on_missed is not None:
                    await self._call(registration.on_missed, context)
                return _Outcome(row, MISSED, True)
            try:
                await registration.handler(context)
            except JobDeferred:
                await self._put_back(row)
                return None
            except JobFailed as exc:
                log.error("scheduled %s #%d failed: %s", row.kind, row.id, exc)
                return _Outcome(row, FAILED, context.late, str(exc))
            except Exception as exc:
                return await self._failed_attempt(row, registration, context, exc)
            return _Outcome(row, DONE, context.late)

    async def _put_back(self, row: _Claimed) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.id == row.id, ScheduledJob.claimed_by == self.instance_id)
                .values(
                    status=PENDING,
                    claimed_by=None,
                    attempts=ScheduledJob.attempts - 1,
                    first_due_at=func.coalesce(ScheduledJob.first_due_at, ScheduledJob.due_at),
                    due_at=self.clock.now() + DEFER_DELAY,
                )
                .execution_options(synchronize_session=False)
            )

    async def _call(self, handler: Handler, context: JobContext) -> None:
        try:
            await handler(context)
        except Exception:
            log.exception("handler for missed %s #%d raised", context.kind, context.id)

    async def _failed_attempt(
        self, row: _Claimed, registration: _Registration, context: JobContext, exc: Exception
    ) -> _Outcome | None:
        limit = registration.max_attempts or row.max_attempts
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= limit:
            log.error(
                "scheduled %s #%d failed for good after %d attempts",
                row.kind,
                row.id,
                row.attempts,
                exc_info=exc,
            )
            return _Outcome(row, FAILED, context.late, error)
        delay = min(self.retry_cap, self.retry_base * (2 ** (row.attempts - 1)))
        log.warning(
            "scheduled %s #%d failed (attempt %d of %d), retrying in %s: %s",
            row.kind,
            row.id,
            row.attempts,
            limit,
            delay,
            error,
        )
        async with self.db.transaction() as session:
            await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.id == row.id, ScheduledJob.claimed_by == self.instance_id)
                .values(
                    status=PENDING,
                    first_due_at=func.coalesce(ScheduledJob.first_due_at, ScheduledJob.due_at),
                    due_at=self.clock.now() + delay,
                    claimed_by=None,
                    last_error=error,
                )
                .execution_options(synchronize_session=False)
            )
        return None

    async def _finish_all(self, outcomes: list[_Outcome]) -> None:
        """Record how a batch ended in one transaction: one UPDATE per (status, late) group."""
        if not outcomes:
            return
        groups: dict[tuple[str, bool], list[int]] = {}
        async with self.db.transaction() as session:
            for outcome in outcomes:
                if outcome.error is None:
                    groups.setdefault((outcome.status, outcome.late), []).append(outcome.row.id)
                else:
                    await self._mark(session, [outcome.row.id], outcome.status, outcome.late, outcome.error)
            for (status, late), ids in groups.items():
                await self._mark(session, ids, status, late, None)
            for outcome in outcomes:
                if outcome.row.recurrence_id is not None:
                    rec = await session.get(Recurrence, outcome.row.recurrence_id)
                    if rec is not None and rec.enabled:
                        await self._ensure_next(session, rec)

    async def _mark(
        self, session: AsyncSession, ids: list[int], status: str, late: bool, error: str | None
    ) -> None:
        # Only rows this process still holds: one reclaimed by another process is theirs now.
        await session.execute(
            update(ScheduledJob)
            .where(
                ScheduledJob.id.in_(ids),
                ScheduledJob.status == RUNNING,
                ScheduledJob.claimed_by == self.instance_id,
            )
            .values(status=status, late=late, finished_at=self.clock.now(), last_error=error)
            .execution_options(synchronize_session=False)
        )

    # -- waking up ----------------------------------------------------------------------------

    async def _plan_wakeup(self) -> None:
        # Serialised: two plans racing could leave the later (stale) due time in place.
        async with self._plan_lock:
            await self._plan_wakeup_locked()

    async def _plan_wakeup_locked(self) -> None:
        if self._aps is None:
            return
        due = await self.next_due()
        if self._aps is None:
            return
        if due is None:
            with contextlib.suppress(Exception):
                self._aps.remove_job(self.WAKEUP_JOB_ID)
            return
        # APScheduler runs on real time; the clock may be moved, so convert a delay, not a date.
        delay = max(0.0, (due - self.clock.now()).total_seconds())
        self._aps.add_job(
            self._on_wakeup,
            DateTrigger(datetime.now(UTC) + timedelta(seconds=delay)),
            id=self.WAKEUP_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,  # lateness is judged per row, against its grace, not here
            coalesce=True,
            max_instances=3,  # re-planned while running: runs are serialised by the dispatch lock
        )

    async def _on_wakeup(self) -> None:
        self._track(asyncio.current_task())  # so stop() can wait for it
        try:
            while not self._stopping.is_set():
                ran = await self._dispatch_due()
                due = await self.next_due()
                if due is None:
                    return
                delay = (due - self.clock.now()).total_seconds()
                if delay > 1.0:
                    await self._plan_wakeup()
                    return
                if ran == 0:
                    # Due rows exist but another process holds them: do not spin on them.
                    delay = max(delay, 0.05)
                # Rows due within a second are waited for here (cheaper and more punctual than
                # another APScheduler job); stop() cuts the wait short.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), max(delay, 0.0))
        except Exception:
            log.exception("scheduler wake-up failed; the poll will try again")

    async def _poll(self) -> None:
        self._track(asyncio.current_task())
        try:
            await self.reclaim_stale()
            await self.sync_recurrences()
            await self._on_wakeup()
        except Exception:
            log.exception("scheduler poll failed")
