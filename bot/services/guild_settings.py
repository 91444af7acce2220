"""Per-server settings: channels, roles, time zone and language chosen by staff with /setup."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bot.db.database import Database, claim_row
from bot.db.models import GuildSettings
from bot.errors import DomainError
from bot.fields import CHANNEL_ID, ROLE_ID, TIMEZONE, canonical_text
from bot.i18n import Listing, _, available_languages
from bot.scheduler.clock import Clock
from bot.scheduler.recurrence import zone

# A channel or role chosen in Discord, as its column keeps it (a client can send any snowflake).

# What each setting is for, in the order /setup shows them.
CHANNEL_KINDS: dict[str, str] = {
    "welcome": _("Welcome"),
    "announcements": _("Announcements"),
    "workshops": _("Workshops"),
    "reports": _("Reports"),
    "verification": _("Verification queue"),
    "audit": _("Audit log"),
}
# Roles the bot gives and takes itself (it needs Manage Roles and a higher role); the staff role is
# only read.
ASSIGNABLE_ROLES = frozenset({"verified", "unverified"})
ROLE_KINDS: dict[str, str] = {
    "staff": _("Staff"),
    "verified": _("Verified member"),
    "unverified": _("Unverified"),
}


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    channels: dict[str, int | None] = field(default_factory=dict)
    roles: dict[str, int | None] = field(default_factory=dict)
    timezone: str = "UTC"
    language: str = "en"

    def channel(self, kind: str) -> int | None:
        return self.channels.get(kind)

    def role(self, kind: str) -> int | None:
        return self.roles.get(kind)


def check_zone(name: str) -> str:
    """An IANA zone's own name (``asia/shanghai`` -> ``Asia/Shanghai``), cleaned as a ``TIMEZONE``."""
    return zone(TIMEZONE.clean(name)).key


def _shown(value: object) -> str:
    """A setting's name as a refusal quotes it."""
    return canonical_text(str(value))[:40]


def _to_config(row: GuildSettings | None, guild_id: int) -> GuildConfig:
    if row is None:
        return GuildConfig(guild_id, dict.fromkeys(CHANNEL_KINDS), dict.fromkeys(ROLE_KINDS))
    return GuildConfig(
        guild_id=guild_id,
        channels={kind: getattr(row, f"{kind}_channel_id") for kind in CHANNEL_KINDS},
        roles={kind: getattr(row, f"{kind}_role_id") for kind in ROLE_KINDS},
        timezone=row.timezone,
        language=row.language,
    )


class GuildSettingsService:
    """Reads are cached briefly per process (every reply needs the server's language); writes
    through here refresh the cache at once, and another process's writes show within the TTL."""

    CACHE_SECONDS = 30.0

    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock
        self._cache: dict[int, tuple[float, GuildConfig]] = {}
        # Bumped by every write, so a read that started before a write cannot cache the old row.
        self._writes: dict[int, int] = {}
        self._loading: dict[int, asyncio.Future[GuildConfig]] = {}

    async def get(self, guild_id: int) -> GuildConfig:
        cached = self._cache.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < self.CACHE_SECONDS:
            return cached[1]
        # A thousand clicks arriving at once after the cache expired make one read, not a thousand.
        loading = self._loading.get(guild_id)
        if loading is None:
            loading = self._loading[guild_id] = asyncio.ensure_future(self._load(guild_id))
            loading.add_done_callback(lambda _done: self._loading.pop(guild_id, None))
        return await asyncio.shield(loading)

    async def _load(self, guild_id: int) -> GuildConfig:
        writes_before = self._writes.get(guild_id, 0)
        async with self.db.session() as session:
            row = await session.get(GuildSettings, guild_id)
        config = _to_config(row, guild_id)
        if self._writes.get(guild_id, 0) == writes_before:
            self._remember(config)
        return config

    def _remember(self, config: GuildConfig) -> GuildConfig:
        self._cache[config.guild_id] = (time.monotonic(), config)
        return config

    async def _update(self, guild_id: int, **values: object) -> GuildConfig:
        async with self.db.transaction() as session:
            defaults = {"timezone": "UTC", "language": "en", "updated_at": self.clock.now()}
            row = await claim_row(session, GuildSettings, defaults, guild_id=guild_id)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self.clock.now()
        self._writes[guild_id] = self._writes.get(guild_id, 0) + 1
        return self._remember(_to_config(row, guild_id))

    async def set_channel(self, guild_id: int, kind: str, channel_id: int | None) -> GuildConfig:
        if kind not in CHANNEL_KINDS:
            raise DomainError(_("There is no '{kind}' channel setting."), kind=_shown(kind))
        if channel_id is not None:
            channel_id = CHANNEL_ID.check(channel_id)
        return await self._update(guild_id, **{f"{kind}_channel_id": channel_id})

    async def set_role(self, guild_id: int, kind: str, role_id: int | None) -> GuildConfig:
        if kind not in ROLE_KINDS:
            raise DomainError(_("There is no '{kind}' role setting."), kind=_shown(kind))
        if role_id is not None:
            role_id = ROLE_ID.check(role_id)
        return await self._update(guild_id, **{f"{kind}_role_id": role_id})

    async def set_timezone(self, guild_id: int, name: str) -> GuildConfig:
        return await self._update(guild_id, timezone=check_zone(name))

    async def set_language(self, guild_id: int, language: str) -> GuildConfig:
        if language not in available_languages():
            raise DomainError(
                _("Language '{language}' is not available; choose one of: {languages}."),
                language=_shown(language)[:20],
                languages=Listing.of(available_languages()),
            )
        return await self._update(guild_id, language=language)
