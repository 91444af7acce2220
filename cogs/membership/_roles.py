"""The Discord side of membership roles: what stops the bot from giving them, and giving or taking
the verified, member-type and unverified roles (and the nickname)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.db.models_members import Membership
from bot.i18n import _
from bot.services.membership import member_nickname
from bot.ui.permissions import role_problems
from bot.ui.text import Translate

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

DELETED_ROLE = {
    "verified": _("the verified member role was deleted (staff: /setup role)"),
    "unverified": _("the unverified role was deleted (staff: /setup role)"),
    "member type": _("the member-type role was deleted (staff: /members type-role)"),
}


async def role_problems_for(
    bot: CisipBot, guild: discord.Guild, t: Translate, member_type: str | None = None
) -> list[str]:
    """Everything that stops the bot from giving the verified role (and the member-type role, and
    taking the unverified one)."""
    config = await bot.services.guild_settings.get(guild.id)
    verified_id = config.role("verified")
    if verified_id is None:
        return [t("no verified member role is set (staff: /setup role)")]
    wanted = {kind: config.role(kind) for kind in ("verified", "unverified")}
    if member_type is not None:
        wanted["member type"] = (await bot.services.memberships.type_roles(guild.id)).get(member_type)
    problems: list[str] = []
    for kind, role_id in wanted.items():
        role = guild.get_role(role_id) if role_id else None
        if role_id is not None and role is None:
            problems.append(t(DELETED_ROLE[kind]))
        elif role is not None:
            problems.extend(p for p in role_problems(t, role, guild.me) if p not in problems)
    return problems


async def grant_roles(bot: CisipBot, guild: discord.Guild, row: Membership) -> None:
    member = guild.get_member(row.user_id)
    if member is None:
        return
    config = await bot.services.guild_settings.get(guild.id)
    type_role_id = (await bot.services.memberships.type_roles(guild.id)).get(row.member_type)
    reason = f"CISIP membership #{row.id} approved"
    give = [guild.get_role(config.role("verified") or 0), guild.get_role(type_role_id or 0)]
    to_add = [role for role in give if role is not None and role not in member.roles]
    if to_add:
        await member.add_roles(*to_add, reason=reason)
    unverified = guild.get_role(config.role("unverified") or 0)
    if unverified is not None and unverified in member.roles:
        await member.remove_roles(unverified, reason=reason)
    if (await bot.services.memberships.policy_for(guild.id)).nicknames:
        try:
            await member.edit(nick=member_nickname(row), reason=reason)
        except discord.HTTPException as exc:
            # The owner, or someone above the bot, cannot be renamed: the roles matter more.
            log.info("could not set the nickname of member %s: %s", member.id, exc.status)


async def grant_roles_safely(bot: CisipBot, guild: discord.Guild, row: Membership) -> bool:
    """``grant_roles``, but a refusal (the roles changed since the check) is logged, not raised."""
    try:
        await grant_roles(bot, guild, row)
    except discord.HTTPException as exc:
        log.warning("could not give the roles of membership #%s in %s: %s", row.id, guild.id, exc.status)
        return False
    return True


async def take_roles(bot: CisipBot, guild: discord.Guild, user_id: int, reason: str) -> None:
    """Take the verified and member-type roles (and give the unverified role back)."""
    member = guild.get_member(user_id)
    if member is None:
        return
    config = await bot.services.guild_settings.get(guild.id)
    taken = {config.role("verified"), *(await bot.services.memberships.type_roles(guild.id)).values()}
    unverified = guild.get_role(config.role("unverified") or 0)
    try:
        to_remove = [role for role in member.roles if role.id in taken]
        if to_remove:
            await member.remove_roles(*to_remove, reason=reason)
        if unverified is not None and unverified not in member.roles:
            await member.add_roles(unverified, reason=reason)
    except discord.HTTPException as exc:
        log.warning("could not take the verified role from %s in %s: %s", user_id, guild.id, exc.status)
