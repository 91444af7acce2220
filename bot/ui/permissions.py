"""What the bot needs in a channel or to manage a role, named so staff can fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import discord

from bot.errors import DomainError
from bot.i18n import Listing, Message, _
from bot.services.access import RoleFacts, ping_refusal
from bot.ui.text import Translate

# Discord's own names for the permissions, as its settings show them in each language.
PERMISSION_LABELS = {
    "administrator": _("Administrator"),
    "view_channel": _("View Channel"),
    "read_messages": _("View Channel"),
    "send_messages": _("Send Messages"),
    "send_messages_in_threads": _("Send Messages in Threads"),
    "embed_links": _("Embed Links"),
    "attach_files": _("Attach Files"),
    "read_message_history": _("Read Message History"),
    "add_reactions": _("Add Reactions"),
    "use_external_emojis": _("Use External Emoji"),
    "mention_everyone": _("Mention @everyone, @here and All Roles"),
    "manage_messages": _("Manage Messages"),
    "manage_threads": _("Manage Threads"),
    "create_public_threads": _("Create Public Threads"),
    "manage_channels": _("Manage Channels"),
    "manage_roles": _("Manage Roles"),
    "manage_guild": _("Manage Server"),
    "manage_webhooks": _("Manage Webhooks"),
    "manage_events": _("Manage Events"),
    "create_events": _("Create Events"),
    "manage_nicknames": _("Manage Nicknames"),
    "kick_members": _("Kick Members"),
    "ban_members": _("Ban Members"),
    "moderate_members": _("Timeout Members"),
    "use_application_commands": _("Use Application Commands"),
}
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links")


@dataclass(frozen=True, slots=True)
class ServerPermission:
    """A server-level permission the bot asks for when invited, and what it enables."""

    attribute: str  # discord.Permissions' name for it
    enables: str  # marked with _(): translated where it is shown
    required: bool = True
    also_met_by: tuple[str, ...] = ()  # another permission that does the same for the bot

    def granted(self, permissions: discord.Permissions) -> bool:
        return any(getattr(permissions, name) for name in (self.attribute, *self.also_met_by))


# The one list of what the bot needs in a server: the invite link (`cisip-bot invite`) asks for all
# of them, and /setup show names those the bot's roles lack.
SERVER_PERMISSIONS: tuple[ServerPermission, ...] = (
    ServerPermission("view_channel", _("see the channels chosen with /setup channel")),
    ServerPermission(
        "send_messages",
        _("post welcomes, the review queue, announcements, reports, calendar posts and the audit log"),
    ),
    ServerPermission("embed_links", _("post cards and announcements as embeds")),
    ServerPermission("attach_files", _("attach the report PDF to its announcement")),
    ServerPermission("manage_roles", _("give and take the verified, unverified and member-type roles")),
    ServerPermission(
        "manage_nicknames",
        _("set approved members' nicknames when nicknames are on, and reset them when data is erased"),
    ),
    ServerPermission(
        "manage_events",
        _("create and update the Discord event of each workshop"),
        also_met_by=("create_events",),
    ),
    ServerPermission(
        "mention_everyone",
        _("ping a role that is not mentionable in calendar posts and workshop announcements"),
        required=False,
    ),
)


def invite_permissions() -> discord.Permissions:
    """Every permission of ``SERVER_PERMISSIONS``: the invite link's ``permissions`` number."""
    return discord.Permissions(**{need.attribute: True for need in SERVER_PERMISSIONS})


def missing_server_permissions(me: discord.Member) -> list[ServerPermission]:
    """The permissions of ``SERVER_PERMISSIONS`` the bot's roles do not give it in the server."""
    return [need for need in SERVER_PERMISSIONS if not need.granted(me.guild_permissions)]


def permission_label(name: str) -> Message:
    """A permission attribute ('manage_roles') as Discord names it to people ("Manage Roles")."""
    return Message(PERMISSION_LABELS.get(name) or name.replace("_", " ").title())


def permission_list(names: Iterable[str]) -> Listing:
    return Listing.of(permission_label(name) for name in names)


def clauses(problems: Iterable[str]) -> Listing:
    """Role problems are clauses of their own: joined by a semicolon, not "and"."""
    return Listing.of(problems, separator=_("; "))


def channel_problems(
    t: Translate, channel: discord.abc.GuildChannel, me: discord.Member, *, attach_files: bool = False
) -> list[str]:
    """The permissions the bot lacks to post embeds in ``channel`` (empty when it can)."""
    return [t(problem) for problem in channel_problem_messages(channel, me, attach_files=attach_files)]


def channel_problem_messages(
    channel: discord.abc.GuildChannel, me: discord.Member, *, attach_files: bool = False
) -> list[Message]:
    """``channel_problems`` not yet translated: for a domain error, shown in its reader's language."""
    perms = channel.permissions_for(me)
    needs = [*CHANNEL_NEEDS, *(["attach_files"] if attach_files else [])]
    missing = [permission_label(attr) for attr in needs if not getattr(perms, attr)]
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        missing.insert(0, Message(_("a text channel (this is not one)")))
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


def role_facts(role: discord.Role) -> RoleFacts:
    return RoleFacts(
        id=role.id,
        label=role.mention,
        is_everyone=role.is_default(),
        managed=role.managed,
        mentionable=role.mentionable,
    )


def check_pingable(role: discord.Role, channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    """Raise why a post in ``channel`` could not ping ``role`` (the rule is the access service's)."""
    refusal = ping_refusal(
        role_facts(role),
        may_mention_every_role=channel.permissions_for(me).mention_everyone,
        where=channel.mention,
    )
    if refusal is not None:
        raise refusal


def ping_mentions(role: discord.Role | None) -> discord.AllowedMentions:
    """Ping nobody, or exactly ``role`` (never @everyone, never a user)."""
    if role is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False)


def check_channel(
    channel: discord.abc.GuildChannel, me: discord.Member, *, attach_files: bool = False
) -> None:
    """Raise what the bot lacks to post embeds in ``channel`` (in the reader's language)."""
    problems = channel_problem_messages(channel, me, attach_files=attach_files)
    if problems:
        raise DomainError(
            _(
                "I cannot post in {channel}: missing {problems}. "
                "Give me these permissions there and try again."
            ),
            channel=channel.mention,
            problems=Listing.of(problems),
        )
