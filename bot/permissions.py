"""What the bot needs in a channel or to manage a role, named so staff can fix it."""

from __future__ import annotations

import discord

from bot.i18n import _
from bot.ui.text import Translate

CHANNEL_NEEDS = {
    "view_channel": _("View Channel"),
    "send_messages": _("Send Messages"),
    "embed_links": _("Embed Links"),
}


def channel_problems(
    t: Translate, channel: discord.abc.GuildChannel, me: discord.Member, *, attach_files: bool = False
) -> list[str]:
    """The permissions the bot lacks to post embeds in ``channel`` (empty when it can)."""
    perms = channel.permissions_for(me)
    needs = dict(CHANNEL_NEEDS)
    if attach_files:
        needs["attach_files"] = _("Attach Files")
    missing = [t(label) for attr, label in needs.items() if not getattr(perms, attr)]
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        missing.insert(0, t("a text channel (this is not one)"))
    return missing


def role_problems(
    t: Translate, role: discord.Role, me: discord.Member, *, assignable: bool = True
) -> list[str]:
    """Why ``role`` cannot serve (empty when it can).

    ``assignable``: the bot gives and takes the role itself, so it needs Manage Roles and a higher
    role. A role the bot only reads (the staff role) just must not be @everyone.
    """
    if not assignable:
        return [t("@everyone cannot be given to anyone")] if role.is_default() else []
    problems: list[str] = []
    if not me.guild_permissions.manage_roles:
        problems.append(t("the Manage Roles permission"))
    if role.is_default():
        problems.append(t("@everyone cannot be given to anyone"))
    elif role.managed:
        problems.append(t("{role} is managed by an integration", role=role.name))
    elif role >= me.top_role:
        problems.append(
            t(
                "my highest role ({mine}) must be above {role} in Server Settings > Roles",
                mine=me.top_role.name,
                role=role.name,
            )
        )
    return problems
