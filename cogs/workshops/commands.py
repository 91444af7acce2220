"""/workshop: members list, look up and see theirs; /workshop-admin: staff create and run workshops.
Options are parsed and checked by the workshop service; this module asks Discord what it alone knows
(who is staff, whether a role can be pinged in the workshops channel) and shows the answers.

/workshop-admin is hidden from members by ``STAFF_DEFAULT_PERMISSIONS`` and checked on the bot's
side with ``staff_only()``; the autocompletes of its options answer others with nothing.

Every option declares its bounds from ``bot.fields`` (the command tree checks them before a command
runs); the workshop option is the shared ``Reference`` converter, so a command receives the workshop
itself or the member is told "No workshop matches '...'".
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_workshops import Workshop
from bot.fields import (
    CALL_WEEKS,
    CANCEL_REASON,
    CAPACITY,
    TIMEZONE,
    WORKSHOP_REFERENCE,
    WORKSHOP_REMINDERS,
    WORKSHOP_TIME,
)
from bot.scheduler.recurrence import search_zones, zone
from bot.services.access import ping_refusal
from bot.services.delivery import Outcome
from bot.services.personal_data import Erasure
from bot.services.workshops import (
    DRAFT,
    REGISTERED,
    SCHEDULED,
    WorkshopForm,
    WorkshopsErased,
    no_match,
    not_open,
)
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, is_staff, staff_only
from bot.ui.limits import CONTENT, fit, fit_embed
from bot.ui.permissions import check_pingable, role_facts
from bot.ui.references import Reference
from bot.ui.text import translator_for
from bot.ui.time import full_and_relative, timestamp
from cogs.workshops._announcement import Announcements
from cogs.workshops._notices import send_certificate, tell_cancelled, tell_promoted
from cogs.workshops.checkin import (
    MemberText,
    add_figures,
    here_button,
    member_id,
    member_names,
    registered_autocomplete,
    staff_checked_in_text,
    venue_code_text,
)
from cogs.workshops.feedback import add_previous, feedback_chart, summary_text
from cogs.workshops.views import (
    WorkshopModal,
    announcement_embed,
    announcement_view,
    calendar_feed,
    list_embed,
    mine_line,
)

if TYPE_CHECKING:
    from bot.client import CisipBot


# -- the workshop option and autocomplete ----------------------------------------------------


def choice_label(workshop: Workshop) -> str:
    """How a workshop reads in autocomplete: ``#12 Title (2027-08-20)`` (the converter fits it)."""
    start = workshop.starts_at.astimezone(zone(workshop.timezone))
    return f"#{workshop.id} {workshop.title} ({start:%Y-%m-%d})"


async def find_workshop(interaction: discord.Interaction[CisipBot], typed: str, staff: bool) -> Workshop:
    """What the workshop option names; the service decides (drafts for staff only)."""
    if interaction.guild_id is None:
        raise no_match(typed)
    return await interaction.client.services.workshops.resolve(interaction.guild_id, typed, staff=staff)


async def suggest_workshops(
    interaction: discord.Interaction[CisipBot], typed: str, staff: bool
) -> list[tuple[str, str]]:
    """The workshops the reader may see (the service decides: drafts for staff only)."""
    if interaction.guild_id is None:
        return []
    found = await interaction.client.services.workshops.search(interaction.guild_id, typed, staff=staff)
    return [(choice_label(w), str(w.id)) for w in found]


# Anyone may name a workshop to /workshop info; /workshop-admin's options suggest nothing to others.
WorkshopOption = app_commands.Transform[
    Workshop, Reference(WORKSHOP_REFERENCE, find_workshop, suggest_workshops)
]
StaffWorkshopOption = app_commands.Transform[
    Workshop, Reference(WORKSHOP_REFERENCE, find_workshop, suggest_workshops, staff_only=True)
]
Capacity = app_commands.Range[int, CAPACITY.min_value, CAPACITY.max_value]
CallWeeks = app_commands.Range[int, CALL_WEEKS.min_value, CALL_WEEKS.max_value]
TimeZoneText = app_commands.Range[str, TIMEZONE.min_length, TIMEZONE.max_length]
TimeText = app_commands.Range[str, WORKSHOP_TIME.min_length, WORKSHOP_TIME.max_length]
RemindersText = app_commands.Range[str, WORKSHOP_REMINDERS.min_length, WORKSHOP_REMINDERS.max_length]
ReasonText = app_commands.Range[str, CANCEL_REASON.min_length, CANCEL_REASON.max_length]
MAX_BUTTONS = 25  # a message's buttons: five rows of five
MAX_FILES = 10  # a message's attachments


async def zone_autocomplete(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    if not await is_staff(interaction):
        return []
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


# -- commands ---------------------------------------------------------------------------------


async def check_ping_role(bot: CisipBot, guild: discord.Guild, role: discord.Role) -> None:
    """Refuse a role the announcement could not ping, by the one ping rule: in the workshops
    channel, or, before one is set, with the bot's own permissions in the server."""
    channel_id = (await bot.services.guild_settings.get(guild.id)).channel("workshops")
    channel = guild.get_channel(channel_id) if channel_id else None
    if channel is not None:
        check_pingable(role, channel, guild.me)
        return
    refusal = ping_refusal(
        role_facts(role), may_mention_every_role=guild.me.guild_permissions.mention_everyone, where=guild.name
    )
    if refusal is not None:
        raise refusal


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class WorkshopAdminGroup(app_commands.Group):
    """/workshop-admin: staff create, change, cancel and announce workshops."""

    def __init__(self, bot: CisipBot, announcements: Announcements) -> None:
        super().__init__(name="workshop-admin", description=locale_str("Staff: create and run workshops"))
        self.bot = bot
        self.service = bot.services.workshops
        self.announcements = announcements

    @app_commands.command(name="create", description=locale_str("Staff: create a workshop (a form opens)"))
    @app_commands.describe(
        timezone=locale_str("Time zone of the dates you type (default: the server's)"),
        capacity=locale_str("Number of seats"),
        deadline=locale_str("Registration deadline, e.g. 2027-08-10 18:00 (default: the start)"),
        reminders=locale_str("Reminders before the start, e.g. 7d,1d,1h (default) or none"),
        ping_role=locale_str("A role to ping in the announcement"),
        members_only=locale_str("Only verified members may register (default: yes)"),
        yearly=locale_str("Part of a yearly series: next year's edition is drafted when it ends"),
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def create(
        self,
        interaction: discord.Interaction[CisipBot],
        capacity: Capacity,
        timezone: TimeZoneText | None = None,
        deadline: TimeText | None = None,
        reminders: RemindersText | None = None,
        ping_role: discord.Role | None = None,
        members_only: bool = True,
        yearly: bool = False,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        config = await self.bot.services.guild_settings.get(interaction.guild.id)
        options = self.service.check_options(
            timezone if timezone is not None else config.timezone,
            capacity,
            reminders,
            deadline=deadline,
            ping_role_id=ping_role.id if ping_role else None,
            members_only=members_only,
        )
        if ping_role is not None:
            await check_ping_role(self.bot, interaction.guild, ping_role)

        async def submit(submitted: discord.Interaction[CisipBot], form: WorkshopForm) -> None:
            await self.finish_create(submitted, form, yearly=yearly)

        await interaction.response.send_modal(WorkshopModal(t, options, submit, tz=zone(options.timezone)))

    async def finish_create(
        self, interaction: discord.Interaction[CisipBot], form: WorkshopForm, *, yearly: bool
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        t = await translator_for(interaction)
        workshop = await self.service.create(
            guild.id, interaction.user.id, form, series_name=form.title if yearly else None
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        notes = [t("Workshop #{id} created: {title}.", id=workshop.id, title=workshop.title)]
        for problem in (
            await self.announcements.post(workshop),
            await self.announcements.sync_event(workshop),
        ):
            if problem:
                notes.append(t(problem))
        if yearly:
            notes.append(
                t(
                    "It is part of a yearly series: when it ends, "
                    "next year's edition is drafted for you to confirm."
                )
            )
        await self.bot.audit(guild, interaction.user, "workshop.create", f"#{workshop.id} {workshop.title}")
        await interaction.followup.send(fit("\n".join(notes), CONTENT), ephemeral=True)

    @app_commands.command(name="edit", description=locale_str("Staff: change a workshop (a form opens)"))
    @app_commands.describe(
        workshop=locale_str("The workshop"),
        timezone=locale_str("Time zone of the dates you type (default: the workshop's)"),
        capacity=locale_str("Number of seats"),
        deadline=locale_str("Registration deadline, e.g. 2027-08-10 18:00"),
        reminders=locale_str("Reminders before the start, e.g. 7d,1d,1h or none"),
        ping_role=locale_str("A role to ping in the announcement"),
        members_only=locale_str("Only verified members may register"),
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: StaffWorkshopOption,
        timezone: TimeZoneText | None = None,
        capacity: Capacity | None = None,
        deadline: TimeText | None = None,
        reminders: RemindersText | None = None,
        ping_role: discord.Role | None = None,
        members_only: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        options = self.service.check_edit_options(
            workshop,
            timezone=timezone,
            capacity=capacity,
            reminders=reminders,
            deadline=deadline,
            ping_role_id=ping_role.id if ping_role else None,
            members_only=members_only,
        )
        if ping_role is not None:
            await check_ping_role(self.bot, interaction.guild, ping_role)

        async def submit(submitted: discord.Interaction[CisipBot], form: WorkshopForm) -> None:
            await self.finish_edit(submitted, workshop, form)

        await interaction.response.send_modal(
            WorkshopModal(t, options, submit, tz=zone(options.timezone), workshop=workshop)
        )

    async def finish_edit(
        self, interaction: discord.Interaction[CisipBot], workshop: Workshop, form: WorkshopForm
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        result = await self.service.update(interaction.guild.id, workshop.id, form)
        await interaction.response.defer(ephemeral=True, thinking=True)
        updated = result.workshop
        for user_id in result.promoted:
            await tell_promoted(self.bot, updated, user_id)
        notes = [t("Workshop #{id} updated.", id=updated.id)]
        if updated.status == SCHEDULED:
            await self.announcements.refresh(updated.id, now=True)
            event_problem = await self.announcements.sync_event(updated)
            if event_problem:
                notes.append(t(event_problem))
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.edit", f"#{updated.id} {updated.title}"
        )
        await interaction.followup.send(fit("\n".join(notes), CONTENT), ephemeral=True)

    @app_commands.command(
        name="cancel", description=locale_str("Staff: cancel a workshop and tell its registrants")
    )
    @app_commands.describe(workshop=locale_str("The workshop"), reason=locale_str("Why (shown to members)"))
    async def cancel(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: StaffWorkshopOption,
        reason: ReasonText | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        cancelled, users = await self.service.cancel(interaction.guild.id, workshop.id, reason)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.announcements.refresh(cancelled.id, now=True)
        await self.announcements.cancel_event(cancelled)
        told = 0
        for user_id in users:
            if await tell_cancelled(self.bot, cancelled, user_id) is Outcome.SENT:
                told += 1
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "workshop.cancel",
            f"#{cancelled.id} {cancelled.title}: {cancelled.cancel_reason or '-'}",
        )
        await interaction.followup.send(
            t(
                "Workshop #{id} is cancelled. {told:n} of {count:n} registrants were told by direct message.",
                id=cancelled.id,
                told=told,
                count=len(users),
            ),
            ephemeral=True,
        )

    @app_commands.command(name="attendees", description=locale_str("Staff: the registrants as a CSV file"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    async def attendees(
        self, interaction: discord.Interaction[CisipBot], workshop: StaffWorkshopOption
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        t = await translator_for(interaction)
        found = await self.service.attendee_list(guild.id, workshop.id)
        # Members who never applied are named as the server shows them.
        names = {
            user_id: member.display_name
            for user_id in found.unnamed
            if (member := guild.get_member(user_id)) is not None
        }
        data = found.as_csv(names, await self.bot.services.attendance.attended_days(found.workshop.id))
        await self.bot.audit(
            guild, interaction.user, "workshop.attendees", f"#{found.workshop.id} {found.workshop.title}"
        )
        await interaction.response.send_message(
            fit(
                t(
                    "{count:n} registrations for {title}.",
                    count=len(found.attendees),
                    title=found.workshop.title,
                ),
                CONTENT,
            ),
            file=discord.File(io.BytesIO(data), filename=found.filename),
            ephemeral=True,
        )

    @app_commands.command(name="announce", description=locale_str("Staff: post the announcement again"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    async def announce(
        self, interaction: discord.Interaction[CisipBot], workshop: StaffWorkshopOption
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        if workshop.status != SCHEDULED:
            raise not_open(workshop)
        await interaction.response.defer(ephemeral=True, thinking=True)
        problem = await self.announcements.post(workshop)
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.announce", f"#{workshop.id} {workshop.title}"
        )
        await interaction.followup.send(
            fit(t(problem) if problem else t("Announcement posted."), CONTENT), ephemeral=True
        )

    @app_commands.command(
        name="checkin", description=locale_str("Staff: check a registered member in for today")
    )
    @app_commands.describe(workshop=locale_str("The workshop"), member=locale_str("A registered member"))
    @app_commands.autocomplete(member=registered_autocomplete)
    async def checkin(
        self, interaction: discord.Interaction[CisipBot], workshop: StaffWorkshopOption, member: MemberText
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        user_id = member_id(member)
        result = await self.bot.services.attendance.check_in_by_staff(
            interaction.guild.id, workshop.id, user_id
        )
        name = (await member_names(self.bot, interaction.guild, [user_id])).get(user_id, str(user_id))
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "workshop.checkin",
            f"#{workshop.id} {workshop.title}: <@{user_id}> {result.day.isoformat()}",
        )
        await interaction.response.send_message(
            fit(staff_checked_in_text(t, result, name), CONTENT), ephemeral=True
        )

    @app_commands.command(
        name="checkin-code", description=locale_str("Staff: today's venue code, to show at the venue")
    )
    @app_commands.describe(workshop=locale_str("The workshop"))
    async def checkin_code(
        self, interaction: discord.Interaction[CisipBot], workshop: StaffWorkshopOption
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        venue = await self.bot.services.attendance.venue_code(interaction.guild.id, workshop.id)
        await interaction.response.send_message(fit(venue_code_text(t, venue), CONTENT), ephemeral=True)
        # Check-in is open: the announcement gets its I'm here button.
        await self.announcements.refresh(workshop.id, now=True)
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.checkin-code", f"#{workshop.id} {workshop.title}"
        )

    @app_commands.command(
        name="certificates",
        description=locale_str("Staff: send certificates now, or choose whether they go out at the end"),
    )
    @app_commands.describe(
        workshop=locale_str("The workshop"),
        member=locale_str("Only this attendee (default: every attendee)"),
        at_end=locale_str("Send them by direct message when the workshop ends (default: yes)"),
    )
    @app_commands.autocomplete(member=registered_autocomplete)
    async def certificates(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: StaffWorkshopOption,
        member: MemberText | None = None,
        at_end: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        t = await translator_for(interaction)
        service = self.bot.services.certificates
        user_ids = [member_id(member)] if member is not None else None
        if at_end is not None:
            await service.set_sent_at_end(guild.id, workshop.id, at_end)
            await self.bot.audit(
                guild,
                interaction.user,
                "workshop.certificates",
                f"#{workshop.id} {workshop.title}: at_end={at_end}",
            )
            switched = (
                t(
                    "Certificates of **{title}** will be sent by direct message when it ends.",
                    title=workshop.title,
                )
                if at_end
                else t(
                    "Certificates of **{title}** will not be sent when it ends; "
                    "send them with /workshop-admin certificates.",
                    title=workshop.title,
                )
            )
            if user_ids is None:
                await interaction.response.send_message(fit(switched, CONTENT), ephemeral=True)
                return
        await interaction.response.defer(ephemeral=True, thinking=True)
        attendees = list(await self.bot.services.attendance.attended_days(workshop.id))
        names = await member_names(self.bot, guild, attendees)
        issued = await service.issue(guild.id, workshop.id, user_ids=user_ids, display_names=names)
        if not issued:
            await interaction.followup.send(
                fit(
                    t(
                        "Nobody checked in at **{title}**: there are no certificates to send.",
                        title=workshop.title,
                    ),
                    CONTENT,
                ),
                ephemeral=True,
            )
            return
        sent = closed = 0
        for certificate in issued:
            outcome = await send_certificate(self.bot, certificate)
            if outcome is Outcome.SENT:
                sent += 1
            elif outcome is Outcome.DMS_CLOSED:
                closed += 1
            if outcome in (Outcome.SENT, Outcome.DMS_CLOSED):
                await service.record_delivery(certificate.number, outcome.value)
        await self.bot.audit(
            guild,
            interaction.user,
            "workshop.certificates",
            f"#{workshop.id} {workshop.title}: {len(issued)} sent",
        )
        await interaction.followup.send(
            fit(
                t(
                    "Certificates for **{title}**: {sent:n} of {count:n} sent by direct message; "
                    "{closed:n} with closed DMs (they get theirs with /workshop mine).",
                    title=workshop.title,
                    sent=sent,
                    count=len(issued),
                    closed=closed,
                ),
                CONTENT,
            ),
            ephemeral=True,
        )

    @app_commands.command(
        name="feedback", description=locale_str("Staff: the survey's answers, without names (chart and CSV)")
    )
    @app_commands.describe(workshop=locale_str("The workshop"))
    async def feedback(
        self, interaction: discord.Interaction[CisipBot], workshop: StaffWorkshopOption
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        summary = await self.bot.services.feedback.summary(interaction.guild.id, workshop.id)
        if not summary.invited:
            await interaction.response.send_message(
                fit(
                    t(
                        "No survey was sent for **{title}** yet: "
                        "it goes to attendees when the workshop ends.",
                        title=workshop.title,
                    ),
                    CONTENT,
                ),
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        chart = await asyncio.to_thread(feedback_chart, t, summary)
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.feedback", f"#{workshop.id} {workshop.title}"
        )
        await interaction.followup.send(
            fit(summary_text(t, summary), CONTENT),
            files=[
                discord.File(io.BytesIO(chart), filename=f"workshop-{workshop.id}-feedback.png"),
                discord.File(io.BytesIO(summary.as_csv()), filename=summary.filename),
            ],
            ephemeral=True,
        )

    @app_commands.command(
        name="confirm", description=locale_str("Staff: confirm next year's drafted edition of a series")
    )
    @app_commands.describe(
        workshop=locale_str("The drafted workshop"),
        call_weeks=locale_str("Weeks before the start to announce the call for participants (default 8)"),
    )
    async def confirm(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: StaffWorkshopOption,
        call_weeks: CallWeeks | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        confirmed, call_at = await self.service.confirm(
            interaction.guild.id, workshop.id, call_weeks=call_weeks
        )
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.confirm", f"#{confirmed.id} {confirmed.title}"
        )
        await interaction.response.send_message(
            t(
                "Workshop #{id} is confirmed for {start}; the call for participants goes out {call}.",
                id=confirmed.id,
                start=timestamp(confirmed.starts_at),
                call=full_and_relative(call_at),
            ),
            ephemeral=True,
        )


@app_commands.guild_only()
class WorkshopGroup(app_commands.Group):
    """/workshop: what members see and do."""

    def __init__(self, bot: CisipBot) -> None:
        super().__init__(
            name="workshop", description=locale_str("Workshops: see what is planned and your registrations")
        )
        self.service = bot.services.workshops

    @app_commands.command(name="list", description=locale_str("Upcoming workshops"))
    async def list_(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.service.upcoming(interaction.guild.id)
        if not found:
            await interaction.response.send_message(t("No workshops are planned yet."), ephemeral=True)
            return
        rows = [(workshop, await self.service.seats(workshop.id)) for workshop in found[:10]]
        await interaction.response.send_message(embed=list_embed(t, rows), ephemeral=True)

    @app_commands.command(name="info", description=locale_str("One workshop in detail"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    async def info(self, interaction: discord.Interaction[CisipBot], workshop: WorkshopOption) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        # The workshop as the reader may see it (a draft for staff only): the converter asked the service.
        embed = announcement_embed(t, workshop, await self.service.seats(workshop.id))
        attendance = interaction.client.services.attendance
        if await is_staff(interaction):
            if workshop.status != DRAFT:
                add_figures(t, embed, await attendance.figures(workshop))
            previous = await interaction.client.services.feedback.previous_edition(workshop)
            if previous is not None:
                last, survey = previous
                add_previous(t, embed, last, (await attendance.figures(last)).edition, survey)
            embed = fit_embed(embed)
        feed = calendar_feed(interaction.client.settings, workshop.id)
        view = announcement_view(t, workshop, here=attendance.is_open(workshop), feed=feed)
        await interaction.response.send_message(
            embed=embed, view=view or discord.utils.MISSING, ephemeral=True
        )

    @app_commands.command(name="mine", description=locale_str("The workshops you registered for"))
    async def mine(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.service.mine(interaction.guild.id, interaction.user.id)
        services = interaction.client.services
        certificates = (await services.certificates.of_member(interaction.guild.id, interaction.user.id))[
            :MAX_FILES
        ]
        if not found and not certificates:
            await interaction.response.send_message(
                t("You are not registered for any upcoming workshop."), ephemeral=True
            )
            return
        lines = [mine_line(t, workshop, status, position) for workshop, status, position in found]
        if not found:
            lines.append(t("You are not registered for any upcoming workshop."))
        seated = [workshop for workshop, status, _position in found if status == REGISTERED][:MAX_BUTTONS]
        view = discord.ui.View(timeout=None) if seated else discord.utils.MISSING
        for workshop in seated:
            view.add_item(here_button(t, workshop, numbered=True))
        if not certificates:
            await interaction.response.send_message(fit("\n".join(lines), CONTENT), view=view, ephemeral=True)
            return
        # PDFs take a moment to draw: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines.append(t("Your certificates of completion:"))
        files = []
        for certificate in certificates:
            lines.append(
                t(
                    "• **{title}**: number {number}",
                    title=certificate.workshop.title,
                    number=certificate.number,
                )
            )
            data = await asyncio.to_thread(services.certificates.pdf, certificate)
            files.append(discord.File(io.BytesIO(data), filename=certificate.filename))
        await interaction.followup.send(
            fit("\n".join(lines), CONTENT), view=view, files=files, ephemeral=True
        )


class Workshops(commands.Cog):
    """Keeps the announcements current: after a button press, and after a member's data is erased."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.announcements = Announcements(bot)
        self._refreshes: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        self.bot.services.workshops.watch(self.seats_changed)

    async def cog_unload(self) -> None:
        self.bot.services.workshops.unwatch(self.seats_changed)
        # A coalesced edit still waiting is made now rather than lost at shutdown.
        await self.announcements.flush()

    def seats_changed(self, workshop_id: int) -> None:
        """After a batch of registrations or departures: the announcement shows the new count (its
        edits are coalesced, one every few seconds)."""
        task = asyncio.create_task(self.announcements.refresh(workshop_id))
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    @commands.Cog.listener()
    async def on_personal_data_erased(self, guild: discord.Guild, erasure: Erasure) -> None:
        """An erased member's seat went to the next on the waitlist: tell them, show the new count."""
        erased = erasure.part(WorkshopsErased)
        if erased is None:
            return
        service = self.bot.services.workshops
        for workshop_id in sorted({*erased.changed, *erased.promoted}):
            promoted = erased.promoted.get(workshop_id, [])
            if promoted:
                workshop = await service.get(guild.id, workshop_id)
                for user_id in promoted:
                    await tell_promoted(self.bot, workshop, user_id)
            await self.announcements.refresh(workshop_id)
