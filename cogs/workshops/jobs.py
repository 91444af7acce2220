"""Scheduled workshop work: reminders, the end of an edition (and next year's draft), and the call
for participants. The service says what is owed; these handlers send it and record it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.i18n import Message, _
from bot.scheduler import JobContext
from bot.services.delivery import Outcome
from bot.services.workshops import CHANNEL_POST, SENT
from bot.ui.limits import CONTENT, fit
from bot.ui.text import server_translator
from bot.ui.time import timestamp
from cogs.workshops._announcement import Announcements
from cogs.workshops._notices import remind, reminder_text, send_certificate
from cogs.workshops.checkin import member_names
from cogs.workshops.feedback import send_invitation

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

RECORDED = (Outcome.SENT, Outcome.DMS_CLOSED)  # closed DMs are recorded, never retried


class WorkshopJobs:
    def __init__(self, bot: CisipBot, announcements: Announcements) -> None:
        self.bot = bot
        self.service = bot.services.workshops
        self.announcements = announcements

    async def on_reminder(self, context: JobContext) -> None:
        payload = context.payload
        token = str(payload["offset"])
        owed = await self.service.reminder(int(payload["workshop_id"]), token, str(payload["starts_at"]))
        if owed is None:
            return
        workshop = owed.workshop
        failed = 0
        for user_id in owed.targets:
            if not await self.service.holds_seat(workshop.id, user_id):
                continue  # left or erased their data since the run began
            outcome = await remind(self.bot, workshop, token, user_id, late=context.late)
            if outcome not in RECORDED:
                failed += 1
                continue  # a transient failure: retried with the job, others are not sent twice
            await self.service.record_delivery(workshop.id, token, user_id, outcome.value, late=context.late)
        if owed.channel_due and workshop.channel_id is not None:
            channel = self.bot.get_channel(workshop.channel_id)
            if isinstance(channel, discord.TextChannel):
                t = await server_translator(self.bot, workshop.guild_id)
                post = fit(reminder_text(t, workshop, late=context.late, in_channel=True), CONTENT)
                if await self.service.record_delivery(
                    workshop.id, token, CHANNEL_POST, SENT, late=context.late
                ):
                    try:
                        await channel.send(post)
                    except discord.HTTPException as exc:
                        log.warning("could not post the reminder of workshop %s: %s", workshop.id, exc)
        if failed:
            raise RuntimeError(f"{failed} reminder DMs failed; they are retried")

    async def on_checkin(self, context: JobContext) -> None:
        """Check-in opens: the announcement shows I'm here from now to the end."""
        payload = context.payload
        workshop = await self.service.still_due(int(payload["workshop_id"]), str(payload["starts_at"]))
        if workshop is not None:
            await self.announcements.edit(workshop.id)

    async def on_ended(self, context: JobContext) -> None:
        workshop_id, starts_at = int(context.payload["workshop_id"]), str(context.payload["starts_at"])
        result = await self.service.end(workshop_id, starts_at)
        # Asked on every run (a dedupe key keeps it once): a run stopped after the end was recorded
        # still schedules the certificates.
        await self.bot.services.certificates.after_end(workshop_id, starts_at)
        await self.bot.services.feedback.after_end(workshop_id, starts_at)
        if result is None:
            return
        ended, draft = result
        await self.announcements.edit(ended.id)
        if draft is None:
            return
        guild = self.bot.get_guild(draft.guild_id)
        summary = Message.of(
            _(
                "Next year's edition of **{title}** is drafted as workshop #{id} for {start}. "
                "Check it with /workshop-admin edit, then confirm it with /workshop-admin confirm."
            ),
            title=draft.title,
            id=draft.id,
            start=timestamp(draft.starts_at),
        )
        figures = (await self.bot.services.attendance.figures(ended)).edition
        note = Message.of(
            _(
                "{draft}\nThis year's edition (#{id}): registered {registered:n}, waitlisted {waitlisted:n}, "
                "attended {attended:n}, no-shows {no_show:n}. Its feedback ratings appear on the draft's "
                "/workshop info as attendees answer."
            ),
            draft=summary,
            id=ended.id,
            registered=figures.registered,
            waitlisted=figures.waitlisted,
            attended=figures.attended,
            no_show=figures.no_show,
        )
        # The bot drafted it itself: it is the actor (no actor means "someone whose data was erased").
        await self.bot.audit(guild, guild.me if guild else None, "workshop.draft", note)

    async def on_call(self, context: JobContext) -> None:
        workshop = await self.service.call_due(int(context.payload["workshop_id"]))
        if workshop is None:
            return
        await self.announcements.post(workshop)
        await self.announcements.sync_event(workshop)

    async def on_certificates(self, context: JobContext) -> None:
        """Each attendee's certificate by DM, once: issued (numbers kept), then sent to those not
        yet sent to; closed DMs are recorded (the member gets it with /workshop mine), other
        failures retried with the job."""
        workshop_id = int(context.payload["workshop_id"])
        certificates = self.bot.services.certificates
        if not await certificates.sent_at_end(workshop_id):
            log.info("workshop %s: certificates are not sent at the end (staff switched it off)", workshop_id)
            return
        attendees = list(await self.bot.services.attendance.attended_days(workshop_id))
        workshop = await self.service.get(None, workshop_id)
        guild = self.bot.get_guild(workshop.guild_id)
        names = await member_names(self.bot, guild, attendees) if guild is not None else {}
        await certificates.issue(None, workshop_id, display_names=names)
        failed = 0
        for certificate in await certificates.undelivered(workshop_id):
            outcome = await send_certificate(self.bot, certificate)
            if outcome not in RECORDED:
                failed += 1
                continue
            await certificates.record_delivery(certificate.number, outcome.value)
        if failed:
            raise RuntimeError(f"{failed} certificate DMs failed; they are retried")

    async def on_feedback(self, context: JobContext) -> None:
        await self._survey(int(context.payload["workshop_id"]), reminder=False)

    async def on_feedback_reminder(self, context: JobContext) -> None:
        await self._survey(int(context.payload["workshop_id"]), reminder=True)

    async def _survey(self, workshop_id: int, *, reminder: bool) -> None:
        """The survey's invitations (at the end) or its one reminder (three days later, to those
        who have not answered), each DM recorded so that it is sent once."""
        feedback = self.bot.services.feedback
        if reminder:
            workshop, owed = await feedback.to_remind(workshop_id)
        else:
            workshop, owed = await feedback.to_invite(workshop_id)
        failed = 0
        for user_id in owed:
            if not await feedback.still_owed(workshop_id, user_id, reminder=reminder):
                continue  # answered, or erased their data, since the run began
            outcome = await send_invitation(self.bot, workshop, user_id, reminder=reminder)
            if outcome not in RECORDED:
                failed += 1
                continue
            await feedback.record(workshop_id, user_id, outcome.value, reminder=reminder)
        if failed:
            raise RuntimeError(f"{failed} feedback DMs failed; they are retried")
