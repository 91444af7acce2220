"""The membership cog: who joins (a welcome with the Verify button, or their role back when their
membership is still valid) and what erasing a person's data undoes on Discord."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.services.membership import Erased
from bot.services.personal_data import Erasure
from bot.ui.dm import send_dm
from bot.ui.permissions import role_problems
from bot.ui.text import member_translator, server_translator
from bot.ui.time import timestamp
from cogs.membership._roles import grant_roles_safely, role_problems_for, take_roles
from cogs.membership.embeds import welcome_text
from cogs.membership.views import delete_queue_card, verify_view

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


class Membership(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        bot, guild = self.bot, member.guild
        config = await bot.services.guild_settings.get(guild.id)
        t = await server_translator(bot, guild.id)
        # A member who used the bot before (here or in another server) is welcomed in their language.
        mt = await member_translator(bot, member.id, guild.id)
        memberships = bot.services.memberships
        row = await memberships.get(guild.id, member.id)
        if row is not None and await memberships.still_valid(row):
            problems = await role_problems_for(bot, guild, t, row.member_type)
            if problems:
                log.warning("cannot give member %s their role back in %s: %s", member.id, guild.id, problems)
            else:
                await grant_roles_safely(bot, guild, row)
            assert row.expires_at is not None
            await send_dm(
                bot,
                member,
                mt(
                    "Welcome back to {server}! Your CISIP membership is valid until {date}.",
                    server=guild.name,
                    date=timestamp(row.expires_at, "D"),
                ),
            )
            return
        unverified = guild.get_role(config.role("unverified") or 0)
        if unverified is not None:
            problems = role_problems(t, unverified, guild.me)
            if problems:
                log.warning("cannot give the unverified role in %s: %s", guild.id, problems)
            else:
                try:
                    await member.add_roles(unverified, reason="joined; not verified yet")
                except discord.HTTPException as exc:
                    log.warning("could not give the unverified role in %s: %s", guild.id, exc.status)
        channel_id = config.channel("welcome")
        channel = guild.get_channel(channel_id) if channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.send(welcome_text(t, guild, member), view=verify_view(t, guild.id))
            except discord.HTTPException as exc:
                log.warning("could not welcome in %s: %s", guild.id, exc.status)
        await send_dm(bot, member, welcome_text(mt, guild, member), view=verify_view(mt, guild.id))

    @commands.Cog.listener()
    async def on_personal_data_erased(self, guild: discord.Guild, erasure: Erasure) -> None:
        """A membership erased: its roles go, and its card leaves the staff queue (it shows the name)."""
        erased = erasure.part(Erased)
        if erased is None:
            return
        await take_roles(self.bot, guild, erasure.user_id, "CISIP data erased")
        await delete_queue_card(guild, erased.queue_channel_id, erased.queue_message_id)
        member = guild.get_member(erasure.user_id)
        if member is not None and member.nick == erased.nickname:  # the bot's "Name · Organization"
            try:
                await member.edit(nick=None, reason="CISIP data erased")
            except discord.HTTPException as exc:
                log.info("could not reset the nickname of %s: %s", member.id, exc.status)
