"""Posting calendar occurrences: the scheduled delivery, the missed handler, and the post itself
(which /calendar run-now and preview share)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.errors import DomainError
from bot.i18n import Message, _
from bot.scheduler import JobContext, JobFailed
from bot.services.calendar import CalendarService, Delivery
from bot.ui.limits import CONTENT, fit
from bot.ui.permissions import check_channel, ping_mentions
from bot.ui.text import Translate, render_template, server_translator
from bot.ui.time import timestamp

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


def occurrence_nonce(job_id: int) -> str:
    """One nonce per scheduled occurrence (Discord allows 25 characters)."""
    return f"cisip-cal-{job_id}"


def compose(t: Translate, delivery: Delivery, role_id: int | None, late_since: datetime | None = None) -> str:
    """The text of a post: the role's ping, the message filled in, and a note when it is late.

    ``t`` translates a built-in cycle's message and the note (the server's language in a channel).
    The whole fits Discord's 2,000 characters: a message of 1,800 filled in with long values
    (``{server}`` many times) is cut, never the ping or the note.
    """
    text = (
        t(delivery.template, **delivery.values)
        if delivery.translate
        else render_template(delivery.template, delivery.values)
    )
    ping = f"<@&{role_id}> " if role_id else ""
    note = ""
    if late_since is not None:
        note = "\n\n-# " + t(
            "Sent late: this was due {when}, while the bot was offline.", when=timestamp(late_since)
        )
    return ping + fit(text, CONTENT - len(ping) - len(note)) + note


async def post_content(
    bot: CisipBot, guild: discord.Guild, delivery: Delivery, *, late_since: datetime | None = None
) -> tuple[str, discord.Role | None]:
    """What a post of ``delivery`` says, and the role it pings (a role deleted since it was chosen
    pings nobody; the post still goes out). ``/calendar preview`` shows exactly this text."""
    target = delivery.target
    role = guild.get_role(target.role_id) if target.role_id else None
    t = await server_translator(bot, guild.id)
    return compose(t, delivery, role.id if role else None, late_since), role


async def post(
    bot: CisipBot,
    guild: discord.Guild,
    delivery: Delivery,
    *,
    late_since: datetime | None = None,
    nonce: str | None = None,
) -> discord.Message:
    """Post an occurrence; raises DomainError (for people) when the channel is gone or closed."""
    target = delivery.target
    channel = guild.get_channel(target.channel_id) if target.channel_id else None
    if channel is None:
        raise delivery.channel_missing()
    check_channel(channel, guild.me)
    content, role = await post_content(bot, guild, delivery, late_since=late_since)
    assert isinstance(channel, discord.TextChannel | discord.Thread)
    # With a nonce discord.py asks Discord to enforce it: a post repeated after a crash (the
    # scheduler runs a row again when its claimer died) is answered with the first message.
    if nonce is None:
        return await channel.send(content, allowed_mentions=ping_mentions(role))
    return await channel.send(content, allowed_mentions=ping_mentions(role), nonce=nonce)


class CalendarJobs:
    """The handlers of ``calendar.entry`` and ``calendar.builtin`` occurrences."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    @property
    def service(self) -> CalendarService:
        return self.bot.services.calendar

    async def deliver(self, context: JobContext) -> None:
        guild = self.bot.get_guild(int(context.payload["guild_id"]))
        if guild is None:
            log.warning(
                "calendar occurrence #%d: the bot is no longer in server %s",
                context.id,
                context.payload["guild_id"],
            )
            return
        delivery = await self.service.delivery_for(context, guild.name)
        if delivery is None:
            return
        try:
            await post(
                self.bot,
                guild,
                delivery,
                late_since=context.due_at if context.late else None,
                nonce=occurrence_nonce(context.id),
            )
        except DomainError as exc:
            name = Message(delivery.name) if delivery.translate else delivery.name
            await self.bot.audit(
                guild,
                guild.me,
                "calendar.failed",
                Message.of(_("{name}: {reason}"), name=name, reason=Message.of(exc.message, **exc.params)),
            )
            raise JobFailed(str(exc)) from exc
        if delivery.last and delivery.entry_id is not None:
            await self.service.finish(delivery.entry_id)

    async def missed(self, context: JobContext) -> None:
        guild = self.bot.get_guild(int(context.payload["guild_id"]))
        log.warning(
            "calendar occurrence #%d (%s) due at %s was missed", context.id, context.payload, context.due_at
        )
        what = await self.service.occurrence_name(context.payload)
        if guild is not None:
            await self.bot.audit(
                guild,
                guild.me,
                "calendar.missed",
                Message.of(
                    _(
                        "{name} due {when} was not posted: "
                        "the bot was offline for longer than the grace window"
                    ),
                    name=what,
                    when=timestamp(context.due_at),
                ),
            )
