"""The emulator's world: users, guilds, roles, channels, members, messages, and their JSON shapes.

Everything here is plain data plus the permission arithmetic Discord documents in
topics/permissions (base permissions, then @everyone, role and member overwrites).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000


class Perm:
    """Permission bits (topics/permissions, "Bitwise Permission Flags")."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    MUTE_MEMBERS = 1 << 22
    MOVE_MEMBERS = 1 << 24
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    CREATE_EVENTS = 1 << 44
    ALL = (1 << 53) - 1


# What @everyone gets in a fresh guild: enough to read, talk and use commands.
DEFAULT_EVERYONE = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.ADD_REACTIONS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CHANGE_NICKNAME
)

# Message flags (resources/message, "Message Flags").
EPHEMERAL = 1 << 6
LOADING = 1 << 7

DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


class Snowflakes:
    """Increasing snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True
    locale: str = "en-US"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    GUILD_FORUM = 15


@dataclass
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_id: int | None = None  # DMs only
    last_message_id: int | None = None

    def to_json(self, world: World | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": 0}
        data["last_message_id"] = str(self.last_message_id) if self.last_message_id else None
        if self.guild_id is not None:
            data.update(
                guild_id=str(self.guild_id),
                name=self.name,
                position=self.position,
                topic=self.topic,
                nsfw=False,
                rate_limit_per_user=0,
                parent_id=str(self.parent_id) if self.parent_id else None,
                permission_overwrites=[o.to_json() for o in self.overwrites.values()],
            )
            if self.type == ChannelType.GUILD_VOICE:
                data.update(bitrate=64000, user_limit=0, rtc_region=None)
        elif world is not None and self.recipient_id is not None:
            data["recipients"] = [world.users[self.recipient_id].to_json()]
        return data

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    def to_json(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_json()
        return data


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            body["content_type"] = self.content_type
        if self.description:
            body["description"] = self.description
        return body


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    pinged: set[int] = field(default_factory=set)  # who was really notified
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    type: int = 0
    message_reference: dict[str, Any] | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return [(a.filename, a.data) for a in self.attachments]

    def to_json(self, world: World) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_json(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [world.users[u].to_json() for u in self.mentions if u in world.users],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [a.to_json() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
            member = world.guilds[self.guild_id].members.get(self.author.id)
            if member is not None and self.webhook_id is None:
                data["member"] = member.to_json(with_user=False)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    preferred_locale: str = "en-US"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def to_json(self, world: World, *, members: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": self.preferred_locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        if members:
            data.update(
                joined_at=iso_now(),
                large=False,
                unavailable=False,
                member_count=len(self.members),
                voice_states=[],
                members=[m.to_json() for m in self.members.values()],
                channels=[c.to_json() for c in self.channels.values()],
                threads=[],
                presences=[],
                stage_instances=[],
                guild_scheduled_events=list(self.scheduled_events.values()),
            )
        return data


class World:
    """All entities the emulator knows, by id."""

    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[int, Message]] = {}  # channel id -> message id -> message
        self.attachments: dict[int, Attachment] = {}

    def channel_messages(self, channel_id: int) -> dict[int, Message]:
        return self.messages.setdefault(channel_id, {})

    def find_message(self, message_id: int) -> Message | None:
        for per_channel in self.messages.values():
            if message_id in per_channel:
                return per_channel[message_id]
        return None


def highest_position(guild: Guild, member: Member) -> int:
    """Position of the member's highest role; the owner outranks everyone."""
    if member.id == guild.owner_id:
        return 1 << 30
    return max([guild.roles[r].position for r in member.role_ids if r in guild.roles] + [0])


def base_permissions(guild: Guild, member: Member) -> int:
    if member.id == guild.owner_id:
        return Perm.ALL
    perms = guild.everyone.permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & Perm.ADMINISTRATOR:
        return Perm.ALL
    return perms


def channel_permissions(guild: Guild, channel: Channel | None, member: Member) -> int:
    """Discord's computation: base, then @everyone, role and member overwrites, in that order."""
    perms = base_permissions(guild, member)
    if perms & Perm.ADMINISTRATOR or channel is None:
        return perms
    everyone = channel.overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        ow = channel.overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = channel.overwrites.get(member.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    # Without VIEW_CHANNEL nothing else in the channel applies.
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    return perms


USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class Mentions:
    users: list[int]
    roles: list[int]
    everyone: bool
    pinged: set[int]


def compute_mentions(
    world: World,
    guild: Guild | None,
    content: str,
    allowed: dict[str, Any] | None,
    author_perms: int,
    *,
    default_parse: tuple[str, ...],
) -> Mentions:
    """Who a message really pings, after allowed_mentions and the author's permissions.

    resources/message "Allowed Mentions Object": without ``allowed_mentions`` regular messages
    parse everything, interactions and webhooks parse only users; ``parse`` and explicit id
    lists combine; role pings need a mentionable role or MENTION_EVERYONE, @everyone/@here
    need MENTION_EVERYONE.
    """
    if allowed is None:
        allowed = {"parse": list(default_parse)}
    parse = set(allowed.get("parse") or [])
    allowed_users = {int(u) for u in allowed.get("users") or []}
    allowed_roles = {int(r) for r in allowed.get("roles") or []}

    user_ids = [int(u) for u in dict.fromkeys(USER_MENTION.findall(content))]
    role_ids = [int(r) for r in dict.fromkeys(ROLE_MENTION.findall(content))]
    users = [u for u in user_ids if u in world.users and ("users" in parse or u in allowed_users)]
    roles: list[int] = []
    if guild is not None:
        for r in role_ids:
            role = guild.roles.get(r)
            if role is None or not ("roles" in parse or r in allowed_roles):
                continue
            if role.mentionable or author_perms & Perm.MENTION_EVERYONE:
                roles.append(r)
    everyone = (
        guild is not None
        and ("@everyone" in content or "@here" in content)
        and "everyone" in parse
        and bool(author_perms & Perm.MENTION_EVERYONE)
    )
    pinged = set(users)
    if guild is not None and (everyone or roles):  # only then can a member be pinged without a @mention
        for member in guild.members.values():
            if everyone or any(r in member.role_ids for r in roles):
                pinged.add(member.id)
    return Mentions(users, roles, everyone, pinged)
