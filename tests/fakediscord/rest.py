"""REST v10 routes the emulator serves, with Discord's permission checks and error codes.

Handlers return a JSON body (200), ``None`` (204) or ``(status, body)``, and raise
``DiscordError`` for refusals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from .command_permissions import register_command_permission_routes
from .errors import (
    CANNOT_SEND_TO_USER,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    UNKNOWN_APPLICATION_COMMAND,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_GUILD_SCHEDULED_EVENT,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    DiscordError,
)
from .state import (
    Channel,
    Guild,
    Member,
    Message,
    Perm,
    Role,
    base_permissions,
    channel_permissions,
    highest_position,
)

if TYPE_CHECKING:
    from .server import ApiRequest, Emulator

from .rules import validate_commands, validate_message, validate_scheduled_event

CANNOT_EDIT_OTHERS_MESSAGE = 50005
MAX_EVENTS_REACHED = 30038
MAX_UNFINISHED_EVENTS = 100


def missing_permissions() -> DiscordError:
    return DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")


class Lookups:
    """Find entities or raise the 404 Discord gives for each kind."""

    def __init__(self, em: Emulator) -> None:
        self.em = em
        self.world = em.world

    def guild(self, guild_id: str) -> Guild:
        guild = self.world.guilds.get(_int(guild_id))
        if guild is None:
            raise DiscordError(404, UNKNOWN_GUILD, "Unknown Guild")
        return guild

    def channel(self, channel_id: str) -> Channel:
        channel = self.world.channels.get(_int(channel_id))
        if channel is None:
            raise DiscordError(404, UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def member(self, guild: Guild, user_id: str) -> Member:
        member = guild.members.get(_int(user_id))
        if member is None:
            raise DiscordError(404, UNKNOWN_MEMBER, "Unknown Member")
        return member

    def role(self, guild: Guild, role_id: str | int) -> Role:
        role = guild.roles.get(_int(role_id))
        if role is None:
            raise DiscordError(404, UNKNOWN_ROLE, "Unknown Role")
        return role

    def message(self, channel: Channel, message_id: str) -> Message:
        message = self.world.channel_messages(channel.id).get(_int(message_id))
        if message is None or message.ephemeral:
            raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return message

    def bot_perms(self, guild: Guild, channel: Channel | None = None) -> int:
        bot = guild.members[self.em.bot_user.id]
        return channel_permissions(guild, channel, bot) if channel else base_permissions(guild, bot)

    def readable(self, channel: Channel) -> None:
        """The bot must see a guild channel (403 Missing Access otherwise)."""
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            if not self.bot_perms(guild, channel) & Perm.VIEW_CHANNEL:
                raise DiscordError(403, MISSING_ACCESS, "Missing Access")


def _int(value: str | int) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def register_routes(em: Emulator) -> None:
    find = Lookups(em)
    world = em.world
    messages = em.messages
    route = em.route

    # -- identity and gateway ------------------------------------------------------------------------

    @route("GET", "/users/@me")
    async def get_me(api: ApiRequest) -> Any:
        return {
            **em.bot_user.to_json(),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
        }

    @route("GET", "/users/{user_id}")
    async def get_user(api: ApiRequest) -> Any:
        user = world.users.get(_int(api.params["user_id"]))
        if user is None:
            raise DiscordError(404, UNKNOWN_USER, "Unknown User")
        return user.to_json()

    @route("GET", "/oauth2/applications/@me")
    async def get_application(api: ApiRequest) -> Any:
        return em.application_payload()

    route("GET", "/applications/@me")(get_application)

    @route("GET", "/gateway/bot")
    async def gateway_bot(api: ApiRequest) -> Any:
        return {
            "url": em.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    @route("GET", "/gateway", auth=False)
    async def gateway(api: ApiRequest) -> Any:
        return {"url": em.gateway_url}

    # -- application commands ------------------------------------------------------------------------

    def command_scope(api: ApiRequest) -> int | None:
        if api.params["application_id"] != str(em.application_id):
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        if "guild_id" in api.params:
            return find.guild(api.params["guild_id"]).id
        return None

    def store_command(
        scope: int | None, body: dict[str, Any], previous: list[dict[str, Any]]
    ) -> dict[str, Any]:
        kind = body.get("type", 1)
        old = next((c for c in previous if c["name"] == body["name"] and c["type"] == kind), None)
        command: dict[str, Any] = {
            "type": kind,
            "description": "" if kind != 1 else body.get("description", ""),
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
            "contexts": None,
            "integration_types": [0],
            **body,
            "id": old["id"] if old else str(em.ids.next()),
            "application_id": str(em.application_id),
            "version": str(em.ids.next()),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    @route("PUT", "/applications/{application_id}/commands")
    async def bulk_overwrite(api: ApiRequest) -> Any:
        scope = command_scope(api)
        body = api.json if isinstance(api.json, list) else []
        validate_commands(body)
        previous = em.commands.get(scope, [])
        em.commands[scope] = [store_command(scope, c, previous) for c in body]
        return em.commands[scope]

    route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")(bulk_overwrite)

    @route("GET", "/applications/{application_id}/commands")
    async def list_commands(api: ApiRequest) -> Any:
        return em.commands.get(command_scope(api), [])

    route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")(list_commands)

    # Before ``.../commands/{command_id}``: "permissions" is not a command id.
    register_command_permission_routes(em)

    @route("GET", "/applications/{application_id}/commands/{command_id}")
    async def get_command(api: ApiRequest) -> Any:
        for command in em.commands.get(command_scope(api), []):
            if command["id"] == api.params["command_id"]:
                return command
        raise DiscordError(404, UNKNOWN_APPLICATION_COMMAND, "Unknown application command")

    route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")(get_command)

    # -- guilds, channels, roles -----------------------------------------------------------------------

    @route("GET", "/guilds/{guild_id}")
    async def get_guild(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        data = guild.to_json(world, members=False)
        if api.query.get("with_counts") in ("true", "1"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return data

    @route("GET", "/guilds/{guild_id}/channels")
    async def get_channels(api: ApiRequest) -> Any:
        return [c.to_json() for c in find.guild(api.params["guild_id"]).channels.values()]

    @route("GET", "/guilds/{guild_id}/roles")
    async def get_roles(api: ApiRequest) -> Any:
        return [r.to_json() for r in find.guild(api.params["guild_id"]).roles.values()]

    @route("POST", "/guilds/{guild_id}/roles")
    async def create_role(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        if not find.bot_perms(guild) & Perm.MANAGE_ROLES:
            raise missing_permissions()
        body = api.json or {}
        role = em.add_role(
            body.get("name") or "new role",
            permissions=int(body.get("permissions") or 0),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
            guild=guild,
        )
        return role.to_json()

    @route("GET", "/channels/{channel_id}")
    async def get_channel(api: ApiRequest) -> Any:
        channel = find.channel(api.params["channel_id"])
        find.readable(channel)
        return channel.to_json(world)

    # -- messages --------------------------------------------------------------------------------------

    @route("POST", "/channels/{channel_id}/messages")
    async def create_message(api: ApiRequest) -> Any:
        channel = find.channel(api.params["channel_id"])
        payload = api.json if isinstance(api.json, dict) else {}
        if channel.guild_id is not None:
            guild = world.guilds[channel.guild_id]
            perms = find.bot_perms(guild, channel)
            if not perms & Perm.VIEW_CHANNEL:
                raise DiscordError(403, MISSING_ACCESS, "Missing Access")
            if not perms & Perm.SEND_MESSAGES or (api.files and not perms & Perm.ATTACH_FILES):
                raise missing_permissions()
        else:
            recipient = world.users.get(channel.recipient_id or 0)
            if recipient is None or not recipient.dms_open or recipient.bot:
                raise DiscordError(403, CANNOT_SEND_TO_USER, "Cannot send messages to this user")
        validate_message(payload, has_files=bool(api.files))
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            existing = messages.find_by_nonce(em.bot_user, channel, nonce)
            if existing is not None:
                return existing.to_json(world)
        attachments = messages.attachments_from(api, payload, channel)
        return messages.create(channel, em.bot_user, payload, attachments).to_json(world)

    @route("GET", "/channels/{channel_id}/messages")
    async def history(api: ApiRequest) -> Any:
        channel = find.channel(api.params["channel_id"])
        find.readable(channel)
        if channel.guild_id is not None:
            guild = world.guilds[channel.guild_id]
            if not find.bot_perms(guild, channel) & Perm.READ_MESSAGE_HISTORY:
                return []
        limit = max(1, min(100, int(api.query.get("limit", 50))))
        found = sorted(
            (m for m in world.channel_messages(channel.id).values() if not m.ephemeral),
            key=lambda m: m.id,
            reverse=True,
        )
        if "before" in api.query:
            found = [m for m in found if m.id < int(api.query["before"])]
        if "after" in api.query:
            found = [m for m in found if m.id > int(api.query["after"])][-limit:]
        if "around" in api.query:
            pivot = int(api.query["around"])
            older = [m for m in found if m.id <= pivot][: (limit + 1) // 2]
            newer = [m for m in found if m.id > pivot][-(limit // 2) :] if limit // 2 else []
            found = newer + older
        return [m.to_json(world) for m in found[:limit]]

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(api: ApiRequest) -> Any:
        channel = find.channel(api.params["channel_id"])
        find.readable(channel)
        return find.message(channel, api.params["message_id"]).to_json(world)

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit_message(api: ApiRequest) -> Any:
        channel = find.channel(api.params["channel_id"])
        find.readable(channel)
        message = find.message(channel, api.params["message_id"])
        if message.author.id != em.bot_user.id or message.webhook_id is not None:
            raise DiscordError(
                403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        payload = api.json if isinstance(api.json, dict) else {}
        validate_message(payload, creating=False)
        attachments = messages.attachments_from(api, payload, channel)
        return messages.edit(message, payload, attachments).to_json(world)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(api: ApiRequest) -> None:
        channel = find.channel(api.params["channel_id"])
        find.readable(channel)
        message = find.message(channel, api.params["message_id"])
        others = message.author.id != em.bot_user.id and channel.guild_id is not None
        if others and not find.bot_perms(world.guilds[channel.guild_id], channel) & Perm.MANAGE_MESSAGES:
            raise missing_permissions()
        messages.delete(message)

    @route("POST", "/users/@me/channels")
    async def open_dm(api: ApiRequest) -> Any:
        user = world.users.get(_int((api.json or {}).get("recipient_id", 0)))
        if user is None:
            raise DiscordError(404, UNKNOWN_USER, "Unknown User")
        return em.dm_channel(user).to_json(world)

    # -- members and roles -----------------------------------------------------------------------------

    def can_manage_role(guild: Guild, role: Role) -> None:
        """MANAGE_ROLES plus the hierarchy: only roles below the bot's highest role."""
        if not find.bot_perms(guild) & Perm.MANAGE_ROLES:
            raise missing_permissions()
        if role.id == guild.id or role.managed or role.position >= highest_position(guild, em.bot_member):
            raise missing_permissions()

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        return find.member(guild, api.params["user_id"]).to_json()

    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        limit = max(1, min(1000, int(api.query.get("limit", 1))))
        after = int(api.query.get("after", 0))
        found = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.to_json() for m in found[:limit]]

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def add_member_role(api: ApiRequest) -> None:
        guild = find.guild(api.params["guild_id"])
        member = find.member(guild, api.params["user_id"])
        role = find.role(guild, api.params["role_id"])
        can_manage_role(guild, role)
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            em.member_updated(member)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def remove_member_role(api: ApiRequest) -> None:
        guild = find.guild(api.params["guild_id"])
        member = find.member(guild, api.params["user_id"])
        role = find.role(guild, api.params["role_id"])
        can_manage_role(guild, role)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            em.member_updated(member)

    @route("PATCH", "/guilds/{guild_id}/members/{user_id}")
    async def edit_member(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        member = find.member(guild, api.params["user_id"])
        body = api.json or {}
        if "nick" in body:
            is_self = member.id == em.bot_user.id
            needed = Perm.CHANGE_NICKNAME if is_self else Perm.MANAGE_NICKNAMES
            if not find.bot_perms(guild) & needed:
                raise missing_permissions()
            if not is_self and highest_position(guild, member) >= highest_position(guild, em.bot_member):
                raise missing_permissions()
        if "roles" in body and body["roles"] is not None:
            wanted = [find.role(guild, r).id for r in body["roles"]]
            for role_id in set(wanted) ^ set(member.role_ids):
                can_manage_role(guild, guild.roles[role_id])
        if "nick" in body:
            member.nick = body["nick"] or None
        if "roles" in body and body["roles"] is not None:
            member.role_ids = list(dict.fromkeys(wanted))
        em.member_updated(member)
        return member.to_json()

    # -- scheduled events ------------------------------------------------------------------------------

    def event_or_404(guild: Guild, event_id: str) -> dict[str, Any]:
        event = guild.scheduled_events.get(_int(event_id))
        if event is None:
            raise DiscordError(404, UNKNOWN_GUILD_SCHEDULED_EVENT, "Unknown Guild Scheduled Event")
        return event

    def event_now() -> dt.datetime:
        # Discord's "now", moved on with the emulator clock by ``advance()``.
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=em.clock_offset)

    def channel_type(guild: Guild) -> Any:
        def lookup(channel_id: Any) -> int | None:
            channel = guild.channels.get(_int(str(channel_id)))
            return channel.type if channel is not None else None

        return lookup

    def require_events_permission(guild: Guild, event: dict[str, Any] | None) -> None:
        """Create: CREATE_EVENTS. Modify/delete: MANAGE_EVENTS, or CREATE_EVENTS when the bot
        created the event (resources/guild-scheduled-event, Permissions Requirements)."""
        perms = find.bot_perms(guild)
        if event is None:
            allowed = Perm.CREATE_EVENTS
        elif event.get("creator_id") == str(em.bot_user.id):
            allowed = Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS
        else:
            allowed = Perm.MANAGE_EVENTS
        if not perms & allowed:
            raise missing_permissions()

    def require_channel_permissions(guild: Guild, event: dict[str, Any]) -> None:
        """Stage events need Manage Channels, Mute and Move Members in the channel; voice events
        View Channel and Connect."""
        kind = event.get("entity_type")
        if kind not in (1, 2):
            return
        channel = guild.channels.get(_int(str(event.get("channel_id"))))
        if channel is None:
            return
        needed = (
            Perm.MANAGE_CHANNELS | Perm.MUTE_MEMBERS | Perm.MOVE_MEMBERS
            if kind == 1
            else Perm.VIEW_CHANNEL | Perm.CONNECT
        )
        if find.bot_perms(guild, channel) & needed != needed:
            raise missing_permissions()

    def image_hash(image: Any) -> str | None:
        return hashlib.md5(image.encode()).hexdigest() if isinstance(image, str) and image else None

    @route("GET", "/guilds/{guild_id}/scheduled-events")
    async def list_events(api: ApiRequest) -> Any:
        return list(find.guild(api.params["guild_id"]).scheduled_events.values())

    @route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def get_event(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        return event_or_404(guild, api.params["event_id"])

    @route("POST", "/guilds/{guild_id}/scheduled-events")
    async def create_event(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        require_events_permission(guild, None)
        changes = validate_scheduled_event(api.json, now=event_now(), channel_type=channel_type(guild))
        require_channel_permissions(guild, changes)
        unfinished = [e for e in guild.scheduled_events.values() if e["status"] in (1, 2)]
        if len(unfinished) >= MAX_UNFINISHED_EVENTS:
            raise DiscordError(
                400,
                MAX_EVENTS_REACHED,
                f"Maximum number of uncompleted guild scheduled events reached ({MAX_UNFINISHED_EVENTS})",
            )
        event_id = em.ids.next()
        event: dict[str, Any] = {
            "description": None,
            "scheduled_end_time": None,
            "entity_metadata": None,
            "channel_id": None,
            "recurrence_rule": None,
            **changes,
            "image": image_hash(changes.get("image")),
            "id": str(event_id),
            "guild_id": str(guild.id),
            "creator_id": str(em.bot_user.id),
            "creator": em.bot_user.to_json(),
            "status": 1,
            "entity_id": None,
            "user_count": 0,
        }
        guild.scheduled_events[event_id] = event
        em.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        return event

    @route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def edit_event(api: ApiRequest) -> Any:
        guild = find.guild(api.params["guild_id"])
        event = event_or_404(guild, api.params["event_id"])
        require_events_permission(guild, event)
        changes = validate_scheduled_event(api.json, event, now=event_now(), channel_type=channel_type(guild))
        require_channel_permissions(guild, {**event, **changes})
        if "image" in changes:
            changes["image"] = image_hash(changes["image"])
        if changes.get("entity_type") == 3:
            changes["channel_id"] = None
        event.update(changes)
        em.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return event

    @route("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def delete_event(api: ApiRequest) -> None:
        guild = find.guild(api.params["guild_id"])
        event = event_or_404(guild, api.params["event_id"])
        require_events_permission(guild, event)
        require_channel_permissions(guild, event)
        del guild.scheduled_events[int(event["id"])]
        em.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)

    # -- interactions ----------------------------------------------------------------------------------

    inter = em.interactions
    route("POST", "/interactions/{interaction_id}/{token}/callback", auth=False)(inter.callback)
    route("POST", "/webhooks/{application_id}/{token}", auth=False)(inter.create_followup)
    for method, handler in (
        ("GET", inter.get_message),
        ("PATCH", inter.edit_message),
        ("DELETE", inter.delete_message),
    ):
        route(method, "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)(handler)
