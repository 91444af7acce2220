"""Replying to an interaction whether or not it was answered already."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from bot.ui.limits import fit_message
from bot.ui.text import translator_for

T = TypeVar("T")

# How long a click may wait for its decision before it is acknowledged ("thinking…") first: half of
# Discord's 3 seconds. Not sooner: in a rush an acknowledgement is one more request to send at the
# worst moment, while the decisions themselves come in milliseconds (bench/rush_bench.py).
ACKNOWLEDGE_AFTER = 1.5

log = logging.getLogger(__name__)


async def send_ephemeral(
    interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any
) -> None:
    """A private reply: the initial response if still possible, else a follow-up."""
    if interaction.type is discord.InteractionType.autocomplete:
        await answer_no_choices(interaction)  # autocomplete cannot carry a message
        return
    if content is not None:
        kwargs["content"] = content
    fit_message(kwargs)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)
    except discord.HTTPException as exc:
        # The interaction expired or was answered elsewhere: nothing left to tell the user with.
        log.warning("could not reply to interaction %s: %s", interaction.id, exc)


async def answer_no_choices(interaction: discord.Interaction[Any]) -> None:
    """Answer an autocomplete with nothing, unless it was answered already."""
    if interaction.response.is_done():
        return
    try:
        await interaction.response.autocomplete([])
    except discord.HTTPException as exc:
        log.warning("could not answer autocomplete %s: %s", interaction.id, exc)


async def answer_if_unanswered(interaction: discord.Interaction[Any]) -> None:
    """Tell the member a button or form has expired, unless something answered it already."""
    if interaction.response.is_done():
        return
    t = await translator_for(interaction)
    await send_ephemeral(
        interaction, t("This button or form has expired (or I restarted since): run the command again.")
    )


async def think(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge now, privately ("thinking…"), when the answer needs Discord or mail round trips
    that could pass Discord's 3 seconds; answer later with ``send_ephemeral``."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


async def decided(
    interaction: discord.Interaction[Any], work: Awaitable[T], *, after: float = ACKNOWLEDGE_AFTER
) -> T:
    """``work``'s result, acknowledging the interaction privately first if it takes longer than
    ``after`` seconds (then answer with ``send_ephemeral``, which follows up). The decision itself is
    never cut short."""
    task = asyncio.ensure_future(work)
    done, _pending = await asyncio.wait({task}, timeout=after)
    if not done:
        await think(interaction)
    return await task
