"""What the web pages may show, read through the services: the community's server, its workshops
(never a draft), its public reports (never a members-only one), the park directory (never a person).

Everything here is read-only and knows nothing of HTTP or Discord; the handlers render it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, union

from bot.db.models import GuildSettings, ScheduledJob
from bot.db.models_parks import Park
from bot.db.models_reports import Report
from bot.db.models_workshops import Workshop
from bot.fields import MAX_ID
from bot.scheduler import Clock
from bot.services.container import Services
from bot.services.workshops import CANCELLED, DRAFT, ENDED, SCHEDULED, Seats

log = logging.getLogger(__name__)

GUILD_RECHECK = 60.0  # seconds: how long the community's server id is remembered when found
PARKS_RECHECK = 30.0  # seconds between checks that the directory changed (another process edited it)
PAGE_SIZE = 20


@dataclass(frozen=True)
class Gateway:
    """The Discord side of this process, as /healthz and /metrics see it."""

    connected: bool
    latency: float | None  # seconds, None when unknown


@dataclass
class Runtime:
    """What this process is: ``bot`` (``cisip-bot run``, which may lead) or ``web`` (``cisip-bot web``),
    with probes the Discord side fills in (the web package never imports discord)."""

    role: str = "web"
    gateway: Callable[[], Gateway | None] = field(default=lambda: None)
    leads: Callable[[], bool] = field(default=lambda: False)


@dataclass(frozen=True)
class WorkshopView:
    workshop: Workshop
    seats: Seats

    @property
    def status(self) -> str:
        return self.workshop.status


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


def paginate(items: list[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    pages = max(1, -(-len(items) // size))
    page = min(page, pages)
    return Page(items[(page - 1) * size : page * size], page, pages, len(items))


class SearchCache:
    """The answers of the latest searches (parks, or why none match) for one search index: a
    directory's answer to a query changes only when the directory does, and a new index (after any
    change) starts an empty cache. Popular searches then cost a dictionary lookup."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.index: object = None
        self.answers: OrderedDict[tuple[object, ...], object] = OrderedDict()

    def get(self, index: object, key: tuple[object, ...]) -> Any:
        if index is not self.index:
            self.index, self.answers = index, OrderedDict()
            return None
        found = self.answers.get(key)
        if found is not None:
            self.answers.move_to_end(key)
        return found

    def put(self, index: object, key: tuple[object, ...], answer: object) -> None:
        if index is not self.index:
            self.index, self.answers = index, OrderedDict()
        self.answers[key] = answer
        if len(self.answers) > self.size:
            self.answers.popitem(last=False)


class Site:
    def __init__(self, services: Services, *, guild_id: int | None = None) -> None:
        self.services = services
        self.searches = SearchCache()
        # The directory's pages and API answers as sent (by language and query string), for the
        # same index: a popular search is then neither searched nor rendered again.
        self.rendered = SearchCache(size=512)
        self.configured_guild = guild_id
        self._guild: tuple[float, int | None] | None = None
        self._parks_stamp: tuple[object, ...] | None = None
        self._parks_checked = 0.0
        self._parks_lock = asyncio.Lock()

    @property
    def clock(self) -> Clock:
        return self.services.clock

    # -- the community's server --------------------------------------------------------------------

    async def guild_id(self) -> int | None:
        """The server whose workshops and reports the pages show: WEB_GUILD_ID, else DEV_GUILD_ID,
        else the one server the database knows (the lowest id when it knows several)."""
        if self.configured_guild is not None:
            return self.configured_guild
        now = time.monotonic()
        if self._guild is not None and now - self._guild[0] < GUILD_RECHECK:
            return self._guild[1]
        known = union(
            select(GuildSettings.guild_id), select(Workshop.guild_id), select(Report.guild_id)
        ).subquery()
        async with self.services.db.session() as session:
            ids = sorted((await session.scalars(select(known.c.guild_id))).all())
        if len(ids) > 1 and (self._guild is None or self._guild[1] != ids[0]):
            log.warning(
                "the database knows %d servers: the web pages show %s (set WEB_GUILD_ID)", len(ids), ids[0]
            )
        found = ids[0] if ids else None
        self._guild = (now, found)
        return found

    # -- parks ---------------------------------------------------------------------------------------

    async def refresh_parks(self, *, force: bool = False) -> None:
        """Reload the directory when another process (or the bot) changed it since the last look."""
        now = time.monotonic()
        if not force and now - self._parks_checked < PARKS_RECHECK:
            return
        async with self._parks_lock:
            if not force and time.monotonic() - self._parks_checked < PARKS_RECHECK:
                return
            async with self.services.db.session() as session:
                row = (
                    await session.execute(
                        select(func.count(), func.max(Park.updated_at)).where(Park.removed_at.is_(None))
                    )
                ).one()
            stamp = (int(row[0] or 0), row[1])
            if force or stamp != self._parks_stamp or len(self.services.parks.records) != stamp[0]:
                await self.services.parks.load()
            self._parks_stamp = stamp
            self._parks_checked = time.monotonic()

    # -- workshops -----------------------------------------------------------------------------------

    async def _with_seats(self, workshops: list[Workshop]) -> list[WorkshopView]:
        return [WorkshopView(w, await self.services.workshops.seats(w.id)) for w in workshops]

    async def upcoming(self, limit: int = 25) -> list[WorkshopView]:
        guild = await self.guild_id()
        if guild is None:
            return []
        return await self._with_seats((await self.services.workshops.upcoming(guild))[:limit])

    async def past(self, limit: int = 50) -> list[WorkshopView]:
        """Editions that ended or were cancelled, newest first."""
        guild = await self.guild_id()
        if guild is None:
            return []
        now = self.clock.now()
        async with self.services.db.session() as session:
            rows = (
                await session.scalars(
                    select(Workshop)
                    .where(
                        Workshop.guild_id == guild,
                        Workshop.status != DRAFT,
                        (Workshop.ends_at <= now) | Workshop.status.in_((CANCELLED, ENDED)),
                    )
                    .order_by(Workshop.starts_at.desc(), Workshop.id.desc())
                    .limit(limit)
                )
            ).all()
        return await self._with_seats(list(rows))

    async def feed_workshops(self, limit: int = 500) -> list[Workshop]:
        """Every edition a calendar may show (scheduled, ended, cancelled), newest first."""
        guild = await self.guild_id()
        if guild is None:
            return []
        async with self.services.db.session() as session:
            rows = await session.scalars(
                select(Workshop)
                .where(Workshop.guild_id == guild, Workshop.status.in_((SCHEDULED, ENDED, CANCELLED)))
                .order_by(Workshop.starts_at.desc(), Workshop.id.desc())
                .limit(limit)
            )
            return list(rows.all())

    async def workshop(self, workshop_id: int) -> WorkshopView | None:
        """One edition of the community's server (None for a draft, another server's, or none)."""
        guild = await self.guild_id()
        if guild is None or not 0 < workshop_id <= MAX_ID:
            return None
        async with self.services.db.session() as session:
            found = await session.get(Workshop, workshop_id)
        if found is None or found.guild_id != guild or found.status == DRAFT:
            return None
        return WorkshopView(found, await self.services.workshops.seats(found.id))

    # -- reports -------------------------------------------------------------------------------------

    async def reports(self, page: int) -> Page[Report]:
        guild = await self.guild_id()
        if guild is None:
            return Page([], 1, 1, 0)
        _first, total = await self.services.reports.browse(guild, members=False, limit=0)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        rows, total = await self.services.reports.browse(
            guild, members=False, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        return Page(rows, page, pages, total)

    async def latest_report(self) -> Report | None:
        guild = await self.guild_id()
        if guild is None:
            return None
        rows, _total = await self.services.reports.browse(guild, members=False, limit=1)
        return rows[0] if rows else None

    async def report(self, report_id: int) -> Report | None:
        """A published public report of the community's server; None for anything else (a
        members-only or withdrawn report is one that does not exist, here)."""
        guild = await self.guild_id()
        if guild is None or not 0 < report_id <= MAX_ID:
            return None
        found = await self.services.reports.get_any(report_id)
        if (
            found is None
            or found.guild_id != guild
            or found.status != "published"
            or found.visibility != "public"
        ):
            return None
        return found

    # -- operations ----------------------------------------------------------------------------------

    async def scheduler_lag(self) -> float:
        """Seconds the oldest pending scheduled row is overdue (0 when none is due)."""
        async with self.services.db.session() as session:
            first: datetime | None = await session.scalar(
                select(func.min(ScheduledJob.due_at)).where(ScheduledJob.status == "pending")
            )
        if first is None:
            return 0.0
        return max(0.0, (self.clock.now() - first).total_seconds())


async def stop_task(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
