"""/setup and /status: parse what staff chose, check what Discord lets the bot do with it, save it
through the guild-settings service, and show the result."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.errors import DomainError
from bot.fields import TIMEZONE
from bot.i18n import DEFAULT_LANGUAGE, Listing, Message, _, available_languages, language_name
from bot.scheduler.recurrence import search_zones
from bot.services import status as status_service
from bot.services.guild_settings import ASSIGNABLE_ROLES, CHANNEL_KINDS, ROLE_KINDS
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, is_staff, staff_only
from bot.ui.permissions import channel_problems, clauses, role_problems
from bot.ui.replies import send_ephemeral
from bot.ui.text import Translate, translator_for
from cogs.admin._visibility import staff_visibility
from cogs.admin.views import settings_embed, status_embed

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

CHANNEL_CHOICES = [
    app_commands.Choice(name=locale_str(label), value=kind) for kind, label in CHANNEL_KINDS.items()
]
ROLE_CHOICES = [app_commands.Choice(name=locale_str(label), value=kind) for kind, label in ROLE_KINDS.items()]
SETTING_CHOICES = [
    *(
        app_commands.Choice(name=locale_str(label), value=f"channel:{kind}")
        for kind, label in CHANNEL_KINDS.items()
    ),
    *(
        app_commands.Choice(name=locale_str(label), value=f"role:{kind}")
        for kind, label in ROLE_KINDS.items()
    ),
]
# The locale codes Discord knows: a catalog named otherwise has no command texts to localize.
LOCALES = {locale.value for locale in discord.Locale}


class LanguageChoice(app_commands.Choice[str]):
    """A language under its own name ("English", "中文 (简体, 中国)") whatever the reader's language,
    as language pickers show them: a reader finds their language even in one they cannot read."""

    def __init__(self, code: str) -> None:
        super().__init__(name=language_name(code), value=code)
        self.name_localizations = {
            discord.Locale(language): self.name
            for language in available_languages()
            if language != DEFAULT_LANGUAGE and language in LOCALES
        }

    async def get_translated_payload(self, translator: app_commands.Translator) -> dict[str, Any]:
        return self.to_dict()

    async def get_translated_payload_for_locale(
        self, translator: app_commands.Translator, locale: discord.Locale
    ) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}


LANGUAGE_CHOICES: list[app_commands.Choice[str]] = [LanguageChoice(code) for code in available_languages()]


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class SetupGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(
            name="setup", description=locale_str("Set up the bot's channels, roles, time zone and language")
        )
        self.bot = bot

    # Handlers answer first and audit after: posting to the audit channel must not eat into
    # Discord's three seconds for the first response.
    async def _show(
        self, interaction: discord.Interaction[CisipBot], t: Translate, note: str | None = None
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        config = await self.bot.services.guild_settings.get(guild.id)
        staff_id = config.role("staff")
        staff = guild.get_role(staff_id) if staff_id else None
        visibility = (
            await staff_visibility(
                self.bot, guild, staff, guild_commands=self.bot.settings.dev_guild_id == guild.id
            )
            if staff is not None
            else None
        )
        await send_ephemeral(interaction, note, embed=settings_embed(t, guild, config, visibility))

    @app_commands.command(
        name="show", description=locale_str("Show the settings and what the bot can do with them")
    )
    async def show(self, interaction: discord.Interaction[CisipBot]) -> None:
        await self._show(interaction, await translator_for(interaction))

    @app_commands.command(name="channel", description=locale_str("Choose the channel for one purpose"))
    @app_commands.describe(purpose=locale_str("What the channel is for"), channel=locale_str("The channel"))
    @app_commands.choices(purpose=CHANNEL_CHOICES)
    async def channel(
        self,
        interaction: discord.Interaction[CisipBot],
        purpose: app_commands.Choice[str],
        channel: discord.TextChannel,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        problems = channel_problems(t, channel, interaction.guild.me)
        if problems:
            raise DomainError(
                _(
                    "I cannot use {channel}: missing {problems}. "
                    "Give me these permissions there and try again."
                ),
                channel=channel.mention,
                problems=Listing.of(problems),
            )
        await self.bot.services.guild_settings.set_channel(interaction.guild.id, purpose.value, channel.id)
        await self._show(
            interaction,
            t,
            t(
                "{purpose} channel set to {channel}.",
                purpose=t(CHANNEL_KINDS[purpose.value]),
                channel=channel.mention,
            ),
        )
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "setup.channel",
            Message.of(
                _("{purpose} = #{channel}"),
                purpose=Message(CHANNEL_KINDS[purpose.value]),
                channel=channel.name,
            ),
        )

    @app_commands.command(name="role", description=locale_str("Choose the role for one purpose"))
    @app_commands.describe(purpose=locale_str("What the role is for"), role=locale_str("The role"))
    @app_commands.choices(purpose=ROLE_CHOICES)
    async def role(
        self,
        interaction: discord.Interaction[CisipBot],
        purpose: app_commands.Choice[str],
        role: discord.Role,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        problems = role_problems(t, role, interaction.guild.me, assignable=purpose.value in ASSIGNABLE_ROLES)
        if problems:
            raise DomainError(
                _("I cannot use {role}: {problems}. Fix this and try again."),
                role=role.mention,
                problems=clauses(problems),
            )
        await self.bot.services.guild_settings.set_role(interaction.guild.id, purpose.value, role.id)
        await self._show(
            interaction,
            t,
            t("{purpose} role set to {role}.", purpose=t(ROLE_KINDS[purpose.value]), role=role.mention),
        )
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "setup.role",
            Message.of(_("{purpose} = @{role}"), purpose=Message(ROLE_KINDS[purpose.value]), role=role.name),
        )

    @app_commands.command(name="timezone", description=locale_str("Set the server's default time zone"))
    @app_commands.describe(zone=locale_str("An IANA time zone such as Asia/Shanghai"))
    async def timezone(
        self,
        interaction: discord.Interaction[CisipBot],
        zone: app_commands.Range[str, TIMEZONE.min_length, TIMEZONE.max_length],
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        config = await self.bot.services.guild_settings.set_timezone(interaction.guild.id, zone)
        await self._show(interaction, t, t("Time zone set to {zone}.", zone=config.timezone))
        await self.bot.audit(interaction.guild, interaction.user, "setup.timezone", config.timezone)

    @timezone.autocomplete("zone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        # Autocomplete runs no checks: a staff command suggests nothing to anyone else.
        if not await is_staff(interaction):
            return []
        return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]

    @app_commands.command(
        name="language", description=locale_str("Set the language of the bot's posts in this server")
    )
    @app_commands.describe(language=locale_str("The language"))
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(
        self, interaction: discord.Interaction[CisipBot], language: app_commands.Choice[str]
    ) -> None:
        assert interaction.guild is not None
        await self.bot.services.guild_settings.set_language(interaction.guild.id, language.value)
        t = await translator_for(interaction)
        await self._show(
            interaction, t, t("Language set to {language}.", language=language_name(language.value))
        )
        await self.bot.audit(
            interaction.guild, interaction.user, "setup.language", language_name(language.value)
        )

    @app_commands.command(name="clear", description=locale_str("Unset a channel or role"))
    @app_commands.describe(setting=locale_str("The setting to unset"))
    @app_commands.choices(setting=SETTING_CHOICES)
    async def clear(
        self, interaction: discord.Interaction[CisipBot], setting: app_commands.Choice[str]
    ) -> None:
        assert interaction.guild is not None
        what, kind = setting.value.split(":", 1)
        if what == "channel":
            await self.bot.services.guild_settings.set_channel(interaction.guild.id, kind, None)
            label = Message(CHANNEL_KINDS[kind])
        else:
            await self.bot.services.guild_settings.set_role(interaction.guild.id, kind, None)
            label = Message(ROLE_KINDS[kind])
        t = await translator_for(interaction)
        # setting.name is the choice's English source, whatever the reader's language.
        await self._show(interaction, t, t("{setting} is no longer set.", setting=label))
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "setup.clear",
            Message.of(_("{setting} unset"), setting=label),
        )


class Admin(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="status", description=locale_str("Show the bot's health and what is scheduled next")
    )
    async def status(self, interaction: discord.Interaction[CisipBot]) -> None:
        t = await translator_for(interaction)
        health = await status_service.collect(self.bot.db, self.bot.scheduler)
        embed = status_embed(t, health, self.bot.started_at, self.bot.latency, self.bot.failed_extensions)
        await send_ephemeral(interaction, embed=embed)
