"""Replying to an interaction whether or not it was answered already."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


async def send_ephemeral(
    interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any
) -> None:
    """A private reply: the initial response if still possible, else a follow-up."""
    if interaction.type is discord.InteractionType.autocomplete:
        return  # autocomplete cannot carry a message
    if content is not None:
        kwargs["content"] = content
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)
    except discord.HTTPException as exc:
        # The interaction expired or was answered elsewhere: nothing left to tell the user with.
        log.warning("could not reply to interaction %s: %s", interaction.id, exc)


async def think(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge now, privately ("thinking…"), when the answer needs Discord or mail round trips
    that could pass Discord's 3 seconds; answer later with ``send_ephemeral``."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
