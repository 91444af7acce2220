"""One leader per database: only the process holding the lock connects to Discord and runs the scheduler.

Discord sends every event to every connected process, so two bot processes on one database would
both answer interactions and welcome newcomers. Whoever holds the lock leads; the others wait.

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held by a dedicated asyncpg
  connection, outside SQLAlchemy's pool. A standby retries every ``retry`` seconds; the server frees
  the lock the moment the leader's session ends (a crash, a kill, a lost network), so holding it
  proves the old leader is gone. A watchdog checks the lock connection every ``watch_every``
  seconds (and asyncpg reports a closed connection at once): a leader whose connection is gone
  no longer holds the lock, and must stop before the next leader starts. Who leads is read from
  the server (``pg_locks`` joined to ``pg_stat_activity.application_name`` of the holder).
* SQLite: an exclusive ``flock`` on ``<database>.lock`` beside the file, held for the process's life;
  the lock file says who holds it. A second process refuses to start. In-memory databases are exempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import sqlite_path

log = logging.getLogger(__name__)

LEADER_RETRY = 3.0  # seconds between a standby's attempts at the lock
WATCH_EVERY = 2.0  # seconds between checks of the leader's lock connection
WATCH_TIMEOUT = 5.0  # a check unanswered this long means the lock connection is gone
# The advisory lock's key (one bigint, shared by every cisip-bot on a database): "CISIP" in ASCII.
LOCK_KEY = 0x4349534950
APP_PREFIX = "cisip-bot"
_APP_NAME_MAX = 63  # PostgreSQL keeps this many bytes of application_name


class AnotherProcessRuns(Exception):
    """A second ``cisip-bot run`` on the same SQLite file (the message says which, and what to do)."""


@dataclass(frozen=True)
class Leader:
    host: str
    pid: int
    since: datetime | None

    def describe(self) -> str:
        since = f" since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"{self.host} pid {self.pid}{since}"


def me(since: datetime | None = None) -> Leader:
    return Leader(socket.gethostname().split(".", 1)[0] or "localhost", os.getpid(), since)


def _application_name(leader: Leader, role: str) -> str:
    stamp = str(int(leader.since.timestamp())) if leader.since else "0"
    fixed = f"{APP_PREFIX} {role}  {leader.pid} {stamp}"
    host = leader.host[: max(1, _APP_NAME_MAX - len(fixed))]
    return f"{APP_PREFIX} {role} {host} {leader.pid} {stamp}"


def _parse_application_name(name: str | None, backend_pid: int) -> Leader:
    parts = (name or "").split()
    if len(parts) == 5 and parts[0] == APP_PREFIX and parts[3].isdigit() and parts[4].isdigit():
        stamp = int(parts[4])
        return Leader(parts[2], int(parts[3]), datetime.fromtimestamp(stamp, UTC) if stamp else None)
    # Not one of ours (or an older one): the server's session is all we can name.
    return Leader(f"database session {name or '?'}", backend_pid, None)


_HOLDER = """
SELECT a.application_name, a.pid
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid = $1 AND l.objid = $2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
LIMIT 1
"""


def _key_parts(key: int) -> tuple[int, int]:
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


def asyncpg_dsn(database_url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg takes, from the bot's SQLAlchemy URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Leadership:
    """The advisory lock on a dedicated PostgreSQL connection (see the module's docstring)."""

    def __init__(
        self,
        database_url: str,
        *,
        retry: float = LEADER_RETRY,
        watch_every: float = WATCH_EVERY,
        watch_timeout: float = WATCH_TIMEOUT,
        key: int = LOCK_KEY,
        connect_timeout: float = 10.0,
    ) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.retry = retry
        self.watch_every = watch_every
        self.watch_timeout = watch_timeout
        self.key = key
        self.connect_timeout = connect_timeout
        self.leader: Leader | None = None  # this process, once it leads
        self._conn: asyncpg.Connection | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._on_lost: Callable[[str], Any] | None = None
        self._released = False

    @property
    def leads(self) -> bool:
        return self.leader is not None and not self._lost.is_set()

    async def _connect(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self.dsn,
                timeout=self.connect_timeout,
                server_settings={"application_name": _application_name(me(), "standby")},
            )
        return self._conn

    async def try_lead(self) -> bool:
        """One attempt at the lock. Connection errors are raised (the caller decides)."""
        conn = await self._connect()
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
            return False
        self.leader = me(datetime.now(UTC))
        await conn.execute(
            "SELECT set_config('application_name', $1, false)", _application_name(self.leader, "leader")
        )
        conn.add_termination_listener(self._terminated)
        return True

    async def holder(self) -> Leader | None:
        """Who holds the lock now, as the server sees it (None: nobody leads)."""
        conn = await self._connect()
        row = await conn.fetchrow(_HOLDER, *_key_parts(self.key))
        return _parse_application_name(row[0], row[1]) if row else None

    async def wait_to_lead(self, on_standby: Callable[[Leader | None], None] | None = None) -> None:
        """Return once this process holds the lock; until then try every ``retry`` seconds.

        ``on_standby(leader)`` is called when this process first waits, and whenever the leader it
        waits for changes. A connection that fails while waiting is opened again at the next try
        (one WARNING line); the first connection's failure is raised.
        """
        unset = object()
        reported: object = unset  # the leader last reported, as (host, pid), or None
        first = True
        while True:
            try:
                if await self.try_lead():
                    return
                current = await self.holder()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                if first:
                    raise
                await self._close_quietly()
                if reported != "failed":
                    log.warning("standby: the database connection failed (%s); trying again", _one_line(exc))
                reported = "failed"
            else:
                first = False
                key = (current.host, current.pid) if current else None
                if reported is unset or key != reported:
                    if on_standby is not None:
                        on_standby(current)
                    reported = key
            await asyncio.sleep(self.retry)

    def watch(self, on_lost: Callable[[str], Any]) -> None:
        """Call ``on_lost(reason)`` once, as soon as the lock connection is found gone."""
        self._on_lost = on_lost
        if self._watchdog is None:
            self._watchdog = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while not self._lost.is_set() and not self._released:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.watch_every)
            if self._lost.is_set() or self._released:
                break
            conn = self._conn
            try:
                if conn is None or conn.is_closed():
                    raise ConnectionError("the lock connection is closed")
                await asyncio.wait_for(conn.fetchval("SELECT 1"), self.watch_timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                self._lose(f"the database did not answer within {self.watch_timeout:g}s")
            except Exception as exc:
                self._lose(_one_line(exc))

    def _terminated(self, _conn: Any) -> None:
        if not self._released:
            self._lose("the lock connection was closed")

    def _lose(self, reason: str) -> None:
        if self._lost.is_set() or self._released:
            return
        self._lost.set()
        if self._on_lost is not None:
            self._on_lost(reason)

    async def release(self) -> None:
        """Give the lock back (closing its connection): a standby takes over within ``retry`` seconds."""
        self._released = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watchdog
            self._watchdog = None
        await self._close_quietly()

    async def _close_quietly(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()


class SqliteLock:
    """An exclusive ``flock`` on ``<database>.lock``, held until :meth:`release` or the process ends."""

    def __init__(self, database_path: Path) -> None:
        self.database_path = database_path
        self.path = database_path.with_name(database_path.name + ".lock")
        self.leader: Leader | None = None
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`AnotherProcessRuns` naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            holder = read_sqlite_holder(self.path)
            who = f"pid {holder.pid}" if holder else "pid unknown"
            raise AnotherProcessRuns(
                f"another cisip-bot process ({who}) is running on {self.database_path}: stop it first"
            ) from None
        self._fd = fd
        self.leader = me(datetime.now(UTC))
        os.ftruncate(fd, 0)
        since = int(self.leader.since.timestamp()) if self.leader.since else 0
        os.write(fd, f"{self.leader.host} {self.leader.pid} {since}\n".encode())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor frees the lock


def read_sqlite_holder(lock_path: Path) -> Leader | None:
    """Who the lock file names (what the holder wrote), or None."""
    try:
        parts = lock_path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return Leader(parts[0], int(parts[1]), datetime.fromtimestamp(int(parts[2]), UTC))


def sqlite_leader(database_url: str) -> Leader | None:
    """The process holding the SQLite file's lock, or None when no ``cisip-bot run`` holds it."""
    path = sqlite_path(database_url)
    if path is None:
        return None
    lock_path = path.with_name(path.name + ".lock")
    if not lock_path.exists():
        return None
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return read_sqlite_holder(lock_path)  # held: its holder wrote its name
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


async def postgres_leader(conn: AsyncConnection, key: int = LOCK_KEY) -> Leader | None:
    """Who holds the advisory lock, read over a SQLAlchemy connection (for /status and check)."""
    classid, objid = _key_parts(key)
    query = _HOLDER.replace("$1", ":classid").replace("$2", ":objid")
    row = (await conn.execute(text(query), {"classid": classid, "objid": objid})).first()
    return _parse_application_name(row[0], row[1]) if row else None


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
