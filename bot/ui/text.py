"""Translation for Discord: pick the reader's language and translate command definitions.

Text translated here is text for Discord: a moment in it (``{deadline:D}``) becomes a Discord
timestamp, which every reader sees in their own time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import discord
from discord import app_commands

from bot.i18n import (
    DEFAULT_LANGUAGE,
    NAME_PREFIX,
    Localizable,
    catalog,
    moments_as,
    resolve_language,
    translate,
)
from bot.services.templates import render
from bot.ui.services import services_of
from bot.ui.time import discord_moment

Translate = Callable[..., str]

_NAME_LOCATIONS = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


def translate_in(language: str, text: str | Localizable, /, **params: Any) -> str:
    """``text`` in ``language`` for Discord (moments as timestamps)."""
    with moments_as(discord_moment):
        return translate(text, language, **params)


def localize_for_discord(value: str | Localizable, language: str) -> str:
    """A value a service composed (a message, a listing), written out for a Discord post."""
    if isinstance(value, str):
        return value
    with moments_as(discord_moment):
        return value.localize(language)


def render_template(template: str, values: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """A staff member's template filled in for a Discord post (a date as a timestamp)."""
    with moments_as(discord_moment):
        return render(template, values, language)


async def language_of(interaction: discord.Interaction[Any]) -> str:
    """The interaction's locale when we speak it, else the server's language, else English."""
    guild_language = None
    if interaction.guild_id is not None:
        settings = services_of(interaction.client).guild_settings
        guild_language = (await settings.get(interaction.guild_id)).language
    return resolve_language(str(interaction.locale), guild_language)


async def translator_for(interaction: discord.Interaction[Any]) -> Translate:
    """``t(text, **params)`` in the reader's language."""
    return partial(translate_in, await language_of(interaction))


async def server_language(client: discord.Client, guild_id: int | None) -> str:
    if guild_id is None:
        return DEFAULT_LANGUAGE
    return (await services_of(client).guild_settings.get(guild_id)).language


async def server_translator(client: discord.Client, guild_id: int | None) -> Translate:
    """``t`` in the server's language, for channel posts and scheduled announcements."""
    return partial(translate_in, await server_language(client, guild_id))


async def member_language(client: discord.Client, user_id: int, guild_id: int | None) -> str:
    """The language a member's Discord showed when they last used the bot, else the server's."""
    services = services_of(client)
    guild_language = None if guild_id is None else (await services.guild_settings.get(guild_id)).language
    return resolve_language(await services.user_locales.get(user_id), guild_language)


async def member_translator(client: discord.Client, user_id: int, guild_id: int | None) -> Translate:
    """``t`` for a DM or mail to one member: their last seen locale, else the server's language."""
    return partial(translate_in, await member_language(client, user_id, guild_id))


class CisipTranslator(app_commands.Translator):
    """Command names, descriptions and choices from the same catalogs as every other string."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = resolve_language(locale.value)  # zh-TW reads the Simplified names too
        if language == DEFAULT_LANGUAGE:
            return None
        key = string.message
        if context.location in _NAME_LOCATIONS:
            key = NAME_PREFIX + key
        return catalog(language).get(key)
