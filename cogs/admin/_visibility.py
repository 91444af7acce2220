"""Which staff commands Discord shows to the members of the staff role, for /setup show.

A command registered with ``default_member_permissions`` (the staff commands: Manage Server,
``STAFF_DEFAULT_PERMISSIONS``) shows to a member by Discord's rules for command permissions
(interactions/application-commands, "Permissions"; change log "Updated Command Permissions"):

- Administrator sees every command, whatever the overwrites.
- Command-level overwrites (Server Settings > Integrations > the app > Manage > a command) decide
  when one applies, over the app-level ones *and* the default permissions: the role's own, else
  @everyone's (its id is the guild id).
- Otherwise app-level overwrites (the same page, Roles & Members for the whole app, stored under the
  application id): a deny hides every command; an allow still leaves each command's default
  permissions to meet.
- Otherwise the default permissions: the member needs every one of them (``"0"``: nobody).

Channel overwrites are not weighed: they say where, not who.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS

ROLE_OVERWRITE = 1  # application command permission type: role (1), user (2), channel (3)
ADMINISTRATOR = discord.Permissions(administrator=True).value
# /setup show must answer within Discord's three seconds: a slower answer is no answer.
FETCH_TIMEOUT = 1.5

# command id (or the application id, for the whole app) -> role id -> allowed
Overwrites = Mapping[int, Mapping[int, bool]]


@dataclass(frozen=True)
class RegisteredCommand:
    id: int
    name: str
    default_permissions: int | None  # None: everyone


@dataclass(frozen=True)
class StaffVisibility:
    """The staff role, and the staff commands (``/name``) Discord does not show its members."""

    role: discord.Role
    hidden: tuple[str, ...]


def role_sees(
    command: RegisteredCommand,
    overwrites: Overwrites,
    *,
    guild_id: int,
    application_id: int,
    role_id: int,
    permissions: int,
) -> bool:
    """Whether a member holding only ``role_id`` (and @everyone, together ``permissions``) sees
    ``command``."""
    if permissions & ADMINISTRATOR:
        return True
    for level in (command.id, application_id):
        roles = overwrites.get(level, {})
        allowed = roles.get(role_id, roles.get(guild_id))
        if allowed is False or (allowed is True and level == command.id):
            return allowed
    needed = command.default_permissions
    if needed is None:
        return True
    return needed != 0 and permissions & needed == needed


def hidden_commands(
    registered: Iterable[RegisteredCommand],
    overwrites: Overwrites,
    *,
    guild_id: int,
    application_id: int,
    role_id: int,
    permissions: int,
) -> tuple[str, ...]:
    """The staff commands (``/name``, sorted) the role's members do not see."""
    staff = [c for c in registered if c.default_permissions == STAFF_DEFAULT_PERMISSIONS.value]
    return tuple(
        sorted(
            {
                f"/{c.name}"
                for c in staff
                if not role_sees(
                    c,
                    overwrites,
                    guild_id=guild_id,
                    application_id=application_id,
                    role_id=role_id,
                    permissions=permissions,
                )
            }
        )
    )


def role_overwrites(payload: Sequence[Mapping[str, Any]]) -> dict[int, dict[int, bool]]:
    """Discord's guild application command permissions, as role overwrites by command id."""
    found: dict[int, dict[int, bool]] = {}
    for entry in payload:
        roles = found.setdefault(int(entry["id"]), {})
        for overwrite in entry.get("permissions") or []:
            if int(overwrite["type"]) == ROLE_OVERWRITE:
                roles[int(overwrite["id"])] = bool(overwrite["permission"])
    return found


async def staff_visibility(
    bot: commands.Bot, guild: discord.Guild, role: discord.Role, *, guild_commands: bool
) -> StaffVisibility | None:
    """What Discord shows ``role``'s members, or None when Discord does not tell (an error, no
    access, too slow): then /setup show says nothing about it."""
    permissions = role.permissions.value | guild.default_role.permissions.value
    if permissions & ADMINISTRATOR:
        return StaffVisibility(role, ())
    application_id = bot.application_id
    if application_id is None:
        return None
    try:
        async with asyncio.timeout(FETCH_TIMEOUT):
            fetches: list[Any] = [
                bot.http.get_guild_application_command_permissions(application_id, guild.id),
                bot.tree.fetch_commands(),
            ]
            if guild_commands:
                fetches.append(bot.tree.fetch_commands(guild=guild))
            payload, *scopes = await asyncio.gather(*fetches)
    except (discord.HTTPException, TimeoutError):
        return None
    registered = [
        RegisteredCommand(
            command.id,
            command.name,
            command.default_member_permissions.value
            if command.default_member_permissions is not None
            else None,
        )
        for scope in scopes
        for command in scope
        if command.type is discord.AppCommandType.chat_input
    ]
    hidden = hidden_commands(
        registered,
        role_overwrites(payload),
        guild_id=guild.id,
        application_id=application_id,
        role_id=role.id,
        permissions=permissions,
    )
    return StaffVisibility(role, hidden)
