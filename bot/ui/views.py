"""Base views and modals whose errors go through the bot's one error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.client import CisipBot


class BotView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        bot: CisipBot = interaction.client
        await bot.handle_interaction_error(interaction, error)


class BotModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        bot: CisipBot = interaction.client
        await bot.handle_interaction_error(interaction, error)
