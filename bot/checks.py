"""Server-side permission checks for app commands (``default_permissions`` can be overridden)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.i18n import _

if TYPE_CHECKING:
    from bot.client import CisipBot

T = TypeVar("T")


class NotStaff(app_commands.CheckFailure):
    message = _("Only CISIP staff can do this: it needs the staff role set with /setup, or Manage Server.")


async def is_staff(interaction: discord.Interaction[CisipBot]) -> bool:
    user = interaction.user
    bot = interaction.client
    if user.id in (bot.owner_ids or ()):
        return True
    if not isinstance(user, discord.Member) or interaction.guild_id is None:
        return False
    if user.guild_permissions.manage_guild or user.guild_permissions.administrator:
        return True
    staff_role = (await bot.guild_settings.get(interaction.guild_id)).role("staff")
    return staff_role is not None and any(role.id == staff_role for role in user.roles)


def staff_only() -> Any:
    """Decorator: the command runs for staff only, whatever the server's command permissions say."""

    async def predicate(interaction: discord.Interaction[CisipBot]) -> bool:
        if await is_staff(interaction):
            return True
        raise NotStaff()

    return app_commands.check(predicate)
