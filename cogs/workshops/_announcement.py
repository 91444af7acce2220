"""The announcement in the workshops channel and the mirrored Discord scheduled event.

The announcement is edited as seats change, but at most once per ``edit_interval`` seconds per
message: edits asked for in between are coalesced into one edit at the end of the interval.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.i18n import Message, _
from bot.services.access import ping_refusal
from bot.ui.limits import fit
from bot.ui.permissions import ping_mentions, role_facts
from bot.ui.text import server_translator
from cogs.workshops.views import announcement_embed, announcement_view, calendar_feed

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

# A Discord scheduled event's name, description and location (entity_metadata.location).
EVENT_NAME, EVENT_DESCRIPTION, EVENT_LOCATION = 100, 1000, 100

NO_EVENT_PERMISSION = Message.of(
    _("No Discord event was created: I need the Manage Events permission. The workshop works without it.")
)


class Announcements:
    def __init__(self, bot: CisipBot, *, edit_interval: float = 5.0) -> None:
        self.bot = bot
        self.service = bot.services.workshops
        self.edit_interval = edit_interval  # seconds between two edits of one announcement
        self._last_edit: dict[int, float] = {}
        self._pending_edit: dict[int, asyncio.Task[None]] = {}

    async def post(self, workshop: Workshop) -> Message | None:
        """Post (again) in the workshops channel, in the server's language; returns a note for
        staff (to be shown in their language) when it could not."""
        t = await server_translator(self.bot, workshop.guild_id)
        guild = self.bot.get_guild(workshop.guild_id)
        channel_id = (await self.bot.services.guild_settings.get(workshop.guild_id)).channel("workshops")
        channel = guild.get_channel(channel_id) if guild and channel_id else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            return Message.of(
                _(
                    "No workshops channel is set, so nothing was announced: "
                    "set one with /setup channel, then use /workshop-admin announce."
                )
            )
        role = guild.get_role(workshop.ping_role_id) if workshop.ping_role_id else None
        note: Message | None = None
        if role is not None:
            # Checked again where it is posted: the channel or the role may have changed since.
            refusal = ping_refusal(
                role_facts(role),
                may_mention_every_role=channel.permissions_for(guild.me).mention_everyone,
                where=channel.mention,
            )
            if refusal is not None:
                log.warning("workshop %s announced without its ping: %s", workshop.id, refusal)
                note, role = Message.of(refusal.message, **refusal.params), None
        seats = await self.service.seats(workshop.id)
        view = announcement_view(
            t,
            workshop,
            here=self.bot.services.attendance.is_open(workshop),
            feed=calendar_feed(self.bot.settings, workshop.id),
        )
        try:
            message = await channel.send(
                role.mention if role else None,
                embed=announcement_embed(t, workshop, seats),
                view=view or discord.utils.MISSING,
                allowed_mentions=ping_mentions(role),
            )
        except discord.HTTPException as exc:
            log.warning("could not announce workshop %s: %s", workshop.id, exc)
            return Message.of(
                _("I could not post in {channel}: {error}"),
                channel=channel.mention,
                error=exc.text or exc.status,
            )
        await self.service.set_announcement(workshop.id, channel.id, message.id)
        self._last_edit[workshop.id] = asyncio.get_running_loop().time()
        return note

    async def refresh(self, workshop_id: int, *, now: bool = False) -> None:
        """Edit the announcement at most once per ``edit_interval``; edits asked for meanwhile
        become one edit at the end of the interval."""
        if workshop_id in self._pending_edit:
            return  # an edit is already planned: it will read the newest state
        loop = asyncio.get_running_loop()
        wait = 0.0 if now else self._last_edit.get(workshop_id, -1e9) + self.edit_interval - loop.time()
        if wait <= 0:
            await self.edit(workshop_id)
            return

        async def later() -> None:
            try:
                await asyncio.sleep(wait)
            finally:
                self._pending_edit.pop(workshop_id, None)
            await self.edit(workshop_id)

        self._pending_edit[workshop_id] = asyncio.create_task(later())

    async def flush(self) -> None:
        """Make the edits still waiting now rather than lose them (the cog is unloading)."""
        for workshop_id, task in list(self._pending_edit.items()):
            task.cancel()
            try:
                await self.edit(workshop_id)
            except Exception:
                log.exception("could not flush the announcement edit of workshop %s", workshop_id)

    async def edit(self, workshop_id: int) -> None:
        """Show the workshop's current state in its announcement, now."""
        self._last_edit[workshop_id] = asyncio.get_running_loop().time()
        try:
            workshop = await self.service.get(None, workshop_id)
        except DomainError:
            return
        if workshop.channel_id is None or workshop.message_id is None:
            return
        channel = self.bot.get_channel(workshop.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        t = await server_translator(self.bot, workshop.guild_id)
        seats = await self.service.seats(workshop.id)
        try:
            await channel.get_partial_message(workshop.message_id).edit(
                embed=announcement_embed(t, workshop, seats),
                view=announcement_view(
                    t,
                    workshop,
                    here=self.bot.services.attendance.is_open(workshop),
                    feed=calendar_feed(self.bot.settings, workshop.id),
                ),
            )
        except discord.HTTPException as exc:
            log.warning("could not update the announcement of workshop %s: %s", workshop_id, exc)

    # -- the Discord scheduled event ----------------------------------------------------------

    async def sync_event(self, workshop: Workshop) -> Message | None:
        """Create or update the mirrored scheduled event; returns a note for staff when it cannot."""
        guild = self.bot.get_guild(workshop.guild_id)
        if guild is None:
            return None
        perms = guild.me.guild_permissions
        if not (perms.manage_events or perms.create_events):
            return NO_EVENT_PERMISSION
        fields: dict[str, Any] = {
            "name": fit(workshop.title, EVENT_NAME),
            "description": fit(workshop.description or "", EVENT_DESCRIPTION),
            "start_time": workshop.starts_at,
            "end_time": workshop.ends_at,
            "location": fit(workshop.location, EVENT_LOCATION),
            "entity_type": discord.EntityType.external,
            "privacy_level": discord.PrivacyLevel.guild_only,
        }
        try:
            if workshop.event_id is not None:
                event = guild.get_scheduled_event(workshop.event_id) or await guild.fetch_scheduled_event(
                    workshop.event_id
                )
                await event.edit(**fields)
                return None
            event = await guild.create_scheduled_event(**fields)
        except discord.NotFound:
            await self.service.set_event(workshop.id, None)
            return Message.of(_("The Discord event of this workshop was deleted; it was not recreated."))
        except discord.Forbidden:
            return NO_EVENT_PERMISSION
        except discord.HTTPException as exc:
            log.warning("could not mirror workshop %s as an event: %s", workshop.id, exc)
            return Message.of(
                _("The Discord event could not be updated: {error}"), error=exc.text or exc.status
            )
        await self.service.set_event(workshop.id, event.id)
        return None

    async def cancel_event(self, workshop: Workshop) -> None:
        guild = self.bot.get_guild(workshop.guild_id)
        if guild is None or workshop.event_id is None:
            return
        try:
            event = guild.get_scheduled_event(workshop.event_id) or await guild.fetch_scheduled_event(
                workshop.event_id
            )
            await event.cancel()
        except discord.HTTPException as exc:
            log.warning("could not cancel the event of workshop %s: %s", workshop.id, exc)
