"""Workshops: staff create and run them; members register with persistent buttons.

Staff subcommands share the ``/workshop`` group with the members' ``list``, ``info`` and ``mine``,
so the group cannot hide itself with ``default_permissions``: each staff subcommand is checked
on the bot's side with ``staff_only()``.

The announcement is edited as seats change, but at most once per ``edit_interval`` seconds per
message: edits asked for in between are coalesced into one edit at the end of the interval.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.i18n import Message, _
from bot.scheduler import JobContext
from bot.scheduler.recurrence import search_zones, zone
from bot.services.dates import local_input
from bot.services.workshops import (
    CALL_JOB,
    CANCELLED,
    CHANNEL_POST,
    DMS_CLOSED,
    DRAFT,
    ENDED_JOB,
    REGISTERED,
    REMINDER_JOB,
    SENT,
    Seats,
    WorkshopForm,
    check_capacity,
    not_open,
    parse_reminders,
)
from bot.ui.checks import is_staff, staff_only
from bot.ui.text import Translate, member_translator, server_translator, translator_for
from bot.ui.time import full_and_relative, timestamp
from bot.ui.views import BotModal, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

DMS_CLOSED_CODE = 50007
NO_EVENT_PERMISSION = Message.of(
    _("No Discord event was created: I need the Manage Events permission. The workshop works without it.")
)


def cog_of(bot: CisipBot) -> Workshops:
    cog = bot.get_cog("Workshops")
    assert isinstance(cog, Workshops)
    return cog


# -- rendering --------------------------------------------------------------------------------


def announcement_embed(t: Translate, workshop: Workshop, seats: Seats) -> discord.Embed:
    cancelled = workshop.status == CANCELLED
    title = t("CANCELLED: {title}", title=workshop.title) if cancelled else workshop.title
    embed = discord.Embed(
        title=title[:256],
        description=workshop.description or None,
        colour=discord.Colour.red() if cancelled else discord.Colour.blurple(),
    )
    if cancelled:
        embed.add_field(
            name=t("Cancelled"),
            value=workshop.cancel_reason or t("This workshop will not take place."),
            inline=False,
        )
    embed.add_field(name=t("Starts"), value=full_and_relative(workshop.starts_at), inline=False)
    embed.add_field(name=t("Ends"), value=full_and_relative(workshop.ends_at), inline=False)
    embed.add_field(name=t("Location"), value=workshop.location)
    if seats.waitlisted:
        seats_text = t(
            "{taken:n} / {capacity:n} ({count:n} on the waitlist)",
            taken=seats.taken,
            capacity=seats.capacity,
            count=seats.waitlisted,
        )
    else:
        seats_text = t("{taken:n} / {capacity:n}", taken=seats.taken, capacity=seats.capacity)
    embed.add_field(name=t("Seats"), value=seats_text)
    embed.add_field(name=t("Registration deadline"), value=full_and_relative(workshop.deadline), inline=False)
    if workshop.members_only:
        footer = t("Workshop #{id} · times in your own time zone · verified members only", id=workshop.id)
    else:
        footer = t("Workshop #{id} · times in your own time zone", id=workshop.id)
    embed.set_footer(text=footer)
    return embed


def mine_line(t: Translate, workshop: Workshop, status: str, position: int) -> str:
    """One line of /workshop mine: the workshop, its start, and the member's place."""
    fields = {"id": workshop.id, "title": workshop.title, "start": full_and_relative(workshop.starts_at)}
    if status == REGISTERED:
        return t("• #{id} **{title}**: {start} (registered)", **fields)
    return t("• #{id} **{title}**: {start} (waitlist, number {n:n})", n=position, **fields)


class RegisterButton(
    PersistentButton[int], prefix="workshop:register", style=discord.ButtonStyle.success, label=_("Register")
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        await cog_of(interaction.client).register(interaction, self.key)


class LeaveButton(PersistentButton[int], prefix="workshop:leave", label=_("Leave")):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        await cog_of(interaction.client).leave(interaction, self.key)


def announcement_view(t: Translate, workshop: Workshop) -> discord.ui.View | None:
    if workshop.status != "scheduled":
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(RegisterButton(workshop.id, t("Register")))
    view.add_item(LeaveButton(workshop.id, t("Leave")))
    return view


# -- the modal --------------------------------------------------------------------------------


class WorkshopModal(BotModal):
    def __init__(
        self,
        t: Translate,
        options: dict[str, Any],
        *,
        workshop: Workshop | None = None,
        tz: ZoneInfo,
        yearly: bool = False,
    ) -> None:
        super().__init__(title=t("Edit workshop") if workshop else t("New workshop"), timeout=900)
        self.options = options
        self.workshop = workshop
        self.yearly = yearly
        self.title_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="title", label=t("Title"), max_length=100, default=workshop.title if workshop else None
        )
        self.starts_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="starts",
            label=t("Starts (e.g. 2027-08-20 09:00)"),
            max_length=40,
            default=local_input(workshop.starts_at, tz) if workshop else None,
        )
        self.ends_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="ends",
            label=t("Ends (e.g. 20 Aug 2027 5pm)"),
            max_length=40,
            default=local_input(workshop.ends_at, tz) if workshop else None,
        )
        self.location_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="location",
            label=t("Location"),
            max_length=100,
            default=workshop.location if workshop else None,
        )
        self.description_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="description",
            label=t("Description"),
            style=discord.TextStyle.paragraph,
            max_length=1000,
            required=False,
            default=workshop.description if workshop else None,
        )
        for item in (
            self.title_input,
            self.starts_input,
            self.ends_input,
            self.location_input,
            self.description_input,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        form = WorkshopForm(
            title=self.title_input.value,
            starts=self.starts_input.value,
            ends=self.ends_input.value,
            location=self.location_input.value,
            description=self.description_input.value or "",
            **self.options,
        )
        cog = cog_of(interaction.client)
        if self.workshop is None:
            await cog.finish_create(interaction, form, yearly=self.yearly)
        else:
            await cog.finish_edit(interaction, self.workshop, form)


# -- commands ---------------------------------------------------------------------------------


async def workshop_autocomplete(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    staff = await is_staff(interaction)  # drafts are offered to staff only
    found = await cog_of(interaction.client).service.search(
        interaction.guild_id, current, include_drafts=staff
    )
    return [
        app_commands.Choice(
            name=f"#{w.id} {w.title} ({w.starts_at.astimezone(ZoneInfo(w.timezone)):%Y-%m-%d})"[:100],
            value=str(w.id),
        )
        for w in found
    ]


async def zone_autocomplete(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


def workshop_id_of(value: str) -> int:
    cleaned = value.strip().lstrip("#").split(" ", 1)[0]
    if not cleaned.isdigit():
        raise DomainError(
            _("Pick a workshop from the list (or give its number), not '{value}'."), value=value[:60]
        )
    return int(cleaned)


@app_commands.guild_only()
class WorkshopGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(
            name="workshop", description=locale_str("Workshops: register, see yours, and (staff) run them")
        )
        self.bot = bot

    @property
    def cog(self) -> Workshops:
        return cog_of(self.bot)

    # -- staff --

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
    @staff_only()
    async def create(
        self,
        interaction: discord.Interaction[CisipBot],
        capacity: int,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        deadline: app_commands.Range[str, 1, 40] | None = None,
        reminders: app_commands.Range[str, 0, 100] | None = None,
        ping_role: discord.Role | None = None,
        members_only: bool = True,
        yearly: bool = False,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        config = await self.bot.services.guild_settings.get(interaction.guild.id)
        options = self.cog.check_options(
            interaction.guild, timezone or config.timezone, capacity, reminders, ping_role
        )
        options.update(deadline=deadline, members_only=members_only)
        await interaction.response.send_modal(
            WorkshopModal(t, options, tz=zone(options["timezone"]), yearly=yearly)
        )

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
    @app_commands.autocomplete(workshop=workshop_autocomplete, timezone=zone_autocomplete)
    @staff_only()
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: str,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        capacity: int | None = None,
        deadline: app_commands.Range[str, 1, 40] | None = None,
        reminders: app_commands.Range[str, 0, 100] | None = None,
        ping_role: discord.Role | None = None,
        members_only: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        current = await self.cog.service.get(interaction.guild.id, workshop_id_of(workshop))
        tz_name = timezone or current.timezone
        options = self.cog.check_options(
            interaction.guild,
            tz_name,
            capacity if capacity is not None else current.capacity,
            reminders if reminders is not None else current.reminders,
            ping_role,
        )
        if ping_role is None:
            options["ping_role_id"] = current.ping_role_id
        tz = zone(tz_name)
        options.update(
            deadline=deadline or local_input(current.deadline, tz),
            members_only=current.members_only if members_only is None else members_only,
        )
        await interaction.response.send_modal(WorkshopModal(t, options, workshop=current, tz=tz))

    @app_commands.command(
        name="cancel", description=locale_str("Staff: cancel a workshop and tell its registrants")
    )
    @app_commands.describe(workshop=locale_str("The workshop"), reason=locale_str("Why (shown to members)"))
    @app_commands.autocomplete(workshop=workshop_autocomplete)
    @staff_only()
    async def cancel(
        self,
        interaction: discord.Interaction[CisipBot],
        workshop: str,
        reason: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        await self.cog.cancel(interaction, workshop_id_of(workshop), reason)

    @app_commands.command(name="attendees", description=locale_str("Staff: the registrants as a CSV file"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    @app_commands.autocomplete(workshop=workshop_autocomplete)
    @staff_only()
    async def attendees(self, interaction: discord.Interaction[CisipBot], workshop: str) -> None:
        await self.cog.attendees(interaction, workshop_id_of(workshop))

    @app_commands.command(name="announce", description=locale_str("Staff: post the announcement again"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    @app_commands.autocomplete(workshop=workshop_autocomplete)
    @staff_only()
    async def announce(self, interaction: discord.Interaction[CisipBot], workshop: str) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.cog.service.get(interaction.guild.id, workshop_id_of(workshop))
        if found.status != "scheduled":
            raise not_open(found)
        await interaction.response.defer(ephemeral=True, thinking=True)
        problem = await self.cog.post_announcement(found)
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.announce", f"#{found.id} {found.title}"
        )
        await interaction.followup.send(t(problem) if problem else t("Announcement posted."), ephemeral=True)

    @app_commands.command(
        name="confirm", description=locale_str("Staff: confirm next year's drafted edition of a series")
    )
    @app_commands.describe(
        workshop=locale_str("The drafted workshop"),
        call_weeks=locale_str("Weeks before the start to announce the call for participants (default 8)"),
    )
    @app_commands.autocomplete(workshop=workshop_autocomplete)
    @staff_only()
    async def confirm(
        self, interaction: discord.Interaction[CisipBot], workshop: str, call_weeks: int | None = None
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        workshop_id = workshop_id_of(workshop)
        if call_weeks is not None:
            await self.cog.service.set_call_weeks(interaction.guild.id, workshop_id, call_weeks)
        confirmed, call_at = await self.cog.service.confirm(interaction.guild.id, workshop_id)
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

    # -- members --

    @app_commands.command(name="list", description=locale_str("Upcoming workshops"))
    async def list_(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.cog.service.upcoming(interaction.guild.id)
        if not found:
            await interaction.response.send_message(t("No workshops are planned yet."), ephemeral=True)
            return
        embed = discord.Embed(title=t("Upcoming workshops"), colour=discord.Colour.blurple())
        for workshop in found[:10]:
            seats = await self.cog.service.seats(workshop.id)
            embed.add_field(
                name=f"#{workshop.id} {workshop.title}"[:256],
                value=t(
                    "{start} · {location} · seats {taken:n} / {capacity:n}",
                    start=full_and_relative(workshop.starts_at),
                    location=workshop.location,
                    taken=seats.taken,
                    capacity=seats.capacity,
                ),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="info", description=locale_str("One workshop in detail"))
    @app_commands.describe(workshop=locale_str("The workshop"))
    @app_commands.autocomplete(workshop=workshop_autocomplete)
    async def info(self, interaction: discord.Interaction[CisipBot], workshop: str) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.cog.service.get(interaction.guild.id, workshop_id_of(workshop))
        if found.status == DRAFT:
            raise DomainError(_("There is no workshop #{id} in this server."), id=found.id)
        embed = announcement_embed(t, found, await self.cog.service.seats(found.id))
        view = announcement_view(t, found)
        await interaction.response.send_message(
            embed=embed, view=view or discord.utils.MISSING, ephemeral=True
        )

    @app_commands.command(name="mine", description=locale_str("The workshops you registered for"))
    async def mine(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        found = await self.cog.service.mine(interaction.guild.id, interaction.user.id)
        if not found:
            await interaction.response.send_message(
                t("You are not registered for any upcoming workshop."), ephemeral=True
            )
            return
        lines = [mine_line(t, workshop, status, position) for workshop, status, position in found]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


class Workshops(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.workshops
        self.edit_interval = 5.0  # seconds between two edits of one announcement
        self._last_edit: dict[int, float] = {}
        self._pending_edit: dict[int, asyncio.Task[None]] = {}

    async def cog_unload(self) -> None:
        # A coalesced edit still waiting is made now rather than lost at shutdown.
        for workshop_id, task in list(self._pending_edit.items()):
            task.cancel()
            try:
                await self._edit_announcement(workshop_id)
            except Exception:
                log.exception("could not flush the announcement edit of workshop %s", workshop_id)

    # -- options and staff flows --------------------------------------------------------------

    def check_options(
        self,
        guild: discord.Guild,
        timezone: str,
        capacity: int,
        reminders: str | None,
        ping_role: discord.Role | None,
    ) -> dict[str, Any]:
        """Check the command's options before the form opens (so a typo does not cost the form)."""
        tz = zone(timezone)
        check_capacity(capacity)
        parse_reminders(reminders)
        if ping_role is not None and (ping_role.is_default() or ping_role.managed):
            raise DomainError(
                _("{role} cannot be pinged for a workshop: choose an ordinary role."), role=ping_role.name
            )
        return {
            "timezone": tz.key,
            "capacity": capacity,
            "reminders": reminders,
            "ping_role_id": ping_role.id if ping_role else None,
        }

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
        for problem in (await self.post_announcement(workshop), await self.sync_event(workshop)):
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
        await interaction.followup.send("\n".join(notes), ephemeral=True)

    async def finish_edit(
        self, interaction: discord.Interaction[CisipBot], workshop: Workshop, form: WorkshopForm
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        result = await self.service.update(interaction.guild.id, workshop.id, form)
        await interaction.response.defer(ephemeral=True, thinking=True)
        updated = result.workshop
        for user_id in result.promoted:
            await self.tell_promoted(updated, user_id)
        notes = [t("Workshop #{id} updated.", id=updated.id)]
        if updated.status == "scheduled":
            await self.refresh_announcement(updated.id, now=True)
            event_problem = await self.sync_event(updated)
            if event_problem:
                notes.append(t(event_problem))
        await self.bot.audit(
            interaction.guild, interaction.user, "workshop.edit", f"#{updated.id} {updated.title}"
        )
        await interaction.followup.send("\n".join(notes), ephemeral=True)

    async def cancel(
        self, interaction: discord.Interaction[CisipBot], workshop_id: int, reason: str | None
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        workshop, users = await self.service.cancel(interaction.guild.id, workshop_id, reason)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.refresh_announcement(workshop.id, now=True)
        await self.cancel_event(workshop)
        told = 0
        for user_id in users:
            if await self.dm(user_id, await self.cancel_text(workshop, user_id)):
                told += 1
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "workshop.cancel",
            f"#{workshop.id} {workshop.title}: {reason or '-'}",
        )
        await interaction.followup.send(
            t(
                "Workshop #{id} is cancelled. {told:n} of {count:n} registrants were told by direct message.",
                id=workshop.id,
                told=told,
                count=len(users),
            ),
            ephemeral=True,
        )

    async def cancel_text(self, workshop: Workshop, user_id: int) -> str:
        """The cancellation DM, in the language the member last used."""
        t = await member_translator(self.bot, user_id, workshop.guild_id)
        text = t(
            "**{title}** ({start}) is cancelled.", title=workshop.title, start=timestamp(workshop.starts_at)
        )
        if workshop.cancel_reason:
            text += "\n" + t("Reason: {reason}", reason=workshop.cancel_reason)
        return text

    async def attendees(self, interaction: discord.Interaction[CisipBot], workshop_id: int) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        t = await translator_for(interaction)
        workshop = await self.service.get(guild.id, workshop_id)
        rows = await self.service.attendees(guild.id, workshop_id)
        records = await self.bot.services.memberships.records(guild.id, [r.user_id for r in rows])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "organization", "country", "registered at", "status"])
        for row in rows:
            member = guild.get_member(row.user_id)
            name, organization, country = records.get(
                row.user_id, (member.display_name if member else str(row.user_id), "", "")
            )
            writer.writerow(
                [
                    _csv_safe(name),
                    _csv_safe(organization),
                    _csv_safe(country),
                    row.registered_at.isoformat(),
                    row.status,
                ]
            )
        data = out.getvalue().encode("utf-8-sig")
        await self.bot.audit(
            guild, interaction.user, "workshop.attendees", f"#{workshop.id} {workshop.title}"
        )
        await interaction.response.send_message(
            t("{count:n} registrations for {title}.", count=len(rows), title=workshop.title),
            file=discord.File(io.BytesIO(data), filename=f"workshop-{workshop.id}-attendees.csv"),
            ephemeral=True,
        )

    # -- members ------------------------------------------------------------------------------

    async def _verified(self, guild: discord.Guild, user: discord.abc.User) -> bool | None:
        role_id = (await self.bot.services.guild_settings.get(guild.id)).role("verified")
        if role_id is None:
            return None
        member = user if isinstance(user, discord.Member) else guild.get_member(user.id)
        return member is not None and any(role.id == role_id for role in member.roles)

    async def register(self, interaction: discord.Interaction[CisipBot], workshop_id: int) -> None:
        t = await translator_for(interaction)
        workshop = await self.service.get(None, workshop_id)
        guild = self.bot.get_guild(workshop.guild_id)
        if guild is None:
            raise DomainError(_("There is no workshop #{id} in this server."), id=workshop_id)
        result = await self.service.register(
            workshop_id, interaction.user.id, verified=await self._verified(guild, interaction.user)
        )
        if result.already:
            message = (
                t("You are already registered for **{title}**.", title=workshop.title)
                if result.status == REGISTERED
                else t(
                    "You are already on the waitlist for **{title}**, number {n:n}.",
                    title=workshop.title,
                    n=result.position,
                )
            )
        elif result.status == REGISTERED:
            message = t(
                "You are registered for **{title}**, {start}. You will get reminders by direct message.",
                title=workshop.title,
                start=full_and_relative(workshop.starts_at),
            )
        else:
            message = t(
                "**{title}** is full: you are number {n:n} on the waitlist. "
                "You will get a direct message if a seat frees up.",
                title=workshop.title,
                n=result.position,
            )
        await interaction.response.send_message(message, ephemeral=True)
        if not result.already:
            await self.refresh_announcement(workshop_id)

    async def leave(self, interaction: discord.Interaction[CisipBot], workshop_id: int) -> None:
        t = await translator_for(interaction)
        result = await self.service.leave(workshop_id, interaction.user.id)
        await interaction.response.send_message(
            t("You left **{title}**.", title=result.workshop.title)
            if result.previous == REGISTERED
            else t("You left the waitlist of **{title}**.", title=result.workshop.title),
            ephemeral=True,
        )
        for user_id in result.promoted:
            await self.tell_promoted(result.workshop, user_id)
        await self.refresh_announcement(workshop_id)

    async def tell_promoted(self, workshop: Workshop, user_id: int) -> None:
        t = await member_translator(self.bot, user_id, workshop.guild_id)
        await self.dm(
            user_id,
            t(
                "Good news: a seat freed up and you are now registered for **{title}**, {start}.",
                title=workshop.title,
                start=full_and_relative(workshop.starts_at),
            ),
        )

    async def dm(self, user_id: int, text: str, *, nonce: str | None = None) -> bool | None:
        """A direct message: True sent, None DMs closed (not retried), False another failure.

        With ``nonce`` Discord answers a repeated send with the first message, so a reminder run
        again after a crash (before its delivery was recorded) is not received twice.
        """
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            if nonce is None:
                await user.send(text, allowed_mentions=discord.AllowedMentions.none())
            else:
                await user.send(text, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce)
        except discord.Forbidden as exc:
            if exc.code == DMS_CLOSED_CODE:
                log.info("user %s does not accept direct messages", user_id)
            else:
                log.warning("could not DM %s: %s", user_id, exc)
            return None
        except discord.HTTPException as exc:
            log.warning("could not DM %s: %s", user_id, exc)
            return False
        return True

    # -- the announcement ---------------------------------------------------------------------

    async def post_announcement(self, workshop: Workshop) -> Message | None:
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
                    "set one with /setup channel, then use /workshop announce."
                )
            )
        role = guild.get_role(workshop.ping_role_id) if workshop.ping_role_id else None
        seats = await self.service.seats(workshop.id)
        view = announcement_view(t, workshop)
        try:
            message = await channel.send(
                role.mention if role else None,
                embed=announcement_embed(t, workshop, seats),
                view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, users=False, roles=[role] if role else False
                ),
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
        return None

    async def refresh_announcement(self, workshop_id: int, *, now: bool = False) -> None:
        """Edit the announcement at most once per ``edit_interval``; edits asked for meanwhile
        become one edit at the end of the interval."""
        if workshop_id in self._pending_edit:
            return  # an edit is already planned: it will read the newest state
        loop = asyncio.get_running_loop()
        wait = 0.0 if now else self._last_edit.get(workshop_id, -1e9) + self.edit_interval - loop.time()
        if wait <= 0:
            await self._edit_announcement(workshop_id)
            return

        async def later() -> None:
            try:
                await asyncio.sleep(wait)
            finally:
                self._pending_edit.pop(workshop_id, None)
            await self._edit_announcement(workshop_id)

        self._pending_edit[workshop_id] = asyncio.create_task(later())

    async def _edit_announcement(self, workshop_id: int) -> None:
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
                embed=announcement_embed(t, workshop, seats), view=announcement_view(t, workshop)
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
            "name": workshop.title[:100],
            "description": (workshop.description or "")[:1000],
            "start_time": workshop.starts_at,
            "end_time": workshop.ends_at,
            "location": workshop.location,
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

    # -- scheduled jobs -----------------------------------------------------------------------

    async def on_reminder(self, context: JobContext) -> None:
        payload = context.payload
        token = str(payload["offset"])
        owed = await self.service.reminder(int(payload["workshop_id"]), token, str(payload["starts_at"]))
        if owed is None:
            log.info("workshop reminder %s skipped: the workshop was cancelled or moved", context.id)
            return
        workshop = owed.workshop
        if self.bot.clock.now() >= workshop.starts_at:
            log.warning(
                "workshop %s reminder %s skipped: the workshop already started (the bot was down)",
                workshop.id,
                token,
            )
            return
        failed = 0
        for user_id in owed.targets:
            t = await member_translator(self.bot, user_id, workshop.guild_id)
            text = reminder_text(t, workshop, late=context.late)
            sent = await self.dm(user_id, text, nonce=reminder_nonce(workshop.id, token, user_id))
            if sent is False:
                failed += 1
                continue  # a transient failure: retried with the job, others are not sent twice
            await self.service.record_delivery(
                workshop.id, token, user_id, SENT if sent else DMS_CLOSED, late=context.late
            )
        if owed.channel_due and workshop.channel_id is not None:
            channel = self.bot.get_channel(workshop.channel_id)
            if isinstance(channel, discord.TextChannel):
                t = await server_translator(self.bot, workshop.guild_id)
                post = reminder_text(t, workshop, late=context.late, in_channel=True)
                if await self.service.record_delivery(
                    workshop.id, token, CHANNEL_POST, SENT, late=context.late
                ):
                    try:
                        await channel.send(post)
                    except discord.HTTPException as exc:
                        log.warning("could not post the reminder of workshop %s: %s", workshop.id, exc)
        if failed:
            raise RuntimeError(f"{failed} reminder DMs failed; they are retried")

    async def on_ended(self, context: JobContext) -> None:
        result = await self.service.end(
            int(context.payload["workshop_id"]), str(context.payload["starts_at"])
        )
        if result is None:
            return
        ended, draft = result
        await self._edit_announcement(ended.id)
        if draft is None:
            return
        guild = self.bot.get_guild(draft.guild_id)
        summary = Message.of(
            _(
                "Next year's edition of **{title}** is drafted as workshop #{id} for {start}. "
                "Check it with /workshop edit, then confirm it with /workshop confirm."
            ),
            title=draft.title,
            id=draft.id,
            start=timestamp(draft.starts_at),
        )
        # The bot drafted it itself: it is the actor (no actor means "someone whose data was erased").
        await self.bot.audit(guild, guild.me if guild else None, "workshop.draft", summary)

    async def on_call(self, context: JobContext) -> None:
        workshop = await self.service.get(None, int(context.payload["workshop_id"]))
        if workshop.status != "scheduled" or self.bot.clock.now() >= workshop.deadline:
            return
        await self.post_announcement(workshop)
        await self.sync_event(workshop)


def reminder_text(t: Translate, workshop: Workshop, *, late: bool, in_channel: bool = False) -> str:
    """A reminder: the DM in the member's language, or the channel post in the server's."""
    fields = {
        "title": workshop.title,
        "start": full_and_relative(workshop.starts_at),
        "location": workshop.location,
    }
    if in_channel:
        text = t(
            "Workshop reminder: **{title}** starts {start} ({location}). "
            "Registered members get a direct message.",
            **fields,
        )
    else:
        text = t("Reminder: **{title}** starts {start} ({location}).", **fields)
    if late:
        text += "\n" + t("(This reminder is late: the bot was offline when it was due.)")
    return text


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running member-typed text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def reminder_nonce(workshop_id: int, offset: str, user_id: int) -> str:
    """One nonce per workshop, reminder offset and member (Discord allows 25 characters)."""
    digest = hashlib.sha256(f"{workshop_id}:{offset}:{user_id}".encode()).hexdigest()
    return f"wr{digest[:23]}"


async def setup(bot: CisipBot) -> None:
    cog = Workshops(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(WorkshopGroup(bot))
    bot.add_dynamic_items(RegisterButton, LeaveButton)
    # Reminders are judged in the handler (late before the start, skipped after), not by grace.
    bot.register_job(REMINDER_JOB, cog.on_reminder, grace=timedelta(days=400))
    bot.register_job(ENDED_JOB, cog.on_ended, grace=timedelta(days=400))
    bot.register_job(CALL_JOB, cog.on_call, grace=timedelta(days=400))


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("workshop")
    bot.remove_dynamic_items(RegisterButton, LeaveButton)
