"""Deciding many asks for one thing as one serial stream, a batch at a time.

When a thousand members press Register within a second, each press is an *ask* for the same
workshop. Deciding them one transaction each makes a thousand transactions queue for one lock,
and lets the event loop reorder them. ``KeyedBatcher`` instead gives every key (a workshop) one
worker: the asks that arrive while it decides the previous batch are decided together, in the
order their ``order`` key says (the interaction's snowflake: the order Discord created them), in
one transaction. Each asker gets its own answer or its own error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
A = TypeVar("A")
R = TypeVar("R")

# What a decision returns for each ask of its batch, in the batch's order: an answer, or the
# error that ask alone ends with (a refusal); raising fails every ask of the batch.
Decide = Callable[[K, Sequence[A]], Awaitable[Sequence[R | BaseException]]]


@dataclass(order=True)
class _Pending(Generic[A, R]):
    order: int
    seq: int
    ask: A = field(compare=False)
    future: asyncio.Future[R] = field(compare=False)


class KeyedBatcher(Generic[K, A, R]):
    def __init__(self, decide: Decide[K, A, R], *, max_batch: int = 500, linger: float = 0.0) -> None:
        """``linger``: how long a worker waits for more asks before a batch (for work that is
        better done seldom and in bulk, such as remembering languages)."""
        self._decide = decide
        self.max_batch = max_batch
        self.linger = linger
        self._hurry = asyncio.Event()  # set while draining: no more lingering
        self._queues: dict[K, list[_Pending[A, R]]] = {}
        self._workers: dict[K, asyncio.Task[None]] = {}
        self._seq = 0

    async def ask(self, key: K, ask: A, *, order: int) -> R:
        """Queue ``ask`` for ``key`` and wait for its answer."""
        return await self.submit(key, ask, order=order)

    def submit(self, key: K, ask: A, *, order: int) -> asyncio.Future[R]:
        """Queue ``ask`` for ``key`` now (synchronously, before anything else can run); its answer
        comes in the returned future."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._seq += 1
        self._queues.setdefault(key, []).append(_Pending(order, self._seq, ask, future))
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"batch-{key}")
        return future

    async def drain(self) -> None:
        """Wait until everything queued so far is decided (a clean stop)."""
        self._hurry.set()
        try:
            while self._workers:
                await asyncio.gather(*self._workers.values(), return_exceptions=True)
        finally:
            self._hurry.clear()

    async def _work(self, key: K) -> None:
        try:
            while self._queues.get(key):
                if self.linger and not self._hurry.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._hurry.wait(), self.linger)
                queue = self._queues[key]
                queue.sort()
                batch, self._queues[key] = queue[: self.max_batch], queue[self.max_batch :]
                batch = [p for p in batch if not p.future.done()]  # an asker gave up (shutdown)
                if not batch:
                    continue
                try:
                    results = await self._decide(key, [p.ask for p in batch])
                except BaseException as exc:
                    for pending in batch:
                        if not pending.future.done():
                            pending.future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for pending, result in zip(batch, results, strict=True):
                    if pending.future.done():
                        continue
                    if isinstance(result, BaseException):
                        pending.future.set_exception(result)
                    else:
                        pending.future.set_result(result)
        finally:
            self._workers.pop(key, None)
            leftover = self._queues.pop(key, [])
            for pending in leftover:  # only when cancelled mid-way: nobody will decide these
                if not pending.future.done():
                    pending.future.cancel()
