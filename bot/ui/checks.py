"""Who is asking: a Discord user as a ``Person``, and the staff check for commands.

Every staff command lives in a top-level command or group of its own (``/setup``, ``/members``,
``/calendar``, ``/park-admin``, ...), hidden from members by one default, ``STAFF_DEFAULT_PERMISSIONS``
(Discord applies ``default_member_permissions`` to top-level commands only, so a staff subcommand in
a group members use could not be hidden). That only hides it: a server admin can show it to anyone
in Server Settings > Integrations. So every staff command is also checked here, on the bot's side,
with the one staff rule (``bot.services.access``):

    @staff_only()
    @app_commands.guild_only()
    @app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
    class SetupGroup(app_commands.Group): ...   # every subcommand of the group
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import discord
from discord import app_commands

from bot.i18n import _
from bot.services.access import Person
from bot.ui.services import services_of

T = TypeVar("T")

# The one default that hides staff commands from members: Manage Server, as the staff rule reads it.
STAFF_DEFAULT_PERMISSIONS = discord.Permissions(manage_guild=True)


class NotStaff(app_commands.CheckFailure):
    message = _("Only CISIP staff can do this: it needs the staff role set with /setup, or Manage Server.")


def person_of(user: discord.abc.User, guild: discord.Guild | None) -> Person:
    """What the rules need to know about ``user`` in ``guild`` (roles, Manage Server)."""
    if guild is None:
        return Person(user.id, None)
    member = user if isinstance(user, discord.Member) else guild.get_member(user.id)
    if member is None:
        return Person(user.id, guild.id)
    permissions = member.guild_permissions
    return Person(
        user_id=member.id,
        guild_id=guild.id,
        role_ids=frozenset(role.id for role in member.roles),
        manages_server=permissions.manage_guild or permissions.administrator,
    )


def asker(interaction: discord.Interaction[Any]) -> Person:
    """The person behind an interaction."""
    if interaction.guild is None and interaction.guild_id is not None:
        return Person(interaction.user.id, interaction.guild_id)
    return person_of(interaction.user, interaction.guild)


async def is_staff(interaction: discord.Interaction[Any]) -> bool:
    return await services_of(interaction.client).access.is_staff(asker(interaction))


async def require_staff(interaction: discord.Interaction[Any]) -> None:
    """Raise ``NotStaff`` (answered privately by the error handler) unless the asker is staff."""
    if not await is_staff(interaction):
        raise NotStaff()


async def _staff_predicate(interaction: discord.Interaction[Any]) -> bool:
    await require_staff(interaction)
    return True


def staff_only() -> Callable[[T], T]:
    """Decorate a command, or a command group class, so it runs for staff only."""

    def decorate(target: T) -> T:
        if isinstance(target, type) and issubclass(target, app_commands.Group):
            checked = target.interaction_check

            async def interaction_check(
                self: app_commands.Group, interaction: discord.Interaction[Any]
            ) -> bool:
                await require_staff(interaction)
                return await checked(self, interaction)

            target.interaction_check = interaction_check  # type: ignore[method-assign]
            target.__cisip_staff_only__ = True  # type: ignore[attr-defined]
            return target
        return cast(T, app_commands.check(_staff_predicate)(cast(Any, target)))

    return decorate


def needs_staff(command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> bool:
    """Whether ``staff_only`` guards ``command``, on itself or on a group above it."""
    node: app_commands.Command[Any, ..., Any] | app_commands.Group | None = command
    while node is not None:
        if getattr(type(node), "__cisip_staff_only__", False):
            return True
        if isinstance(node, app_commands.Command) and _staff_predicate in node.checks:
            return True
        node = node.parent
    return False
