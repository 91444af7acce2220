"""/calendar: yearly announcements staff define, the built-in cycles, and their scheduled delivery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.errors import DomainError
from bot.i18n import Listing, Message, _
from bot.scheduler import JobContext, JobFailed
from bot.scheduler.recurrence import search_zones
from bot.services.calendar import (
    BUILTIN_KIND,
    BUILTINS,
    ENTRY_KIND,
    MAX_TEMPLATE,
    PLACEHOLDERS,
    BuiltinView,
    CalendarService,
    Delivery,
    EntryView,
    Schedule,
    check_name,
    check_schedule,
    entry_schedule,
)
from bot.services.guild_settings import CHANNEL_KINDS
from bot.ui.checks import NotStaff, is_staff
from bot.ui.permissions import channel_problem_messages
from bot.ui.text import Translate, render_template, server_translator, translator_for
from bot.ui.time import full_and_relative, timestamp
from bot.ui.views import BotModal, BotView

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

EXAMPLE_TEMPLATE = _("Happy {year} anniversary, {server}! This is edition {edition}.")
BUILTIN_CHOICES = [app_commands.Choice(name=locale_str(c.label), value=c.key) for c in BUILTINS.values()]
MAX_DESCRIPTION = 4000
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


def service_of(bot: CisipBot) -> CalendarService:
    cog = bot.get_cog("Calendar")
    assert isinstance(cog, Calendar)
    return cog.service


async def entry_names(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None or not await is_staff(interaction):
        return []
    names = await service_of(interaction.client).names(interaction.guild_id, current)
    return [app_commands.Choice(name=name, value=name) for name in names]


async def zone_names(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


def mentions_for(role: discord.Role | None) -> discord.AllowedMentions:
    """Nobody, or exactly the entry's role."""
    if role is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False)


def check_channel(channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    # Untranslated problems: the error handler writes the whole refusal in its reader's language.
    problems = channel_problem_messages(channel, me)
    if problems:
        raise DomainError(
            _(
                "I cannot post in {channel}: missing {problems}. "
                "Give me these permissions there and try again."
            ),
            channel=channel.mention,
            problems=Listing.of(problems),
        )


def check_role(role: discord.Role, channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    if role.is_default():
        raise DomainError(_("The calendar never pings @everyone: choose a role."))
    if not role.mentionable and not channel.permissions_for(me).mention_everyone:
        raise DomainError(
            _(
                "I cannot ping {role} in {channel}: make the role mentionable, or give me "
                "Mention @everyone, @here and All Roles there."
            ),
            role=role.mention,
            channel=channel.mention,
        )


def entry_line(t: Translate, view: EntryView) -> str:
    entry = view.entry
    where = f"<#{entry.channel_id}>" + (f" · <@&{entry.role_id}>" if entry.role_id else "")
    if view.next_at is not None:
        state = t("next {when}", when=full_and_relative(view.next_at))
    elif entry.last_year is not None and not entry.enabled:
        state = t("ended (last year {year})", year=entry.last_year)
    else:
        state = "⏸ " + t("paused")
    return f"**{entry.name}** — {t(view.schedule.describe())} → {where} · {state}"


def builtin_line(t: Translate, view: BuiltinView) -> str:
    mark = "✅" if view.enabled else "⏸"
    state = t("next {when}", when=full_and_relative(view.next_at)) if view.next_at else t("off")
    return f"{mark} **{t(view.cycle.label)}** (`{view.cycle.key}`) — {t(view.describe())} · {state}"


class MessageModal(BotModal):
    """The announcement's message; what happens on submit is the caller's ``save``."""

    def __init__(self, t: Translate, title: str, default: str, save: Any) -> None:
        super().__init__(title=title[:45], timeout=900)
        self.save = save
        self.message: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            custom_id="message",
            label=t("Message")[:45],
            style=discord.TextStyle.paragraph,
            default=default,
            max_length=MAX_TEMPLATE,
            placeholder=t("Placeholders: {names}", names=" ".join(f"{{{p}}}" for p in PLACEHOLDERS))[:100],
        )
        self.add_item(self.message)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.save(interaction, self.message.value)


class ConfirmRemove(BotView):
    def __init__(self, t: Translate, cog: Calendar, user_id: int, name: str) -> None:
        super().__init__(timeout=120)
        self.cog, self.user_id, self.name = cog, user_id, name
        self.remove.label = t("Remove")
        self.keep.label = t("Keep it")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.user_id

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def remove(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        entry = await self.cog.service.remove(interaction.guild.id, self.name)
        await self.cog.bot.audit(interaction.guild, interaction.user, "calendar.remove", entry.name)
        self.stop()
        await interaction.response.edit_message(
            content=t("Removed '{name}' from the calendar.", name=entry.name), view=None
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        t = await translator_for(interaction)
        self.stop()
        await interaction.response.edit_message(
            content=t("Nothing removed: '{name}' stays on the calendar.", name=self.name), view=None
        )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class CalendarGroup(app_commands.Group):
    def __init__(self, cog: Calendar) -> None:
        super().__init__(name="calendar", description=locale_str("The yearly calendar of announcements"))
        self.cog = cog

    @property
    def service(self) -> CalendarService:
        return self.cog.service

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if await is_staff(interaction):
            return True
        raise NotStaff()

    async def _schedule(
        self,
        interaction: discord.Interaction[CisipBot],
        month: int,
        day: int,
        time: str,
        timezone: str | None,
    ) -> Schedule:
        assert interaction.guild is not None
        if timezone is None:
            timezone = (await self.cog.bot.services.guild_settings.get(interaction.guild.id)).timezone
        return check_schedule(month, day, time, timezone)

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
    )
    @app_commands.autocomplete(timezone=zone_names)
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        name: app_commands.Range[str, 1, 100],
        month: app_commands.Range[int, 1, 12],
        day: app_commands.Range[int, 1, 31],
        time: app_commands.Range[str, 1, 10],
        channel: discord.TextChannel,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        role: discord.Role | None = None,
        last_year: app_commands.Range[int, 2000, 2200] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        # Everything but the message is checked before the modal opens.
        name = check_name(name)
        schedule = await self._schedule(interaction, month, day, time, timezone)
        check_channel(channel, guild.me)
        if role is not None:
            check_role(role, channel, guild.me)
        if name.lower() in (n.lower() for n in await self.service.names(guild.id, name)):
            raise DomainError(_("There is already a calendar entry called '{name}'."), name=name)
        self.service.check_last_year(schedule, last_year)

        async def save(submit: discord.Interaction[CisipBot], template: str) -> None:
            entry = await self.service.add(
                guild.id,
                name=name,
                schedule=schedule,
                channel_id=channel.id,
                template=template,
                role_id=role.id if role else None,
                last_year=last_year,
                actor_id=submit.user.id,
            )
            await self.cog.bot.audit(
                guild,
                submit.user,
                "calendar.add",
                Message.of(
                    _("{name}: {schedule} → #{channel}"),
                    name=entry.name,
                    schedule=schedule.describe(),
                    channel=channel.name,
                ),
            )
            next_at = await self.service.next_at(entry)
            await submit.response.send_message(
                t(
                    "Added '{name}': {schedule} in {channel}, next {when}.",
                    name=entry.name,
                    schedule=schedule.describe(),
                    channel=channel.mention,
                    when=full_and_relative(next_at) if next_at else "—",
                ),
                ephemeral=True,
            )

        await interaction.response.send_modal(
            MessageModal(t, t("Message for {name}", name=name), t(EXAMPLE_TEMPLATE), save)
        )

    # -- list ---------------------------------------------------------------------------------

    @app_commands.command(name="list", description=locale_str("List the calendar with each next occurrence"))
    async def list_(self, interaction: discord.Interaction[CisipBot]) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        config = await self.cog.bot.services.guild_settings.get(guild.id)
        lines = [entry_line(t, view) for view in await self.service.entries(guild.id)]
        description = t("No announcements yet: add one with /calendar add.")
        if lines:
            description, shown = "", 0
            for line in lines:
                if len(description) + len(line) > MAX_DESCRIPTION - 40:
                    break
                description += line + "\n"
                shown += 1
            if shown < len(lines):
                description += t("…and {count:n} more.", count=len(lines) - shown)
        embed = discord.Embed(
            title=t("Calendar of {server}", server=guild.name),
            description=description,
            colour=discord.Colour.blurple(),
        )
        builtins = await self.service.builtins(guild.id, config.timezone)
        embed.add_field(
            name=t("Built-in cycles"),
            value="\n".join(builtin_line(t, b) for b in builtins)[:1024],
            inline=False,
        )
        embed.set_footer(text=t("Switch a built-in cycle with /calendar builtin."))
        await interaction.response.send_message(embed=embed, ephemeral=True)

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
    )
    @app_commands.autocomplete(name=entry_names, timezone=zone_names)
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        name: app_commands.Range[str, 1, 100],
        new_name: app_commands.Range[str, 1, 100] | None = None,
        month: app_commands.Range[int, 1, 12] | None = None,
        day: app_commands.Range[int, 1, 31] | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        no_role: bool = False,
        last_year: app_commands.Range[int, 2000, 2200] | None = None,
        no_last_year: bool = False,
        message: bool = False,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        entry = await self.service.get(guild.id, name)
        if new_name is not None:
            check_name(new_name)
        schedule = None
        if any(v is not None for v in (month, day, time, timezone)):
            schedule = check_schedule(
                month or entry.month,
                day or entry.day,
                time or f"{entry.hour:02d}:{entry.minute:02d}",
                timezone or entry.timezone,
            )
        target = channel or guild.get_channel(entry.channel_id)
        if channel is not None:
            check_channel(channel, guild.me)
        if role is not None and target is not None:
            check_role(role, target, guild.me)
        changes: dict[str, Any] = {
            "new_name": new_name,
            "schedule": schedule,
            "channel_id": channel.id if channel else None,
            "role_id": role.id if role else None,
            "clear_role": no_role,
            "last_year": last_year,
            "clear_last_year": no_last_year,
        }

        async def save(reply: discord.Interaction[CisipBot], template: str | None) -> None:
            updated = await self.service.edit(guild.id, entry.name, template=template, **changes)
            said = [Message(CHANGE_LABELS[k]) for k, v in changes.items() if v]
            if template is not None:
                said.append(Message(CHANGE_LABELS["message"]))
            await self.cog.bot.audit(
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
            await reply.response.send_message(
                t(
                    "Updated '{name}': {schedule}, next {when}.",
                    name=updated.name,
                    schedule=entry_schedule(updated).describe(),
                    when=full_and_relative(next_at) if next_at else t("paused"),
                ),
                ephemeral=True,
            )

        if message:
            await interaction.response.send_modal(
                MessageModal(t, t("Message for {name}", name=entry.name), entry.template, save)
            )
        else:
            await save(interaction, None)

    # -- pause, resume, remove ----------------------------------------------------------------

    @app_commands.command(name="pause", description=locale_str("Stop an announcement until resumed"))
    @app_commands.describe(name=locale_str("The announcement"))
    @app_commands.autocomplete(name=entry_names)
    async def pause(
        self, interaction: discord.Interaction[CisipBot], name: app_commands.Range[str, 1, 100]
    ) -> None:
        await self._switch(interaction, name, False)

    @app_commands.command(name="resume", description=locale_str("Resume a paused announcement"))
    @app_commands.describe(name=locale_str("The announcement"))
    @app_commands.autocomplete(name=entry_names)
    async def resume(
        self, interaction: discord.Interaction[CisipBot], name: app_commands.Range[str, 1, 100]
    ) -> None:
        await self._switch(interaction, name, True)

    async def _switch(self, interaction: discord.Interaction[CisipBot], name: str, enabled: bool) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        entry = await self.service.set_enabled(interaction.guild.id, name, enabled)
        await self.cog.bot.audit(
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
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="remove", description=locale_str("Remove an announcement (asks first)"))
    @app_commands.describe(name=locale_str("The announcement"))
    @app_commands.autocomplete(name=entry_names)
    async def remove(
        self, interaction: discord.Interaction[CisipBot], name: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        entry = await self.service.get(interaction.guild.id, name)
        await interaction.response.send_message(
            t("Remove '{name}' from the calendar? This cannot be undone.", name=entry.name),
            view=ConfirmRemove(t, self.cog, interaction.user.id, entry.name),
            ephemeral=True,
        )

    # -- preview, run now ---------------------------------------------------------------------

    @app_commands.command(
        name="preview", description=locale_str("Show privately how an announcement will look")
    )
    @app_commands.describe(name=locale_str("The announcement"))
    @app_commands.autocomplete(name=entry_names)
    async def preview(
        self, interaction: discord.Interaction[CisipBot], name: app_commands.Range[str, 1, 100]
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        entry = await self.service.get(guild.id, name)
        when = await self.service.next_at(entry) or self.cog.bot.clock.now()
        delivery = self.service.entry_delivery(entry, when, guild.name)
        content = self.cog.compose(delivery.role_id, render_template(delivery.template, delivery.values))
        await interaction.response.send_message(
            t(
                "Preview of '{name}' (next {when}) in <#{channel}>:",
                name=entry.name,
                when=timestamp(when),
                channel=entry.channel_id,
            )
            + "\n\n"
            + content,
            ephemeral=True,
        )

    @app_commands.command(
        name="run-now", description=locale_str("Post an announcement now (the schedule is unchanged)")
    )
    @app_commands.describe(name=locale_str("The announcement"))
    @app_commands.autocomplete(name=entry_names)
    async def run_now(
        self, interaction: discord.Interaction[CisipBot], name: app_commands.Range[str, 1, 100]
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        entry = await self.service.get(guild.id, name)
        delivery = self.service.entry_delivery(entry, self.cog.bot.clock.now(), guild.name)
        message = await self.cog.post(guild, delivery, late_since=None)
        await self.cog.bot.audit(guild, interaction.user, "calendar.run-now", entry.name)
        await interaction.response.send_message(
            t("Posted '{name}' in {channel}.", name=entry.name, channel=message.channel.mention),  # type: ignore[union-attr]
            ephemeral=True,
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
        month: app_commands.Range[int, 1, 12] | None = None,
        day: app_commands.Range[int, 1, 31] | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        config = await self.cog.bot.services.guild_settings.get(guild.id)
        cycle = self.service.builtin_cycle(name.value)
        if enabled and cycle.channel is not None:
            channel_id = config.channel(cycle.channel)
            channel = guild.get_channel(channel_id) if channel_id else None
            if channel is None:
                raise DomainError(
                    _("Set the {purpose} channel with /setup channel first: this cycle posts there."),
                    purpose=t(CHANNEL_KINDS[cycle.channel]),
                )
            check_channel(channel, guild.me)
            staff = guild.get_role(config.role("staff") or 0)
            if cycle.ping_staff and staff is not None:
                check_role(staff, channel, guild.me)
        view = await self.service.set_builtin(
            guild.id, cycle.key, enabled, config.timezone, month=month, day=day, time=time, timezone=timezone
        )
        await self.cog.bot.audit(
            guild,
            interaction.user,
            "calendar.builtin",
            Message.of(
                _("{cycle} on ({schedule})") if enabled else _("{cycle} off ({schedule})"),
                cycle=Message(cycle.label),
                schedule=view.describe(),
            ),
        )
        await interaction.response.send_message(builtin_line(t, view), ephemeral=True)


class Calendar(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.calendar

    @staticmethod
    def compose(role_id: int | None, text: str) -> str:
        return f"<@&{role_id}> {text}" if role_id else text

    async def post(
        self, guild: discord.Guild, delivery: Delivery, *, late_since: Any, nonce: str | None = None
    ) -> discord.Message:
        """Post an occurrence; raises DomainError (for people) when the channel is gone or closed."""
        t = await server_translator(self.bot, guild.id)
        config = await self.bot.services.guild_settings.get(guild.id)
        channel_id = delivery.channel_id or (
            config.channel(delivery.channel_purpose) if delivery.channel_purpose else None
        )
        channel = guild.get_channel(channel_id) if channel_id else None
        if channel is None and delivery.channel_purpose is not None:
            raise DomainError(
                _("Set the {purpose} channel with /setup channel first: this cycle posts there."),
                purpose=Message(CHANNEL_KINDS[delivery.channel_purpose]),
            )
        if channel is None:
            raise DomainError(
                _("The channel of '{name}' no longer exists: choose another with /calendar edit."),
                name=delivery.name,
            )
        check_channel(channel, guild.me)
        role_id = delivery.role_id or (config.role("staff") if delivery.ping_staff else None)
        role = guild.get_role(role_id) if role_id else None
        text = (
            t(delivery.template, **delivery.values)
            if delivery.translate
            else render_template(delivery.template, delivery.values)
        )
        content = self.compose(role.id if role else None, text)
        if late_since is not None:
            content += "\n\n-# " + t(
                "Sent late: this was due {when}, while the bot was offline.", when=timestamp(late_since)
            )
        assert isinstance(channel, discord.TextChannel | discord.Thread)
        # With a nonce discord.py asks Discord to enforce it: a post repeated after a crash (the
        # scheduler runs a row again when its claimer died) is answered with the first message.
        if nonce is None:
            return await channel.send(content[:2000], allowed_mentions=mentions_for(role))
        return await channel.send(content[:2000], allowed_mentions=mentions_for(role), nonce=nonce)

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
            await self.post(
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


def occurrence_nonce(job_id: int) -> str:
    """One nonce per scheduled occurrence (Discord allows 25 characters)."""
    return f"cisip-cal-{job_id}"


async def setup(bot: CisipBot) -> None:
    cog = Calendar(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(CalendarGroup(cog))
    bot.register_job(ENTRY_KIND, cog.deliver, on_missed=cog.missed)
    bot.register_job(BUILTIN_KIND, cog.deliver, on_missed=cog.missed)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("calendar")
