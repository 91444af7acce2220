"""The one place an interaction's failure becomes a private message to the person who caused it."""

from __future__ import annotations

import logging
import secrets
import string
from functools import partial
from typing import Any

import discord
from discord import app_commands

from bot.errors import DomainError
from bot.i18n import DEFAULT_LANGUAGE
from bot.ui.checks import NotStaff
from bot.ui.options import BadOption
from bot.ui.permissions import permission_list
from bot.ui.replies import send_ephemeral
from bot.ui.text import translate_in, translator_for

log = logging.getLogger(__name__)

ERROR_REF_ALPHABET = string.ascii_uppercase + string.digits
UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED = 10062, 40060
GONE = (UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED)


def error_reference() -> str:
    return "".join(secrets.choice(ERROR_REF_ALPHABET) for _ in range(6))


async def handle_interaction_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """Answer privately: a refusal a person can act on, or a reference to the log for staff."""
    try:
        t = await translator_for(interaction)
    except Exception:
        # The error being handled may be the database itself: answer in English regardless.
        log.warning("could not look up the reader's language; answering in English", exc_info=True)
        t = partial(translate_in, DEFAULT_LANGUAGE)
    original = getattr(error, "original", None) or error
    if isinstance(original, discord.HTTPException) and original.code in GONE:
        # Too late to answer (Discord's 3 seconds passed, or another process answered first).
        log.warning("interaction %s could not be answered: %s", interaction.id, original)
        return
    if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, DomainError):
        original = error.__cause__  # an option's converter refused the value (bot.ui.references)
    if isinstance(original, DomainError | BadOption):
        # Refusals are the bot working as meant; at DEBUG an operator can still follow them.
        log.debug("refused interaction %s: %s", interaction.id, original)
        await send_ephemeral(interaction, t(original.message, **original.params))
        return
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        # Discord showed a command (or options) from before the last sync.
        message = t("This command has just changed: wait a minute for Discord to update it, then try again.")
    elif isinstance(error, NotStaff):
        message = t(NotStaff.message)
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = t("This command works only in a server.")
    elif isinstance(error, app_commands.CommandOnCooldown):
        message = t("Slow down: try again in {seconds} seconds.", seconds=max(1, round(error.retry_after)))
    elif isinstance(error, app_commands.BotMissingPermissions):
        message = t(
            "I am missing permissions here: {permissions}.",
            permissions=permission_list(error.missing_permissions),
        )
    elif isinstance(error, app_commands.MissingPermissions):
        message = t(
            "You need these permissions: {permissions}.",
            permissions=permission_list(error.missing_permissions),
        )
    elif isinstance(error, app_commands.TransformerError):
        message = t("'{value}' is not a valid value here.", value=str(error.value)[:100])
    elif isinstance(error, app_commands.CheckFailure):
        message = t("You cannot use this command here.")
    else:
        ref = error_reference()
        command = interaction.command.qualified_name if interaction.command else interaction.type.name
        log.error("unexpected error in %s (ref %s)", command, ref, exc_info=original)
        message = t("Something went wrong (ref {ref}). Staff can find the details in the bot's log.", ref=ref)
        await send_ephemeral(interaction, message)
        return
    log.debug("refused interaction %s: %s", interaction.id, type(error).__name__)
    await send_ephemeral(interaction, message)
