"""Welcoming newcomers: each join is a scheduled row (``membership.welcome``), so a welcome is never
lost and is sent once; this module sends it.

A join flood (hundreds a second) would overrun a channel's rate limit (a few posts every few
seconds) with one post each, so the welcome channel gets one post for everyone who joined since
the last, paced a second apart, naming them all (the Verify button is the server's, not theirs).
The welcome DM goes one by one, each with a nonce, so a welcome sent again after a crash arrives
once; during a flood (more than ``FLOOD_JOINS`` a minute) the channel post alone welcomes them,
since Discord refuses a bot that opens DMs that fast (and the welcomes would queue behind them).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.i18n import Listing
from bot.scheduler import JobContext
from bot.services.batching import KeyedBatcher
from bot.ui.dm import send_dm
from bot.ui.permissions import role_problems
from bot.ui.text import member_translator, server_translator
from bot.ui.time import timestamp
from cogs.membership._roles import grant_roles_safely, role_problems_for
from cogs.membership.embeds import welcome_text
from cogs.membership.views import verify_view

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

POST_EVERY = 1.0  # seconds between two welcome posts in one channel
MAX_NAMED = 50  # members one post names (Discord allows 2,000 characters)
FLOOD_JOINS = 30  # welcomes a minute above which the channel post alone welcomes newcomers


def welcome_nonce(context: JobContext) -> str:
    """One nonce per join (a member who comes back is welcomed back)."""
    p = context.payload
    key = f"welcome:{p['guild_id']}:{p['user_id']}:{p.get('joined', context.id)}"
    return "w" + hashlib.sha256(key.encode()).hexdigest()[:24]


class Welcomes:
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self._posts: KeyedBatcher[int, discord.Member, bool] = KeyedBatcher(self._post, max_batch=MAX_NAMED)
        self._last_post: dict[int, float] = {}
        self._order = 0
        self._recent: dict[int, deque[float]] = {}  # when each server's last welcomes went out

    async def welcome(self, context: JobContext) -> None:
        """The scheduled welcome of one join."""
        guild = self.bot.get_guild(int(context.payload["guild_id"]))
        member = guild.get_member(int(context.payload["user_id"])) if guild else None
        if guild is None or member is None:
            return  # left again before we got to them
        bot = self.bot
        memberships = bot.services.memberships
        mt = await member_translator(bot, member.id, guild.id)
        row = await memberships.get(guild.id, member.id)
        if row is not None and await memberships.still_valid(row):
            t = await server_translator(bot, guild.id)
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
                nonce=welcome_nonce(context),
            )
            return
        await self._unverified(guild, member)
        self._order += 1
        posted = await self._posts.ask(guild.id, member, order=self._order)
        if posted and self._flooding(guild.id):
            return
        await send_dm(
            bot,
            member,
            welcome_text(mt, guild, member),
            view=verify_view(mt, guild.id),
            nonce=welcome_nonce(context),
        )

    def _flooding(self, guild_id: int) -> bool:
        now = asyncio.get_running_loop().time()
        recent = self._recent.setdefault(guild_id, deque())
        recent.append(now)
        while recent and now - recent[0] > 60:
            recent.popleft()
        flooding = len(recent) > FLOOD_JOINS
        if flooding and len(recent) == FLOOD_JOINS + 1:
            log.warning("join flood in %s: newcomers are welcomed in the channel only, not by DM", guild_id)
        return flooding

    async def _unverified(self, guild: discord.Guild, member: discord.Member) -> None:
        config = await self.bot.services.guild_settings.get(guild.id)
        unverified = guild.get_role(config.role("unverified") or 0)
        if unverified is None or unverified in member.roles:
            return
        t = await server_translator(self.bot, guild.id)
        problems = role_problems(t, unverified, guild.me)
        if problems:
            log.warning("cannot give the unverified role in %s: %s", guild.id, problems)
            return
        try:
            await member.add_roles(unverified, reason="joined; not verified yet")
        except discord.HTTPException as exc:
            log.warning("could not give the unverified role in %s: %s", guild.id, exc.status)

    async def _post(self, guild_id: int, members: Sequence[discord.Member]) -> list[bool]:
        """One post in the welcome channel for everyone who joined since the last one."""
        guild = self.bot.get_guild(guild_id)
        channel_id = (await self.bot.services.guild_settings.get(guild_id)).channel("welcome")
        channel = guild.get_channel(channel_id) if guild and channel_id else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            return [False] * len(members)
        loop = asyncio.get_running_loop()
        wait = self._last_post.get(guild_id, -1e9) + POST_EVERY - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = await server_translator(self.bot, guild_id)
        if len(members) == 1:
            text = welcome_text(t, guild, members[0])
        else:
            text = t(
                "Welcome to {server}, {members}! Press Verify to become a verified CISIP member in a minute.",
                server=guild.name,
                members=Listing.of(member.mention for member in members),
            )
        try:
            await channel.send(text, view=verify_view(t, guild_id))
        except discord.HTTPException as exc:
            # Their welcome rows are retried (with the DMs, which Discord deduplicates by nonce).
            log.warning("could not welcome in %s: %s", guild_id, exc.status)
            raise
        finally:
            self._last_post[guild_id] = loop.time()
        return [True] * len(members)
