"""The membership year on the scheduler: renewal reminders, expiry, and the daily sweep that makes
sure every active membership has both. The service decides whether a row is still owed."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.scheduler import JobContext
from bot.services.membership import EXPIRY_KIND, REMINDER_KIND, SWEEP_KIND, WELCOME_KIND
from bot.ui.dm import send_dm
from bot.ui.text import member_translator
from bot.ui.time import full_and_relative
from cogs.membership._roles import take_roles
from cogs.membership._welcome import Welcomes
from cogs.membership.embeds import membership_line
from cogs.membership.views import renew_view

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


class MembershipJobs:
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.welcomes = Welcomes(bot)

    async def remind(self, context: JobContext) -> None:
        row = await self.bot.services.memberships.due_reminder(
            int(context.payload["membership_id"]), int(context.payload["cycle"])
        )
        if row is None or row.expires_at is None:
            return
        guild = self.bot.get_guild(row.guild_id)
        if guild is None:
            return
        t = await member_translator(self.bot, row.user_id, guild.id)
        text = t(
            "Your CISIP membership in {server} ends {date}. Press Renew to confirm or update your details.",
            server=guild.name,
            date=full_and_relative(row.expires_at),
        )
        if context.late:
            text += "\n" + t("(This reminder is late: the bot was offline when it was due.)")
        await send_dm(self.bot, row.user_id, text, view=renew_view(t, guild.id))

    async def expire(self, context: JobContext) -> None:
        row = await self.bot.services.memberships.expire(
            int(context.payload["membership_id"]), int(context.payload["cycle"])
        )
        if row is None:
            return
        guild = self.bot.get_guild(row.guild_id)
        if guild is None:
            return
        await take_roles(self.bot, guild, row.user_id, f"CISIP membership #{row.id} expired")
        t = await member_translator(self.bot, row.user_id, guild.id)
        await send_dm(
            self.bot,
            row.user_id,
            t(
                "Your CISIP membership in {server} has ended, so your verified role was removed. "
                "Press Renew to continue your membership.",
                server=guild.name,
            ),
            view=renew_view(t, guild.id),
        )
        await self.bot.audit(guild, guild.me, "members.expire", membership_line(row.user_id, row.id))

    async def sweep(self, context: JobContext) -> None:
        guild_id = context.payload.get("guild_id")
        count = await self.bot.services.memberships.sweep(int(guild_id) if guild_id is not None else None)
        log.info("membership sweep: %d active memberships have their reminders and expiry", count)

    def register(self) -> None:
        # A reminder days late is still worth sending (it says it is late); an expiry is never dropped.
        self.bot.register_job(REMINDER_KIND, self.remind, grace=timedelta(days=3))
        self.bot.register_job(EXPIRY_KIND, self.expire, grace=timedelta(days=3650))
        self.bot.register_job(SWEEP_KIND, self.sweep)
        # A welcome days late still carries the Verify button newcomers need.
        self.bot.register_job(WELCOME_KIND, self.welcomes.welcome, grace=timedelta(days=7))

    def unregister(self) -> None:
        for kind in (REMINDER_KIND, EXPIRY_KIND, SWEEP_KIND, WELCOME_KIND):
            self.bot.unregister_job(kind)
