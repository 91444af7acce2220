"""Discord-style rate limits (topics/rate-limits) and injected faults.

Rate limits are off by default so ordinary tests never wait; a test turns them on with
``emulator.ratelimits.enable(...)``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Route templates of the interaction endpoints (interactions/receiving-and-responding#endpoints):
#: the initial callback and the webhook routes of the interaction token.
INTERACTION_CALLBACK = "/interactions/{interaction_id}/{token}/callback"
INTERACTION_WEBHOOK_PREFIX = "/webhooks/{application_id}/{token}"


def is_interaction_route(template: str) -> bool:
    """Interaction endpoints "are not bound to the application's Global Rate Limit"
    (topics/rate-limits, Global Rate Limit)."""
    return template == INTERACTION_CALLBACK or template.startswith(INTERACTION_WEBHOOK_PREFIX)


def major_parameter(template: str, params: dict[str, str]) -> str:
    """The top-level resource a route's bucket is kept per (topics/rate-limits): channel, guild,
    or webhook id + token; interaction routes per interaction (callback: id + token; follow-ups
    and @original: application id + token, like any webhook)."""
    if template == INTERACTION_CALLBACK:
        return f"interaction:{params['interaction_id']}:{params['token']}"
    if template.startswith(INTERACTION_WEBHOOK_PREFIX):
        return f"webhook:{params['application_id']}:{params['token']}"
    if "channel_id" in params:
        return f"channel:{params['channel_id']}"
    if "guild_id" in params:
        return f"guild:{params['guild_id']}"
    if "webhook_id" in params:
        return f"webhook:{params['webhook_id']}:{params.get('webhook_token', '')}"
    return ""


@dataclass
class _Window:
    limit: int
    period: float
    used: int = 0
    reset_at: float = 0.0

    def roll(self, now: float) -> None:
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + self.period


@dataclass
class RateLimitVerdict:
    """Headers to add to the response and, when refused, the 429 body."""

    headers: dict[str, str]
    refused: dict[str, Any] | None = None


class RateLimits:
    """Per-route buckets (keyed by route template and major parameter) plus a global limit."""

    def __init__(self) -> None:
        self.enabled = False
        self.default_limit = 5
        self.default_period = 5.0
        self.global_per_second: int | None = None
        self._overrides: dict[tuple[str, str], tuple[int, float]] = {}
        self._buckets: dict[tuple[str, str], _Window] = {}
        self._global = _Window(limit=50, period=1.0)
        self.hits: Counter[str] = Counter()  # 429s given, by "METHOD /template"

    @property
    def total_429s(self) -> int:
        return sum(self.hits.values())

    def enable(
        self, *, per_route: int = 5, period: float = 5.0, global_per_second: int | None = 50
    ) -> RateLimits:
        self.enabled = True
        self.default_limit = per_route
        self.default_period = period
        self.global_per_second = global_per_second
        if global_per_second is not None:
            self._global = _Window(limit=global_per_second, period=1.0)
        return self

    def disable(self) -> None:
        self.enabled = False

    def limit_route(self, method: str, template: str, limit: int, period: float) -> None:
        """Give one route (e.g. ``"POST", "/channels/{channel_id}/messages"``) its own limit."""
        self._overrides[(method.upper(), template)] = (limit, period)

    def check(
        self, method: str, template: str, major: str, *, global_limited: bool = True
    ) -> RateLimitVerdict:
        """Count one request against its bucket ``(method template, major)`` and, when
        ``global_limited`` (every route but the interaction endpoints), the global limit."""
        if not self.enabled:
            return RateLimitVerdict({})
        now = time.monotonic()
        name = f"{method} {template}"
        if global_limited and self.global_per_second is not None:
            self._global.roll(now)
            if self._global.used >= self._global.limit:
                retry = max(self._global.reset_at - now, 0.001)
                self.hits[name] += 1
                return RateLimitVerdict(
                    {
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                        "Retry-After": _ceil(retry),
                    },
                    {
                        "message": "You are being rate limited.",
                        "retry_after": round(retry, 3),
                        "global": True,
                    },
                )
            self._global.used += 1
        limit, period = self._overrides.get((method, template), (self.default_limit, self.default_period))
        bucket = self._buckets.setdefault((name, major), _Window(limit, period))
        bucket.roll(now)
        bucket_hash = hashlib.sha1(name.encode()).hexdigest()[:16]
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if bucket.used >= bucket.limit:
            self.hits[name] += 1
            headers.update(
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user", "Retry-After": _ceil(reset_after)}
            )
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(reset_after, 3),
                "global": False,
            }
            return RateLimitVerdict(headers, body)
        bucket.used += 1
        headers["X-RateLimit-Remaining"] = str(bucket.limit - bucket.used)
        return RateLimitVerdict(headers)


def _ceil(seconds: float) -> str:
    return str(max(1, int(-(-seconds // 1))))


@dataclass
class Fault:
    method: str
    pattern: str  # glob on the path after /api/v10, e.g. "/channels/*/messages"
    status: int | None  # None means hang
    remaining: int
    hits: int = 0
    after: bool = False  # hang only once the request is carried out: its answer is lost

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.pattern)


@dataclass
class Faults:
    """Failures on demand for the next N requests that match a method and path glob."""

    active: list[Fault] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def fail(self, method: str, pattern: str, *, status: int = 500, times: int = 1) -> Fault:
        if status not in (500, 502, 503, 504):
            raise ValueError("faults are server errors: 500, 502, 503 or 504")
        fault = Fault(method.upper(), pattern, status, times)
        self.active.append(fault)
        return fault

    def hang(self, method: str, pattern: str, *, times: int = 1) -> Fault:
        """The matching requests never get an answer (until the emulator stops)."""
        fault = Fault(method.upper(), pattern, None, times)
        self.active.append(fault)
        return fault

    def lose_answer(self, method: str, pattern: str, *, times: int = 1) -> Fault:
        """The matching requests are carried out, then never answered: what a caller sees when it
        dies (or its network does) between Discord acting and the reply reaching it."""
        fault = Fault(method.upper(), pattern, None, times, after=True)
        self.active.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.active:
            if fault.matches(method, path):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None
