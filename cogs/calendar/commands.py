"""/calendar: parse what staff chose, check what Discord lets the bot do with it, call the calendar
service and show the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_calendar import CalendarEntry
from bot.fields import CALENDAR_NAME, CALENDAR_REFERENCE, DAY, LAST_YEAR, MONTH, TIME_OF_DAY, TIMEZONE
from bot.i18n import Listing, Message, _
from bot.scheduler.recurrence import search_zones
from bot.services.calendar import BUILTINS, CalendarService, Target, entry_schedule
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, is_staff, staff_only
from bot.ui.limits import CONTENT, fit, fit_embed
from bot.ui.permissions import check_channel, check_pingable
from bot.ui.references import Reference
from bot.ui.replies import send_ephemeral
from bot.ui.services import services_of
from bot.ui.text import Translate, translator_for
from bot.ui.time import full_and_relative, timestamp
from cogs.calendar.jobs import post, post_content
from cogs.calendar.views import ConfirmRemove, MessageModal, builtin_line, calendar_embed

if TYPE_CHECKING:
    from bot.client import CisipBot

EXAMPLE_TEMPLATE = _("Happy {year} anniversary, {server}! This is edition {edition}.")
BUILTIN_CHOICES = [app_commands.Choice(name=locale_str(c.label), value=c.key) for c in BUILTINS.values()]
# What /calendar edit changed, for the audit log.
CHANGE_LABELS = {
    "new_name": _("name"),
    "schedule": _("schedule"),
    "channel_id": _("channel"),
    "role_id": _("role"),
    "clear_role": _("no role"),
    "last_year": _("last year"),
    "clear_last_year": _("no last year"),
    "message": _("message"),
}
PUBLIC_DESCRIPTION = _("Show it in the public calendar feed /workshops.ics")
PUBLIC_NOTE = _("It is in the public calendar feed (/workshops.ics).")

# Every option declares the bounds of the field the service cleans it with (bot.fields).
Name = app_commands.Range[str, CALENDAR_NAME.min_length, CALENDAR_NAME.max_length]
Time = app_commands.Range[str, TIME_OF_DAY.min_length, TIME_OF_DAY.max_length]
Zone = app_commands.Range[str, TIMEZONE.min_length, TIMEZONE.max_length]
MonthNumber = app_commands.Range[int, MONTH.min_value, MONTH.max_value]
DayNumber = app_commands.Range[int, DAY.min_value, DAY.max_value]
LastYear = app_commands.Range[int, LAST_YEAR.min_value, LAST_YEAR.max_value]


async def find_entry(interaction: discord.Interaction[Any], typed: str, staff: bool) -> CalendarEntry:
    """The entry the name option names (the service decides; anything else: "No calendar entry
    matches '...'")."""
    assert interaction.guild_id is not None
    return await services_of(interaction.client).calendar.find(interaction.guild_id, typed)


async def suggest_entries(
    interaction: discord.Interaction[Any], typed: str, staff: bool
) -> list[tuple[str, str]]:
    if interaction.guild_id is None:
        return []
    names = await services_of(interaction.client).calendar.names(interaction.guild_id, typed)
    return [(name, name) for name in names]


# An entry of the server, by name; its autocomplete answers staff only.
Entry = app_commands.Transform[
    CalendarEntry, Reference(CALENDAR_REFERENCE, find_entry, suggest_entries, staff_only=True)
]


async def zone_names(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    """IANA zones for staff (every /calendar command is theirs); nothing for anyone else."""
    if not await is_staff(interaction):
        return []
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


def public_note(t: Translate, entry: CalendarEntry, text: str) -> str:
    """``text``, followed for a public entry by the note that it is in the public feed."""
    return fit(f"{text}\n{t(PUBLIC_NOTE)}" if entry.public else text, CONTENT)


def check_target(guild: discord.Guild, target: Target, name: str) -> None:
    """Refuse a target whose channel is gone, or where the bot could not post or ping the role."""
    channel = guild.get_channel(target.channel_id) if target.channel_id else None
    if channel is None:
        raise target.channel_missing(name)
    check_channel(channel, guild.me)
    role = guild.get_role(target.role_id) if target.role_id else None
    if role is not None:
        check_pingable(role, channel, guild.me)


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class CalendarGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="calendar", description=locale_str("The yearly calendar of announcements"))
        self.bot = bot

    @property
    def service(self) -> CalendarService:
        return self.bot.services.calendar

    # -- add ----------------------------------------------------------------------------------

    @app_commands.command(name="add", description=locale_str("Add a yearly announcement"))
    @app_commands.describe(
        name=locale_str("A short name for the announcement"),
        month=locale_str("Month (1-12)"),
        day=locale_str("Day of the month (29 February falls on 28 February in other years)"),
        time=locale_str("Time of day, HH:MM"),
        timezone=locale_str("IANA time zone (default: the server's)"),
        channel=locale_str("Where to post it"),
        role=locale_str("A role to ping (optional)"),
        last_year=locale_str("The last year to post it (optional)"),
        public=locale_str(PUBLIC_DESCRIPTION),
    )
    @app_commands.autocomplete(timezone=zone_names)
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        name: Name,
        month: MonthNumber,
        day: DayNumber,
        time: Time,
        channel: discord.TextChannel,
        timezone: Zone | None = None,
        role: discord.Role | None = None,
        last_year: LastYear | None = None,
        public: bool = False,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        # Everything but the message is checked before the modal opens.
        new = await self.service.check_new(
            guild.id, name=name, month=month, day=day, time=time, timezone=timezone, last_year=last_year
        )
        check_channel(channel, guild.me)
        if role is not None:
            check_pingable(role, channel, guild.me)

        async def save(submit: discord.Interaction[CisipBot], template: str) -> None:
            entry = await self.service.add(
                guild.id,
                name=new.name,
                schedule=new.schedule,
                channel_id=channel.id,
                template=template,
                role_id=role.id if role else None,
                last_year=new.last_year,
                actor_id=submit.user.id,
                public=public,
            )
            await self.bot.audit(
                guild,
                submit.user,
                "calendar.add",
                Message.of(
                    _("{name}: {schedule} → #{channel}"),
                    name=entry.name,
                    schedule=new.schedule.describe(),
                    channel=channel.name,
                ),
            )
            next_at = await self.service.next_at(entry)
            text = t(
                "Added '{name}': {schedule} in {channel}, next {when}.",
                name=entry.name,
                schedule=new.schedule.describe(),
                channel=channel.mention,
                when=full_and_relative(next_at) if next_at else "—",
            )
            await send_ephemeral(submit, public_note(t, entry, text))

        await interaction.response.send_modal(
            MessageModal(t, t("Message for {name}", name=new.name), t(EXAMPLE_TEMPLATE), save)
        )

    # -- list ---------------------------------------------------------------------------------

    @app_commands.command(name="list", description=locale_str("List the calendar with each next occurrence"))
    async def list_(self, interaction: discord.Interaction[CisipBot]) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        entries = await self.service.entries(guild.id)
        builtins = await self.service.builtins(guild.id)
        await send_ephemeral(interaction, embed=calendar_embed(t, guild.name, entries, builtins))

    # -- edit ---------------------------------------------------------------------------------

    @app_commands.command(name="edit", description=locale_str("Change an announcement"))
    @app_commands.describe(
        name=locale_str("The announcement"),
        new_name=locale_str("A new name"),
        month=locale_str("Month (1-12)"),
        day=locale_str("Day of the month (29 February falls on 28 February in other years)"),
        time=locale_str("Time of day, HH:MM"),
        timezone=locale_str("IANA time zone"),
        channel=locale_str("Where to post it"),
        role=locale_str("A role to ping"),
        no_role=locale_str("Stop pinging a role"),
        last_year=locale_str("The last year to post it"),
        no_last_year=locale_str("Post it every year again"),
        message=locale_str("Edit the message too (opens a form)"),
        public=locale_str(PUBLIC_DESCRIPTION),
    )
    @app_commands.autocomplete(timezone=zone_names)
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        name: Entry,
        new_name: Name | None = None,
        month: MonthNumber | None = None,
        day: DayNumber | None = None,
        time: Time | None = None,
        timezone: Zone | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        no_role: bool = False,
        last_year: LastYear | None = None,
        no_last_year: bool = False,
        message: bool = False,
        public: bool | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        entry = name
        # Everything but the message is checked before the form opens.
        plan = await self.service.check_edit(
            guild.id,
            entry,
            new_name=new_name,
            month=month,
            day=day,
            time=time,
            timezone=timezone,
            last_year=last_year,
            clear_last_year=no_last_year,
        )
        target = channel or guild.get_channel(entry.channel_id)
        if channel is not None:
            check_channel(channel, guild.me)
        # The role that will ping (a new one, or the one kept) must be pingable where it will post.
        pinged = role or (None if no_role or entry.role_id is None else guild.get_role(entry.role_id))
        if pinged is not None and target is not None:
            check_pingable(pinged, target, guild.me)
        changes: dict[str, Any] = {
            "new_name": plan.new_name,
            "schedule": plan.schedule,
            "channel_id": channel.id if channel else None,
            "role_id": role.id if role else None,
            "clear_role": no_role,
            "last_year": plan.last_year,
            "clear_last_year": no_last_year,
            "public": public,
        }

        async def save(reply: discord.Interaction[CisipBot], template: str | None) -> None:
            updated = await self.service.edit(guild.id, entry.name, template=template, **changes)
            said = [Message(CHANGE_LABELS[k]) for k, v in changes.items() if v and k != "public"]
            if public is not None:
                said.append(Message(_("public") if public else _("not public")))
            if template is not None:
                said.append(Message(CHANGE_LABELS["message"]))
            await self.bot.audit(
                guild,
                reply.user,
                "calendar.edit",
                Message.of(
                    _("{name}: {changes}"),
                    name=updated.name,
                    changes=Listing.of(said) if said else Message(_("nothing changed")),
                ),
            )
            next_at = await self.service.next_at(updated)
            text = t(
                "Updated '{name}': {schedule}, next {when}.",
                name=updated.name,
                schedule=entry_schedule(updated).describe(),
                when=full_and_relative(next_at) if next_at else t("paused"),
            )
            await send_ephemeral(reply, public_note(t, updated, text))

        if message:
            await interaction.response.send_modal(
                MessageModal(t, t("Message for {name}", name=entry.name), entry.template, save)
            )
        else:
            await save(interaction, None)

    # -- pause, resume, remove ----------------------------------------------------------------

    @app_commands.command(name="pause", description=locale_str("Stop an announcement until resumed"))
    @app_commands.describe(name=locale_str("The announcement"))
    async def pause(self, interaction: discord.Interaction[CisipBot], name: Entry) -> None:
        await self._switch(interaction, name, False)

    @app_commands.command(name="resume", description=locale_str("Resume a paused announcement"))
    @app_commands.describe(name=locale_str("The announcement"))
    async def resume(self, interaction: discord.Interaction[CisipBot], name: Entry) -> None:
        await self._switch(interaction, name, True)

    async def _switch(
        self, interaction: discord.Interaction[CisipBot], entry: CalendarEntry, enabled: bool
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        entry = await self.service.set_enabled(interaction.guild.id, entry.name, enabled)
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "calendar.resume" if enabled else "calendar.pause",
            entry.name,
        )
        if enabled:
            next_at = await self.service.next_at(entry)
            text = t(
                "Resumed '{name}': next {when}.",
                name=entry.name,
                when=full_and_relative(next_at) if next_at else "—",
            )
        else:
            text = t("Paused '{name}': it will not be posted until you resume it.", name=entry.name)
        await send_ephemeral(interaction, text)

    @app_commands.command(name="remove", description=locale_str("Remove an announcement (asks first)"))
    @app_commands.describe(name=locale_str("The announcement"))
    async def remove(self, interaction: discord.Interaction[CisipBot], name: Entry) -> None:
        t = await translator_for(interaction)
        await send_ephemeral(
            interaction,
            t("Remove '{name}' from the calendar? This cannot be undone.", name=name.name),
            view=ConfirmRemove(t, interaction.user.id, name.name),
        )

    # -- preview, run now ---------------------------------------------------------------------
    # Both render the entry's next occurrence (the service's ``next_delivery``) into the post's
    # text (``post_content``): what the preview shows is what run-now posts, character for character.

    @app_commands.command(
        name="preview", description=locale_str("Show privately how an announcement will look")
    )
    @app_commands.describe(name=locale_str("The announcement"))
    async def preview(self, interaction: discord.Interaction[CisipBot], name: Entry) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        delivery = await self.service.next_delivery(name, guild.name)
        content, _role = await post_content(self.bot, guild, delivery)
        header = t(
            "Preview of '{name}' (next {when}) in <#{channel}>:",
            name=name.name,
            when=timestamp(delivery.due_at) if delivery.due_at else "—",
            channel=name.channel_id,
        )
        header = public_note(t, name, header)
        # The post as it will read, whole, in an embed below the note (an embed takes 4,096
        # characters, a post at most 2,000; nobody is pinged from an embed or a private reply).
        embed = discord.Embed(description=content, colour=discord.Colour.blurple())
        await send_ephemeral(interaction, fit(header, CONTENT), embed=fit_embed(embed))

    @app_commands.command(
        name="run-now", description=locale_str("Post an announcement now (the schedule is unchanged)")
    )
    @app_commands.describe(name=locale_str("The announcement"))
    async def run_now(self, interaction: discord.Interaction[CisipBot], name: Entry) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        delivery = await self.service.next_delivery(name, guild.name)
        message = await post(self.bot, guild, delivery)
        await self.bot.audit(guild, interaction.user, "calendar.run-now", name.name)
        await send_ephemeral(
            interaction,
            t("Posted '{name}' in {channel}.", name=name.name, channel=message.channel.mention),  # type: ignore[union-attr]
        )

    # -- built-in cycles ----------------------------------------------------------------------

    @app_commands.command(name="builtin", description=locale_str("Switch a built-in cycle on or off"))
    @app_commands.describe(
        name=locale_str("The built-in cycle"),
        enabled=locale_str("On or off"),
        month=locale_str("Month (1-12)"),
        day=locale_str("Day of the month"),
        time=locale_str("Time of day, HH:MM"),
        timezone=locale_str("IANA time zone (default: the server's)"),
    )
    @app_commands.choices(name=BUILTIN_CHOICES)
    @app_commands.autocomplete(timezone=zone_names)
    async def builtin(
        self,
        interaction: discord.Interaction[CisipBot],
        name: app_commands.Choice[str],
        enabled: bool,
        month: MonthNumber | None = None,
        day: DayNumber | None = None,
        time: Time | None = None,
        timezone: Zone | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        cycle = self.service.builtin_cycle(name.value)
        target = await self.service.builtin_target(guild.id, cycle) if enabled else None
        if target is not None:
            check_target(guild, target, cycle.label)
        view = await self.service.set_builtin(
            guild.id, cycle.key, enabled, month=month, day=day, time=time, timezone=timezone
        )
        await self.bot.audit(
            guild,
            interaction.user,
            "calendar.builtin",
            Message.of(
                _("{cycle} on ({schedule})") if enabled else _("{cycle} off ({schedule})"),
                cycle=Message(cycle.label),
                schedule=view.describe(),
            ),
        )
        await send_ephemeral(interaction, builtin_line(t, view))


class Calendar(commands.Cog):
    """The calendar extension as discord.py sees it; its commands are the /calendar group."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
