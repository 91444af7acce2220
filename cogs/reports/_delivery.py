"""The Discord side of the DM fan-out engine (``bot.services.delivery``): ``DiscordSender`` sends one
report's DMs and edits the publisher's progress message; ``DeliveryRunner`` is the scheduled
handler that runs them, and stops one when it is withdrawn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot import metrics
from bot.db.models_reports import Report
from bot.i18n import DEFAULT_LANGUAGE, resolve_language
from bot.scheduler import JobContext, JobDeferred
from bot.services.delivery import (
    DeliveryCounts,
    DeliveryEngine,
    EngineOptions,
    Outcome,
    PendingDelivery,
    SendResult,
)
from bot.services.reports import DELIVERY_JOB, DELIVERY_MAX_ATTEMPTS, Audience, ReportService
from bot.ui.checks import person_of
from bot.ui.dm import dm_outcome
from bot.ui.text import member_language, translate_in
from cogs.reports.views import progress_text, report_dm

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

# A delivery is sent however late it runs (after an outage, its subscribers still want the report).
NEVER_MISSED = timedelta(days=36500)
UNKNOWN_CHANNEL = 10003  # a remembered DM channel Discord no longer knows: open it again


class DiscordSender:
    """Implements ``bot.services.delivery.DmSender`` with discord.py."""

    # Seconds between reloads of who still gets the DM (subscriptions, the member gate): an
    # unsubscription, or a membership that ends, during a run takes effect this fast.
    subscribers_refresh = 2.0

    def __init__(self, bot: CisipBot, service: ReportService, report: Report, guild: discord.Guild) -> None:
        self.bot = bot
        self.service = service
        self.report = report
        self.guild = guild
        # The DM in each subscriber's language, built once per language (not once per member).
        self.messages: dict[str, tuple[discord.Embed, discord.ui.View]] = {}
        self.server_language = DEFAULT_LANGUAGE
        self.audience = Audience(frozenset(), None)
        self.audience_at = 0.0
        self.erased: set[int] = set()
        self._reloading = asyncio.Lock()
        self.progress_broken = False

    async def prepare(self) -> None:
        config = await self.bot.services.guild_settings.get(self.guild.id)
        self.server_language = resolve_language(config.language)
        await self._reload()

    async def _reload(self) -> None:
        # Loaded for the whole server at once: the gate is asked about thousands of members.
        # Minus the erased, in case this read began before their erasure was committed.
        self.audience = (await self.service.audience(self.report)).without(*self.erased)
        self.audience_at = time.monotonic()

    def forget(self, user_id: int) -> None:
        """Send nothing more to ``user_id`` (their data was erased), without waiting for a reload."""
        self.erased.add(user_id)
        self.audience = self.audience.without(user_id)
        if self.report.progress_user_id == user_id:  # the publisher: no more progress in their DMs
            self.report.progress_user_id = None
            self.report.progress_channel_id = self.report.progress_message_id = None
            self.progress_broken = True

    async def language_of(self, user_id: int) -> str:
        """The member's last seen Discord language, else the server's (both cached per process)."""
        try:
            return await member_language(self.bot, user_id, self.guild.id)
        except Exception:  # the DM matters more than its language
            log.warning("report %s: no language for %s", self.report.id, user_id, exc_info=True)
            return self.server_language

    def message_in(self, language: str) -> tuple[discord.Embed, discord.ui.View]:
        """The report DM (embed, link button, Unsubscribe button) in ``language``."""
        if language not in self.messages:
            self.messages[language] = report_dm(partial(translate_in, language), self.report)
        return self.messages[language]

    async def skip_reason(self, user_id: int) -> str | None:
        if time.monotonic() - self.audience_at > self.subscribers_refresh:
            async with self._reloading:  # the workers wait for one reload instead of each doing it
                if time.monotonic() - self.audience_at > self.subscribers_refresh:
                    await self._reload()
        member = self.guild.get_member(user_id)
        return self.audience.skip_reason(None if member is None else person_of(member, self.guild))

    async def send(self, delivery: PendingDelivery, nonce: str) -> SendResult:
        result = await self._send(delivery, nonce)
        metrics.count_dm(result.outcome.value)  # /metrics: every DM the bot sends, by outcome
        return result

    async def _send(self, delivery: PendingDelivery, nonce: str) -> SendResult:
        embed, view = self.message_in(await self.language_of(delivery.user_id))
        opened: int | None = None
        channel_id = delivery.dm_channel_id
        try:
            if channel_id is None:
                member = self.guild.get_member(delivery.user_id)
                if member is None:
                    return SendResult(Outcome.FAILED, error="left the server")
                channel_id = opened = (await member.create_dm()).id
            messageable = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
            try:
                message = await messageable.send(embed=embed, view=view, nonce=nonce)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_CHANNEL or opened is not None:
                    raise
                member = self.guild.get_member(delivery.user_id)
                if member is None:
                    return SendResult(Outcome.FAILED, error="left the server")
                channel_id = opened = (await member.create_dm()).id
                messageable = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
                message = await messageable.send(embed=embed, view=view, nonce=nonce)
        except discord.HTTPException as exc:
            outcome = dm_outcome(exc)
            # A channel opened for a member whose DMs are closed is still theirs: remember it.
            remembered = opened if outcome is Outcome.DMS_CLOSED else None
            return SendResult(outcome, dm_channel_id=remembered, error=f"{exc.status} {exc.code}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return SendResult(Outcome.SERVER_ERROR, error=type(exc).__name__)
        return SendResult(Outcome.SENT, message_id=message.id, dm_channel_id=opened)

    async def progress(self, counts: DeliveryCounts, *, final: bool) -> None:
        if self.progress_broken:
            return
        report = self.report
        # Looked up at each edit (cached): the publisher's last seen language, else the server's.
        language = self.server_language
        if report.progress_user_id is not None:
            language = await self.language_of(report.progress_user_id)
        text = progress_text(partial(translate_in, language), report.title, counts, final=final)
        try:
            if report.progress_channel_id and report.progress_message_id:
                channel = self.bot.get_partial_messageable(
                    report.progress_channel_id, type=discord.ChannelType.private
                )
                await channel.get_partial_message(report.progress_message_id).edit(content=text)
                return
            if report.progress_user_id is None:
                return
            user = self.bot.get_user(report.progress_user_id) or await self.bot.fetch_user(
                report.progress_user_id
            )
            message = await user.send(text)
            report.progress_channel_id, report.progress_message_id = message.channel.id, message.id
            await self.service.set_progress_message(report.id, message.channel.id, message.id)
        except discord.HTTPException as exc:
            log.warning("report %s: no progress message for the publisher: %s", report.id, exc)
            self.progress_broken = True


@dataclass
class _Run:
    engine: DeliveryEngine
    sender: DiscordSender
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, within: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ended.wait(), within)


class DeliveryStopped(Exception):
    """A run ended before its last DM (its server out of reach): the scheduler retries it later."""


class DeliveryRunner:
    """Runs the scheduled ``report.delivery`` rows (``bot.services.reports.DELIVERY_JOB``): each is
    a ``DeliveryEngine`` run with a ``DiscordSender``, claimed and leased by the scheduler like any
    row, so one process runs it and whichever process leads next resumes it (the delivery rows
    say what is left; a DM resent after a crash is deduplicated by its nonce).

    The runner also keeps the runs of this process, to stop one (a withdrawal) or to tell them of
    an erasure."""

    engine_options = EngineOptions()
    stop_timeout = 10.0  # seconds a stopping bot waits for the DMs in flight before cancelling

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.reports
        self.runs: dict[int, _Run] = {}

    def register(self) -> None:
        self.bot.register_job(
            DELIVERY_JOB,
            self.run,
            grace=NEVER_MISSED,
            max_attempts=DELIVERY_MAX_ATTEMPTS,
            long_running=True,
        )

    def unregister(self) -> None:
        self.bot.unregister_job(DELIVERY_JOB)

    async def close(self) -> None:
        """Stop every run of this process cleanly, all at once: DMs in flight finish and are
        recorded, and each run's row goes back to the queue for the next leader."""
        runs = list(self.runs.values())
        for run in runs:
            run.engine.stop()
        await asyncio.gather(*(run.wait(self.stop_timeout) for run in runs))

    async def stop(self, report_id: int) -> None:
        """Stop this report's run (a withdrawal): DMs in flight finish and are recorded."""
        run = self.runs.get(report_id)
        if run is not None:
            run.engine.stop()
            await run.wait(self.stop_timeout)

    def forget(self, guild_id: int, user_id: int) -> None:
        """An erased member gets nothing more from the runs in their server. Their rows are gone
        already (nothing settles a deleted row); this closes the window until the next reload."""
        for run in self.runs.values():
            if run.sender.guild.id == guild_id:
                run.sender.forget(user_id)

    async def run(self, context: JobContext) -> None:
        """The handler of a ``report.delivery`` row."""
        report_id = int(context.payload["report_id"])
        if report_id in self.runs:
            return  # already running here (a row scheduled twice): one run is enough
        report = await self.service.get_any(report_id)
        if report is None or report.status != "published":
            return  # withdrawn or deleted meanwhile: nothing left to send
        guild = self.bot.get_guild(report.guild_id)
        if guild is None:
            raise DeliveryStopped(f"report {report_id}: the bot is not in server {report.guild_id}")
        sender = DiscordSender(self.bot, self.service, report, guild)
        engine = DeliveryEngine(self.service, self.engine_options)
        run = self.runs[report_id] = _Run(engine, sender)
        stopping = asyncio.ensure_future(self.bot.scheduler.stopping.wait())
        stopping.add_done_callback(lambda _: engine.stop())
        try:
            await sender.prepare()
            counts = await engine.run(report_id, sender)
        finally:
            stopping.cancel()
            del self.runs[report_id]
            run.ended.set()
        if engine.halted and counts.pending > 0:
            # Stopped half-way: by the bot stopping (the row goes back to the queue at once, for
            # the next leader), or by a withdrawal (the next run finds it withdrawn and ends).
            raise JobDeferred
