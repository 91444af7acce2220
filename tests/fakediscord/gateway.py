"""The gateway (events/gateway): HELLO, IDENTIFY/READY, heartbeats, RESUME, dispatches.

Each IDENTIFY opens a session that numbers its dispatches and keeps them, so a client that
reconnects with RESUME gets exactly the events it missed. Frames go out through one writer
task per connection so dispatching stays synchronous for callers and ordered on the wire.

As on Discord, several sessions may share one token (several processes, or shards): every
dispatch goes to every identified session on the event's shard (topics/gateway, Sharding): a
guild's events to the shards where ``(guild_id >> 22) % num_shards == shard_id``, DMs to shard 0;
a session that sent no ``shard`` is ``[0, 1]`` and gets everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import Emulator

log = logging.getLogger(__name__)


class Intent:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16


EVENT_INTENTS: dict[str, int] = {
    "GUILD_MEMBER_ADD": Intent.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intent.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intent.GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": Intent.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": Intent.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": Intent.GUILD_SCHEDULED_EVENTS,
    "GUILD_ROLE_CREATE": Intent.GUILDS,
    "GUILD_ROLE_UPDATE": Intent.GUILDS,
    "GUILD_ROLE_DELETE": Intent.GUILDS,
    "CHANNEL_CREATE": Intent.GUILDS,
}


@dataclass
class Connection:
    ws: web.WebSocketResponse
    compress: bool
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    deflate: Any = field(default_factory=zlib.compressobj)

    def encode(self, payload: dict[str, Any]) -> bytes | str:
        text = json.dumps(payload, separators=(",", ":"))
        if not self.compress:
            return text
        # zlib-stream: one shared context, each message ends with a Z_SYNC_FLUSH marker.
        return self.deflate.compress(text.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH)


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int] = (0, 1)  # [shard_id, num_shards] from IDENTIFY
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, for RESUME
    connection: Connection | None = None

    def on_shard(self, guild_id: int | None) -> bool:
        """Whether this session gets the events of ``guild_id`` (None: a DM, shard 0's)."""
        shard_id, num_shards = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % num_shards == shard_id


def guild_of(data: dict[str, Any]) -> int | None:
    """The guild a dispatch belongs to; every guild event carries ``guild_id`` (or is the guild)."""
    raw = data.get("guild_id")
    return int(raw) if raw else None


class Gateway:
    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.sessions: dict[str, Session] = {}
        self.heartbeat_interval_ms = 41_250
        self.identifies = 0
        self.resumes = 0
        self.connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.received: list[dict[str, Any]] = []  # every frame clients sent, for assertions
        self.refuse_next = 0  # this many next handshakes are answered 503, as in a Discord outage

    # -- dispatching -----------------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int | None = None,
        redacted: dict[str, Any] | None = None,
    ) -> None:
        """Send a dispatch to every session on its shard whose intents cover it (buffered while
        disconnected): two processes on one token both get it, as on Discord.

        ``redacted`` is what sessions without the MESSAGE_CONTENT intent get instead.
        """
        needed = EVENT_INTENTS.get(event) if intent is None else intent
        guild_id = guild_of(data)
        for session in self.sessions.values():
            if needed and not session.intents & needed:
                continue
            if not session.on_shard(guild_id):
                continue
            body = redacted if redacted is not None and not session.intents & Intent.MESSAGE_CONTENT else data
            self._dispatch_to(session, event, body)

    def message_intent(self, guild_id: int | None) -> int:
        return Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES

    @property
    def is_connected(self) -> bool:
        return any(s.connection is not None for s in self.sessions.values())

    # -- faults ----------------------------------------------------------------------------------

    async def drop(self, code: int = 4000) -> None:
        """Close every connection as Discord does on a server-side hiccup; sessions stay resumable."""
        for session in self.sessions.values():
            conn = session.connection
            if conn is not None:
                session.connection = None
                conn.queue.put_nowait(None)
                await conn.ws.close(code=code)
        self.connected.clear()

    def send_op(self, op: int, data: Any = None) -> None:
        for session in self.sessions.values():
            if session.connection is not None:
                session.connection.queue.put_nowait({"op": op, "d": data})

    def request_reconnect(self) -> None:
        self.send_op(7)

    def invalidate_session(self, resumable: bool = False) -> None:
        self.send_op(9, resumable)

    # -- connection handling ---------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return web.Response(status=503, text="upstream connect error")
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, compress=request.query.get("compress") == "zlib-stream")
        writer = asyncio.create_task(self._writer(conn))
        self._tasks.add(writer)
        writer.add_done_callback(self._tasks.discard)
        conn.queue.put_nowait({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.received.append(frame)
                session = await self._on_frame(conn, session, frame)
        finally:
            if session is not None and session.connection is conn:
                session.connection = None
            if not self.is_connected:
                self.connected.clear()
            conn.queue.put_nowait(None)
        return ws

    async def _writer(self, conn: Connection) -> None:
        while True:
            frame = await conn.queue.get()
            if frame is None or conn.ws.closed:
                return
            data = conn.encode(frame)
            try:
                if isinstance(data, bytes):
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(data)
            except (ConnectionError, RuntimeError):
                return

    async def _on_frame(
        self, conn: Connection, session: Session | None, frame: dict[str, Any]
    ) -> Session | None:
        op, raw = frame.get("op"), frame.get("d")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}  # a heartbeat's is a number
        if op == 1:
            conn.queue.put_nowait({"op": 11})
        elif op == 2:
            if data.get("token") != self.em.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return session
            shard = data.get("shard") or [0, 1]
            if not _valid_shard(shard):
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return session
            self.identifies += 1
            session = Session(uuid.uuid4().hex, int(data.get("intents", 0)), (shard[0], shard[1]))
            self.sessions[session.id] = session
            session.connection = conn
            guilds = [g for g in self.em.world.guilds.values() if session.on_shard(g.id)]
            ready = self.em.ready_payload(session.id, [g.id for g in guilds])
            if data.get("shard") is not None:
                ready["shard"] = list(session.shard)
            self._dispatch_to(session, "READY", ready)
            for guild in guilds:
                self._dispatch_to(
                    session, "GUILD_CREATE", self.em.guild_create_payload(guild, session.intents)
                )
            self.connected.set()
        elif op == 6:
            session = self.sessions.get(data.get("session_id", ""))
            if session is None or data.get("token") != self.em.token:
                conn.queue.put_nowait({"op": 9, "d": False})
                return None
            self.resumes += 1
            session.connection = conn
            last = data.get("seq") or 0
            for missed in session.sent:
                if missed["s"] > last:
                    conn.queue.put_nowait(missed)
            self._dispatch_to(session, "RESUMED", {})
            self.connected.set()
        elif op == 8 and session is not None:
            self._members_chunk(session, data)
        return session

    def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(frame)
        if session.connection is not None:
            session.connection.queue.put_nowait(frame)

    def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.em.world.guilds.get(int(data["guild_id"]))
        if guild is None or not session.intents & Intent.GUILD_MEMBERS or not session.on_shard(guild.id):
            return
        query = (data.get("query") or "").lower()
        ids = {int(u) for u in data.get("user_ids") or []}
        limit = data.get("limit") or 0
        members = [
            m
            for m in guild.members.values()
            if (m.id in ids if ids else m.user.username.lower().startswith(query))
        ]
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.to_json() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if ids:
            chunk["not_found"] = [str(u) for u in ids - {m.id for m in members}]
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def close(self) -> None:
        for session in self.sessions.values():
            conn = session.connection
            if conn is not None:
                session.connection = None
                conn.queue.put_nowait(None)
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001)
        for task in list(self._tasks):
            task.cancel()
        self.connected.clear()


def _valid_shard(shard: Any) -> bool:
    """``[shard_id, num_shards]`` with 0 <= shard_id < num_shards, else Discord closes with 4010."""
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
        and 0 <= shard[0] < shard[1]
    )
