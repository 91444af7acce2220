"""Base views and modals whose errors go through the bot's one error handler."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

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


SelfT = TypeVar("SelfT")


def guarded(
    callback: Callable[[SelfT, discord.Interaction[Any]], Awaitable[None]],
) -> Callable[[SelfT, discord.Interaction[Any]], Awaitable[None]]:
    """Route a ``DynamicItem`` callback's errors to the bot's error handler.

    discord.py only logs what a dynamic item's callback raises; the member would see
    "This interaction failed". Decorate the callback with this instead.
    """

    @functools.wraps(callback)
    async def wrapper(self: SelfT, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:
            bot: CisipBot = interaction.client
            await bot.handle_interaction_error(interaction, exc)

    return wrapper
