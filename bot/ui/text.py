"""Translation for Discord: pick the reader's language and translate command definitions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.i18n import DEFAULT_LANGUAGE, NAME_PREFIX, Localizable, catalog, resolve_language, translate

if TYPE_CHECKING:
    from bot.client import CisipBot

Translate = Callable[..., str]

_NAME_LOCATIONS = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


async def language_of(interaction: discord.Interaction[CisipBot]) -> str:
    """The interaction's locale when we speak it, else the server's language, else English."""
    guild_language = None
    if interaction.guild_id is not None:
        guild_language = (await interaction.client.guild_settings.get(interaction.guild_id)).language
    return resolve_language(str(interaction.locale), guild_language)


async def translator_for(interaction: discord.Interaction[CisipBot]) -> Translate:
    """``t(text, **params)`` in the reader's language."""
    return partial(translate_in, await language_of(interaction))


async def server_translator(bot: CisipBot, guild_id: int | None) -> Translate:
    """``t`` in the server's language, for channel posts and scheduled announcements."""
    language = DEFAULT_LANGUAGE if guild_id is None else (await bot.guild_settings.get(guild_id)).language
    return partial(translate_in, language)


async def member_language(bot: CisipBot, user_id: int, guild_id: int | None) -> str:
    """The language a member's Discord showed when they last used the bot, else the server's."""
    guild_language = None if guild_id is None else (await bot.guild_settings.get(guild_id)).language
    return resolve_language(await bot.user_locales.get(user_id), guild_language)


async def member_translator(bot: CisipBot, user_id: int, guild_id: int | None) -> Translate:
    """``t`` for a DM or mail to one member: their last seen locale, else the server's language."""
    return partial(translate_in, await member_language(bot, user_id, guild_id))


def translate_in(language: str, text: str | Localizable, /, **params: Any) -> str:
    return translate(text, language, **params)


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
