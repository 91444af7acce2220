"""Searches per address: a token bucket each (a burst, then a steady rate), kept in memory.

Behind a proxy every reader shares the proxy's address: run the web processes where the proxy's
address is not the only one they see, or raise the rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_TRACKED = 50_000  # addresses remembered; full buckets are forgotten first


class RateLimiter:
    def __init__(self, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = float(burst)
        self.per_second = float(per_second)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)

    def take(self, address: str) -> float:
        """0 when ``address`` may search now (a token is taken), else the seconds until it may."""
        now = self.clock()
        tokens, then = self.buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.per_second)
        if tokens >= 1:
            self.buckets[address] = (tokens - 1, now)
            if len(self.buckets) > MAX_TRACKED:
                self._forget(now)
            return 0.0
        self.buckets[address] = (tokens, now)
        return (1 - tokens) / self.per_second if self.per_second > 0 else 60.0

    def _forget(self, now: float) -> None:
        full = self.burst / self.per_second if self.per_second > 0 else 0.0
        self.buckets = {a: (t, w) for a, (t, w) in self.buckets.items() if now - w < full}
        if len(self.buckets) > MAX_TRACKED:
            self.buckets.clear()
