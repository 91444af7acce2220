"""Time, in one place, so tests can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """The real clock: aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Called when the clock jumps; the real clock never does."""


class MovableClock(Clock):
    """A clock that tests move forward (or back) at will.

    By default it ticks: real time plus an offset, so timeouts and sleeps in the code under test
    still behave. ``ticking=False`` stands still between moves, for exact assertions. Listeners
    (the scheduler) are told after every move so they can re-plan.
    """

    def __init__(self, start: datetime | None = None, *, ticking: bool = True) -> None:
        self._ticking = ticking
        self._offset = timedelta(0) if start is None else start - self._real_now()
        self._listeners: list[Callable[[], None]] = []

    def _real_now(self) -> datetime:
        return datetime.now(UTC) if self._ticking else datetime(2000, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._real_now() + self._offset

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._offset += delta if delta is not None else timedelta(**kwargs)
        self._notify()
        return self.now()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("MovableClock.set needs an aware datetime")
        self._offset = when - self._real_now()
        self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()
