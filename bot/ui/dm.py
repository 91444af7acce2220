"""Direct messages: how one is sent, and what Discord's answer means. The one place that knows
that 50007 means the member does not accept DMs from the bot."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord

from bot import metrics
from bot.services.delivery import Outcome
from bot.ui.limits import fit_message

log = logging.getLogger(__name__)

CANNOT_SEND_TO_USER = 50007  # Discord: "Cannot send messages to this user" (DMs closed or blocked)


def dm_outcome(exc: discord.HTTPException) -> Outcome:
    """What a refused DM means: closed DMs (never retried), a server error (retried) or a failure."""
    if isinstance(exc, discord.Forbidden) and exc.code == CANNOT_SEND_TO_USER:
        return Outcome.DMS_CLOSED
    if exc.status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.FAILED


async def send_dm(
    client: discord.Client,
    user: int | discord.User | discord.Member,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    nonce: str | None = None,
) -> Outcome:
    """Send a DM that pings nobody. With ``nonce`` Discord answers a repeat of the same send with
    the first message, so a DM sent again after a crash is not received twice."""
    user_id = user if isinstance(user, int) else user.id
    options: dict[str, Any] = {"content": content, "allowed_mentions": discord.AllowedMentions.none()}
    if embed is not None:
        options["embed"] = embed
    if view is not None:
        options["view"] = view
    if file is not None:
        options["file"] = file
    if nonce is not None:
        options["nonce"] = nonce
    try:
        target = user if not isinstance(user, int) else client.get_user(user) or await client.fetch_user(user)
        await target.send(**fit_message(options))
    except discord.HTTPException as exc:
        outcome = dm_outcome(exc)
        if outcome is Outcome.DMS_CLOSED:
            log.info("user %s does not accept direct messages", user_id)
        else:
            log.warning("could not DM %s: %s", user_id, exc)
        metrics.count_dm(outcome.value)
        return outcome
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("could not DM %s: %s", user_id, type(exc).__name__)
        metrics.count_dm(Outcome.SERVER_ERROR.value)
        return Outcome.SERVER_ERROR
    metrics.count_dm(Outcome.SENT.value)
    return Outcome.SENT
