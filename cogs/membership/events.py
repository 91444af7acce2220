"""The membership cog: who joins (their welcome is scheduled work, sent by ``_welcome``) and what
erasing a person's data undoes on Discord."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.services.membership import Erased
from bot.services.personal_data import Erasure
from cogs.membership._roles import take_roles
from cogs.membership.views import delete_queue_card

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


class Membership(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Written down at once as a welcome to send (the scheduler sends it, see ``_welcome``):
        a join flood costs one quick write per batch of joins here, nothing is dropped, and a
        second bot process that sees the same join adds nothing."""
        if member.bot:
            return
        joined = member.joined_at or self.bot.clock.now()
        await self.bot.services.memberships.welcome_later(member.guild.id, member.id, joined)

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
