"""The DM fan-out engine: every pending delivery row is sent once, within Discord's limits.

It knows nothing of discord.py. A *sender* (``cogs/reports/_delivery.py``) does the sending and
reports what happened as an :class:`Outcome`; a *store* (the reports service) keeps the delivery
rows. A row deleted meanwhile (the member's data erased) is settled as nothing: only rows still
pending are written.

Exactly once, even across a crash:

* the rows exist before anything is sent, so a restarted bot knows who is still ``pending``;
* each DM carries a deterministic nonce (:func:`delivery_nonce`) sent with ``enforce_nonce``, so
  a resend of a DM whose result was not yet written (the bot died between Discord's answer and
  the next flush) is answered by Discord with the message it already has, instead of a second DM;
* results are written in small batches (every ``flush_every`` seconds), so at most a second's
  worth of DMs is ever resent, and those are deduplicated as above.

Throttling: a small, fixed pool of workers (``workers``) sends one DM each at a time, and every
request they make first takes a slot from one :class:`Pacer` shared by the workers, so that a run
never meets Discord's global limit (50 requests a second) at all. discord.py waits out a 429 by
itself, but every 429 counts toward Discord's invalid-request limit (10,000 in 10 minutes, past
which the bot's address is banned for an hour), so the point is never to receive one. The pacer
allows ``requests_per_second`` (45) with a burst of ``burst`` (1): at most 46 requests in any
second (see :class:`Pacer`), which leaves at least 4 a second to the rest of the bot (progress
edits, welcomes, roles, follow-ups; interaction callbacks are not under the global limit). A DM
to a member whose DM channel is not known yet costs two requests (opening the channel, then the
message). Per-route limits (one DM per DM channel) are left to discord.py, which waits on the
bucket headers before sending.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

STATUSES = ("pending", "sent", "dms_closed", "failed", "skipped")
NONCE_LENGTH = 25  # Discord's limit for a string nonce


def delivery_nonce(report_id: int, user_id: int) -> str:
    """The same report to the same member always carries the same nonce (25 characters)."""
    return hashlib.sha256(f"report:{report_id}:user:{user_id}".encode()).hexdigest()[:NONCE_LENGTH]


class Outcome(enum.Enum):
    SENT = "sent"
    DMS_CLOSED = "dms_closed"  # 50007: the member does not accept DMs from the bot; never retried
    SERVER_ERROR = "server_error"  # 5xx: retried a bounded number of times
    FAILED = "failed"  # any other refusal: not retried by the engine


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    dm_channel_id: int | None = None  # the DM channel used, to remember for the next report
    error: str | None = None


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    user_id: int
    attempts: int
    dm_channel_id: int | None = None


@dataclass(frozen=True)
class Settled:
    """A delivery's final state, to be written by the store."""

    id: int
    user_id: int
    status: str
    attempts: int
    message_id: int | None = None
    dm_channel_id: int | None = None
    error: str | None = None


@dataclass
class DeliveryCounts:
    total: int = 0
    sent: int = 0
    dms_closed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def pending(self) -> int:
        return self.total - self.sent - self.dms_closed - self.failed - self.skipped

    def add(self, status: str) -> None:
        if status in ("sent", "dms_closed", "failed", "skipped"):
            setattr(self, status, getattr(self, status) + 1)


class DmSender(Protocol):
    """What the engine needs from Discord (``cogs.reports._delivery.DiscordSender``)."""

    async def skip_reason(self, user_id: int) -> str | None:
        """Why this member should not get the DM any more (left, unsubscribed, erased, not a
        verified member for a members-only report), or None."""

    async def send(self, delivery: PendingDelivery, nonce: str) -> SendResult:
        """Send the DM with this nonce and ``enforce_nonce``; never raise for a Discord refusal."""

    async def progress(self, counts: DeliveryCounts, *, final: bool) -> None:
        """Show the publisher how far delivery is (called every few seconds, and once at the end)."""


class DeliveryStore(Protocol):
    async def pending(self, report_id: int) -> list[PendingDelivery]: ...

    async def counts(self, report_id: int) -> DeliveryCounts: ...

    async def settle(self, report_id: int, results: list[Settled]) -> None: ...

    async def finish(self, report_id: int) -> None: ...


class Pacer:
    """Slots for requests, ``rate`` a second with bursts of ``burst``, shared by concurrent tasks
    (the generic cell rate algorithm, by reservation). A grant of ``cost`` requests comes at one
    moment and pushes the next grant ``cost / rate`` seconds later. In any second it grants at most
    ``rate + burst - 1 + (largest cost - 1)`` requests: at 45 a second, burst 1 and DMs costing
    one or two requests, at most 46.

    The slot is reserved at once when :meth:`acquire` is called (no await in between, so tasks
    never race for it), then waited for; a task cancelled while waiting leaves its slot unused."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")  # the theoretical time of the next grant

    def reserve(self, cost: int = 1) -> float:
        """Reserve a grant of ``cost`` requests; the time it comes."""
        now = self.clock()
        at = max(now, self._next - self.tolerance)
        self._next = max(self._next, at) + cost * self.interval
        return at

    async def acquire(self, cost: int = 1) -> float:
        """Wait until ``cost`` requests may be made; returns the time they may be made at."""
        at = self.reserve(cost)
        delay = at - self.clock()
        if delay > 0:
            await self.sleep(delay)
        return at


class SteadyPacer:
    """Grants one request at a time, each at least ``1 / rate`` seconds after the previous grant
    as it really happened: at most ``rate + 1`` in any second, even when the event loop stalls
    (a reservation-based :class:`Pacer` would release every slot that fell due during a stall at
    once). Waiters are served in arrival order. For a limit shared by the whole process, where the
    callers are many and unknown (``bot.ui.pacing``)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._last = float("-inf")
        self._turn = asyncio.Lock()  # FIFO: waiters take their turn in order

    async def acquire(self) -> float:
        """Wait for the next slot; returns the time it was granted."""
        async with self._turn:
            delay = self._last + self.interval - self.clock()
            if delay > 0:
                await self.sleep(delay)
            self._last = self.clock()
            return self._last


@dataclass
class EngineOptions:
    workers: int = 8
    # Requests a second the run's DMs may make (see the module's docstring), None: unpaced.
    requests_per_second: float | None = 45.0
    burst: int = 1
    max_attempts: int = 3  # sends per delivery when Discord answers with a server error
    retry_delay: float = 2.0  # seconds before the 2nd attempt, doubled each time after
    flush_every: float = 0.5  # seconds between batched writes of results
    progress_every: float = 5.0  # seconds between progress-message edits


@dataclass
class _Run:
    report_id: int
    counts: DeliveryCounts
    buffer: list[Settled] = field(default_factory=list)
    # Writes the flush and progress loops started; they run to the end even when the loops stop.
    writes: set[asyncio.Future[None]] = field(default_factory=set)


class DeliveryEngine:
    """Runs one report's pending deliveries to the end.

    :meth:`stop` ends a run cleanly: the DMs in flight finish, every result is written, the rest
    stays pending for the next start. Cancelling the task instead is like a crash: whatever was
    not written yet is resent by the next run, and deduplicated by its nonce.
    """

    def __init__(
        self,
        store: DeliveryStore,
        options: EngineOptions | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.options = options or EngineOptions()
        self.sleep = sleep
        self.halted = False
        rate = self.options.requests_per_second
        self.pacer = None if rate is None else Pacer(rate, self.options.burst, sleep=sleep)

    def stop(self) -> None:
        """Finish the DMs in flight, write every result, and return from :meth:`run`."""
        self.halted = True

    async def run(self, report_id: int, sender: DmSender) -> DeliveryCounts:
        options = self.options
        counts = await self.store.counts(report_id)
        run = _Run(report_id, counts)
        queue: asyncio.Queue[PendingDelivery] = asyncio.Queue()
        for delivery in await self.store.pending(report_id):
            queue.put_nowait(delivery)
        log.info("report %s: %d deliveries to make (%d in all)", report_id, queue.qsize(), counts.total)
        await sender.progress(counts, final=False)

        workers = [
            asyncio.create_task(self._worker(run, queue, sender), name=f"report-{report_id}-dm-{n}")
            for n in range(max(1, min(options.workers, queue.qsize())))
        ]
        flusher = asyncio.create_task(self._flush_loop(run), name=f"report-{report_id}-flush")
        reporter = asyncio.create_task(self._progress_loop(run, sender), name=f"report-{report_id}-progress")
        try:
            await asyncio.gather(*workers)
        finally:
            for task in (flusher, reporter, *workers):
                task.cancel()
            await asyncio.gather(flusher, reporter, *workers, return_exceptions=True)
            await asyncio.gather(*run.writes, return_exceptions=True)
        await self._flush(run)
        if self.halted and run.counts.pending > 0:
            log.info("report %s: delivery paused with %d to go", report_id, run.counts.pending)
            return run.counts
        final = await self.store.counts(report_id)
        # The summary first: whoever sees the delivery finished finds the publisher told too.
        await sender.progress(final, final=True)
        await self.store.finish(report_id)
        log.info("report %s delivered: %s", report_id, final)
        return final

    async def _worker(self, run: _Run, queue: asyncio.Queue[PendingDelivery], sender: DmSender) -> None:
        while not self.halted:
            try:
                delivery = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            settled = await self._deliver(run.report_id, delivery, sender)
            if settled is None:
                return  # stopped between two attempts: the row stays pending
            run.buffer.append(settled)
            run.counts.add(settled.status)

    async def _deliver(self, report_id: int, delivery: PendingDelivery, sender: DmSender) -> Settled | None:
        reason = await sender.skip_reason(delivery.user_id)
        if reason is not None:
            return Settled(delivery.id, delivery.user_id, "skipped", delivery.attempts, error=reason)
        nonce = delivery_nonce(report_id, delivery.user_id)
        attempts = delivery.attempts
        for attempt in range(self.options.max_attempts):
            attempts += 1
            if self.pacer is not None:
                # Opening the DM channel first costs a second request.
                await self.pacer.acquire(1 if delivery.dm_channel_id is not None else 2)
                if self.halted:
                    return None
            try:
                result = await sender.send(delivery, nonce)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug or a lost connection: count it as a server error
                log.warning("report %s: sending to %s raised %r", report_id, delivery.user_id, exc)
                result = SendResult(Outcome.SERVER_ERROR, error=type(exc).__name__)
            if result.outcome is Outcome.SERVER_ERROR and attempt + 1 < self.options.max_attempts:
                await self.sleep(self.options.retry_delay * 2**attempt)
                if self.halted:
                    return None
                continue
            status = {
                Outcome.SENT: "sent",
                Outcome.DMS_CLOSED: "dms_closed",
                Outcome.SERVER_ERROR: "failed",
                Outcome.FAILED: "failed",
            }[result.outcome]
            return Settled(
                delivery.id,
                delivery.user_id,
                status,
                attempts,
                result.message_id,
                result.dm_channel_id,
                result.error,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _flush(self, run: _Run) -> None:
        if not run.buffer:
            return
        batch, run.buffer = run.buffer, []
        try:
            await self.store.settle(run.report_id, batch)
        except BaseException:
            # Not written (or cancelled half-way): keep the batch for the next write. Writing a
            # result twice is harmless: only rows still pending are updated.
            run.buffer[:0] = batch
            raise

    @staticmethod
    async def _to_the_end(run: _Run, write: Coroutine[Any, Any, None]) -> None:
        """Await ``write``, which stopping the loop must not cut off: a database write cancelled
        half-way can leave SQLite's write lock held by a connection nobody returns."""
        task = asyncio.ensure_future(write)
        run.writes.add(task)
        task.add_done_callback(run.writes.discard)
        await asyncio.shield(task)

    async def _flush_loop(self, run: _Run) -> None:
        while True:
            await self.sleep(self.options.flush_every)
            try:
                await self._to_the_end(run, self._flush(run))
            except Exception:
                log.exception("report %s: could not write delivery results; trying again", run.report_id)

    async def _progress_loop(self, run: _Run, sender: DmSender) -> None:
        shown = (-1, -1, -1, -1)
        while True:
            await self.sleep(self.options.progress_every)
            counts = run.counts
            now = (counts.sent, counts.dms_closed, counts.failed, counts.skipped)
            if now == shown:
                continue
            shown = now
            try:
                await self._to_the_end(run, sender.progress(DeliveryCounts(**vars(counts)), final=False))
            except Exception:
                log.exception("report %s: could not update the progress message", run.report_id)
