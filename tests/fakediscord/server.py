"""The emulator process: an aiohttp server on 127.0.0.1 speaking REST v10 and the gateway.

Every REST call goes through one handler that records it, applies injected faults and rate
limits, checks the bot token, then dispatches to the route table in ``rest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import DiscordError
from .gateway import Gateway, Intent
from .ratelimit import Faults, RateLimits, is_interaction_route, major_parameter
from .state import (
    DEFAULT_EVERYONE,
    Channel,
    ChannelType,
    Guild,
    Member,
    Perm,
    Role,
    User,
    World,
)

API_PREFIX = "/api/v10"
RECORDED_HEADERS = ("Content-Type", "X-Audit-Log-Reason", "User-Agent")

# The bot's own role by default: what a typical moderation/community bot is granted.
DEFAULT_BOT_PERMISSIONS = (
    DEFAULT_EVERYONE
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_EVENTS
    | Perm.CREATE_EVENTS
    | Perm.MANAGE_MESSAGES
    | Perm.MANAGE_NICKNAMES
)


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class ApiRequest:
    """One REST call as the route handlers see it (and as tests read it in ``requests``)."""

    method: str
    path: str  # after /api/v10, without the query
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    route: str | None = None  # matched template, e.g. "/channels/{channel_id}/messages"
    params: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # what the emulator answered

    @property
    def authorized(self) -> bool:
        return "Authorization" in self.headers


Handler = Callable[[ApiRequest], Awaitable[Any]]


@dataclass
class RouteEntry:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    needs_auth: bool


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.compile(f"^{regex}$")


class Emulator:
    """A loopback Discord: state, REST, gateway, and the knobs tests turn."""

    def __init__(self, *, token: str = "emulator-bot-token", guild_name: str = "CISIP Test") -> None:
        self.token = token
        self.world = World()
        self.ids = self.world.ids
        self.application_id = self.ids.next()
        self.bot_user = User(self.application_id, "CISIP Bot", bot=True)
        self.world.users[self.bot_user.id] = self.bot_user
        self.gateway = Gateway(self)
        self.ratelimits = RateLimits()
        self.faults = Faults()
        self.requests: list[ApiRequest] = []
        self.interaction_timeout = 3.0  # seconds to send the initial response
        self.token_lifetime = 15 * 60.0  # interaction tokens
        self.clock_offset = 0.0  # tests move time forward instead of sleeping
        self._routes: list[RouteEntry] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.guild = self._create_default_guild(guild_name)

        from .command_permissions import CommandPermissions
        from .interactions import Interactions
        from .messages import Messages
        from .rest import register_routes

        self.messages = Messages(self)
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # scope (guild id or None) -> commands
        self.interactions = Interactions(self)
        self.command_permissions = CommandPermissions(self)  # overwrites set in Server Settings
        register_routes(self)

    # -- time --------------------------------------------------------------------------------------

    def now(self) -> float:
        return asyncio.get_running_loop().time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Pretend ``seconds`` passed (interaction deadlines, token expiry)."""
        self.clock_offset += seconds

    # -- URLs --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> Emulator:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        self.faults.release.set()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- world set-up ------------------------------------------------------------------------------

    def _create_default_guild(self, name: str) -> Guild:
        owner = User(self.ids.next(), "owner")
        self.world.users[owner.id] = owner
        guild = Guild(self.ids.next(), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE, position=0)
        self.world.guilds[guild.id] = guild
        bot_role = Role(
            self.ids.next(), guild.id, "CISIP Bot", DEFAULT_BOT_PERMISSIONS, position=1, managed=True
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner, guild.id)
        guild.members[self.bot_user.id] = Member(self.bot_user, guild.id, [bot_role.id])
        general = Channel(self.ids.next(), ChannelType.GUILD_TEXT, "general", guild.id)
        guild.channels[general.id] = general
        self.world.channels[general.id] = general
        return guild

    @property
    def bot_member(self) -> Member:
        return self.guild.members[self.bot_user.id]

    # -- world changes (dispatched to connected bots like Discord would) -------------------------------

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        position: int = 1,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        guild: Guild | None = None,
    ) -> Role:
        """New roles go in at ``position`` (1: just above @everyone), pushing the others up."""
        guild = guild or self.guild
        position = max(1, position)
        for other in guild.roles.values():
            if other.id != guild.id and other.position >= position:
                other.position += 1
                self.gateway.dispatch(
                    "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": other.to_json()}
                )
        role = Role(self.ids.next(), guild.id, name, permissions, position, color, hoist, mentionable)
        guild.roles[role.id] = role
        self.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()})
        return role

    def role_updated(self, role: Role) -> None:
        self.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(role.guild_id), "role": role.to_json()})

    def add_member(
        self,
        username: str,
        *,
        roles: list[Role] | None = None,
        dms_open: bool = True,
        nick: str | None = None,
        bot: bool = False,
        locale: str = "en-US",
        guild: Guild | None = None,
    ) -> Member:
        guild = guild or self.guild
        user = User(self.ids.next(), username, bot=bot, dms_open=dms_open, locale=locale)
        self.world.users[user.id] = user
        member = Member(user, guild.id, [r.id for r in roles or []], nick)
        guild.members[user.id] = member
        self.gateway.dispatch("GUILD_MEMBER_ADD", {**member.to_json(), "guild_id": str(guild.id)})
        return member

    def member_updated(self, member: Member) -> None:
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", {**member.to_json(), "guild_id": str(member.guild_id)})

    def remove_member(self, member: Member) -> None:
        guild = self.world.guilds[member.guild_id]
        guild.members.pop(member.id, None)
        self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.to_json()}
        )

    def add_channel(
        self,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        topic: str | None = None,
        parent: Channel | None = None,
        guild: Guild | None = None,
    ) -> Channel:
        guild = guild or self.guild
        channel = Channel(
            self.ids.next(),
            type,
            name,
            guild.id,
            position=len(guild.channels),
            topic=topic,
            parent_id=parent.id if parent else None,
        )
        guild.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        self.gateway.dispatch("CHANNEL_CREATE", channel.to_json())
        return channel

    def channel_updated(self, channel: Channel) -> None:
        self.gateway.dispatch("CHANNEL_UPDATE", channel.to_json(), intent=Intent.GUILDS)

    def dm_channel(self, user: User) -> Channel:
        for channel in self.world.channels.values():
            if channel.type == ChannelType.DM and channel.recipient_id == user.id:
                return channel
        channel = Channel(self.ids.next(), ChannelType.DM, recipient_id=user.id)
        self.world.channels[channel.id] = channel
        return channel

    def ready_payload(self, session_id: str, guild_ids: list[int] | None = None) -> dict[str, Any]:
        """READY lists the guilds of the session's shard (all of them by default)."""
        guild_ids = list(self.world.guilds) if guild_ids is None else guild_ids
        return {
            "v": 10,
            "user": {**self.bot_user.to_json(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }

    def guild_create_payload(self, guild: Guild, intents: int) -> dict[str, Any]:
        data = guild.to_json(self.world)
        if not intents & Intent.GUILD_MEMBERS:
            # Without the privileged intent Discord only sends the bot's own member.
            data["members"] = [m.to_json() for m in guild.members.values() if m.id == self.bot_user.id]
        return data

    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.to_json(),
            "owner": self.world.users[self.guild.owner_id].to_json(),
            "summary": "",
            "verify_key": "0" * 64,
            "team": None,
            "flags": 0,
            "approximate_guild_count": len(self.world.guilds),
        }

    # -- REST plumbing -----------------------------------------------------------------------------

    def route(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append(RouteEntry(method, template, _compile(template), handler, auth))
            return handler

        return register

    def requests_to(self, method: str, route: str) -> list[ApiRequest]:
        """Recorded calls to one route template, e.g. ``("POST", "/channels/{channel_id}/messages")``."""
        return [r for r in self.requests if r.method == method.upper() and r.route == route]

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        api = ApiRequest(
            request.method,
            path,
            dict(request.query),
            {k: v for k, v in request.headers.items() if k in RECORDED_HEADERS or k == "Authorization"},
        )
        self.requests.append(api)
        try:
            await _read_body(request, api)
        except (ValueError, UnicodeDecodeError):
            return self._reply(api, 400, {"message": "400: Bad Request", "code": 50109})
        api.headers.pop("Authorization", None)
        auth = request.headers.get("Authorization")

        entry, params = self._match(api.method, path)
        if entry is not None:
            api.route, api.params = entry.template, params

        fault = self.faults.take(api.method, path)
        if fault is not None and not fault.after:
            if fault.status is None:
                await self.faults.release.wait()
                return self._reply(api, 503, {"message": "upstream connect error", "code": 0})
            return self._reply(api, fault.status, {"message": f"{fault.status}: Server Error", "code": 0})

        if entry is None:
            return self._reply(api, 404, {"message": "404: Not Found", "code": 0})
        if entry.needs_auth and auth != f"Bot {self.token}":
            return self._reply(api, 401, {"message": "401: Unauthorized", "code": 0})

        verdict = self.ratelimits.check(
            api.method,
            entry.template,
            major_parameter(entry.template, params),
            global_limited=not is_interaction_route(entry.template),
        )
        if verdict.refused is not None:
            # discord.py only treats a 429 as a rate limit when it carries a Via header (Cloudflare
            # bans come without one), and real Discord answers through Google's front end.
            headers = {**verdict.headers, "Via": "1.1 google"}
            return self._reply(api, 429, verdict.refused, headers)
        try:
            result = await entry.handler(api)
        except DiscordError as exc:
            return self._reply(api, exc.status, exc.to_json(), verdict.headers)
        finally:
            if fault is not None and fault.after:
                await self.faults.release.wait()
        if isinstance(result, tuple):
            status, body = result
        else:
            status, body = (204, None) if result is None else (200, result)
        return self._reply(api, status, body, verdict.headers)

    def _match(self, method: str, path: str) -> tuple[RouteEntry | None, dict[str, str]]:
        for entry in self._routes:
            if entry.method != method:
                continue
            m = entry.pattern.match(path)
            if m:
                return entry, m.groupdict()
        return None, {}

    def _reply(
        self, api: ApiRequest, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        api.status = status
        if body is None:
            return web.Response(status=status, headers=headers)
        # Exactly "application/json" (no charset): discord.py compares the header verbatim.
        all_headers = {**(headers or {}), "Content-Type": "application/json"}
        return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)

    async def _not_found(self, request: web.Request) -> web.Response:
        body = json.dumps({"message": "404: Not Found", "code": 0}).encode()
        return web.Response(status=404, body=body, headers={"Content-Type": "application/json"})

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        attachment = self.world.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    def attachment_url(self, attachment_id: int, filename: str) -> str:
        return f"{self.base_url}/attachments/{attachment_id}/{filename}"


async def _read_body(request: web.Request, api: ApiRequest) -> None:
    """JSON bodies, or multipart with ``payload_json`` and ``files[n]`` (reference, Uploading Files)."""
    if request.content_type == "application/json":
        raw = await request.read()
        api.json = json.loads(raw) if raw else None
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            if part.name == "payload_json":
                api.json = json.loads(data)
            elif part.filename is not None:
                content_type = part.headers.get("Content-Type")
                api.files.append(UploadedFile(part.name or "", part.filename, content_type, bytes(data)))
    else:
        with contextlib.suppress(Exception):
            await request.read()
