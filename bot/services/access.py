"""Who may do what: the staff rule and which role may be pinged. No discord here.

Discord describes a person as a ``discord.Member`` with roles and permissions; the Discord side
reduces that to a :class:`Person` (facts only) and asks these rules. Each rule has one answer,
written once:

* **staff**: an ``OWNER_IDS`` entry, anyone with Manage Server (or Administrator), or a holder
  of the staff role chosen with ``/setup role``;
* **a pingable role** (:func:`ping_refusal`): never @everyone, never a role an integration
  manages, and either mentionable or the bot may mention every role in that channel; otherwise
  Discord would deliver the post without pinging anyone.

The verified-member gate builds on the staff rule; it lives with the membership rules
(:meth:`bot.services.membership.MembershipService.gate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import DomainError
from bot.i18n import _
from bot.services.guild_settings import GuildSettingsService


@dataclass(frozen=True)
class Person:
    """Someone as Discord describes them in one server, reduced to the facts the rules read.

    ``guild_id`` is None in a DM. ``manages_server``: Manage Server or Administrator there.
    """

    user_id: int
    guild_id: int | None
    role_ids: frozenset[int] = frozenset()
    manages_server: bool = False

    def holds(self, role_id: int | None) -> bool:
        return role_id is not None and role_id in self.role_ids


@dataclass(frozen=True)
class StaffRule:
    """The staff rule for one server, loaded once (so a fan-out can ask it for thousands)."""

    owner_ids: frozenset[int]
    staff_role_id: int | None

    def admits(self, person: Person) -> bool:
        if person.user_id in self.owner_ids:
            return True
        if person.guild_id is None:
            return False
        return person.manages_server or person.holds(self.staff_role_id)


class AccessService:
    def __init__(self, guild_settings: GuildSettingsService, owner_ids: Iterable[int] = ()) -> None:
        self.guild_settings = guild_settings
        self.owner_ids = frozenset(owner_ids)

    async def staff_rule(self, guild_id: int | None) -> StaffRule:
        role = None if guild_id is None else (await self.guild_settings.get(guild_id)).role("staff")
        return StaffRule(self.owner_ids, role)

    async def is_staff(self, person: Person) -> bool:
        return (await self.staff_rule(person.guild_id)).admits(person)


@dataclass(frozen=True)
class RoleFacts:
    """A role as the ping rule sees it. ``label`` names it to the reader (the Discord side passes
    its mention)."""

    id: int
    label: str
    is_everyone: bool
    managed: bool
    mentionable: bool


def ping_refusal(role: RoleFacts, *, may_mention_every_role: bool, where: str) -> DomainError | None:
    """Why ``role`` cannot be pinged by a post in ``where`` (a channel's label), or None when it can.

    ``may_mention_every_role``: the bot has Mention @everyone, @here and All Roles there, which
    lets it ping roles that are not mentionable.
    """
    if role.is_everyone:
        return DomainError(_("The bot never pings @everyone: choose a role."))
    if role.managed:
        return DomainError(
            _("{role} belongs to an integration and cannot be pinged: choose an ordinary role."),
            role=role.label,
        )
    if not role.mentionable and not may_mention_every_role:
        return DomainError(
            _(
                "I cannot ping {role} in {channel}: make the role mentionable, or give me "
                "Mention @everyone, @here and All Roles there."
            ),
            role=role.label,
            channel=where,
        )
    return None
