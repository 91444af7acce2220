"""Per-server settings: validation, and a cache that never serves a value older than a write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.db.database import Database
from bot.errors import DomainError
from bot.scheduler import MovableClock
from bot.services.guild_settings import GuildSettingsService


async def test_defaults_then_changes(database: Database) -> None:
    service = GuildSettingsService(database, MovableClock())
    config = await service.get(1)
    assert (config.timezone, config.language, config.channel("welcome"), config.role("staff")) == (
        "UTC",
        "en",
        None,
        None,
    )
    await service.set_channel(1, "welcome", 10)
    await service.set_role(1, "staff", 20)
    await service.set_timezone(1, "asia/shanghai")
    await service.set_language(1, "zh-CN")
    fresh = await GuildSettingsService(database, MovableClock()).get(1)  # another process
    assert (fresh.channel("welcome"), fresh.role("staff"), fresh.timezone, fresh.language) == (
        10,
        20,
        "Asia/Shanghai",
        "zh-CN",
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.set_channel(1, "lobby", 5), "There is no 'lobby' channel setting."),
        (lambda s: s.set_role(1, "admin", 5), "There is no 'admin' role setting."),
        (lambda s: s.set_timezone(1, "Moon/Base"), "Unknown time zone 'Moon/Base'"),
        (lambda s: s.set_language(1, "xx"), "Language 'xx' is not available"),
        (lambda s: s.set_timezone(1, "\u200b\x00"), "The time zone cannot be empty."),
        (lambda s: s.set_timezone(1, "UTC" * 2000), "The time zone can be at most 64 characters long"),
        (lambda s: s.set_channel(1, "welcome", 2**64), "The channel must be from 1 to"),
        (lambda s: s.set_role(1, "staff", 2**63), "The role must be from 1 to"),
        (
            lambda s: s.set_channel(1, "\x00" + "x" * 6000, 5),
            "There is no '" + "x" * 40 + "' channel setting.",
        ),
    ],
)
async def test_bad_values_are_refused_and_nothing_is_stored(
    database: Database, call: object, message: str
) -> None:
    service = GuildSettingsService(database, MovableClock())
    with pytest.raises(DomainError) as error:
        await call(service)  # type: ignore[operator]
    assert str(error.value).startswith(message)
    assert (await GuildSettingsService(database, MovableClock()).get(1)).channels == dict.fromkeys(
        ("welcome", "announcements", "workshops", "reports", "verification", "audit")
    )


async def test_a_read_racing_a_write_does_not_cache_the_old_value(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = GuildSettingsService(database, MovableClock())
    await service.set_language(1, "en")
    service._cache.clear()
    gate = asyncio.Event()
    open_session = database.session

    @asynccontextmanager
    async def slow_session() -> AsyncIterator[Any]:
        async with open_session() as session:
            read_row = session.get

            async def get(*args: Any, **kwargs: Any) -> Any:
                row = await read_row(*args, **kwargs)
                await gate.wait()  # the old row is read; hold it while a write lands
                return row

            session.get = get  # type: ignore[method-assign]
            yield session

    monkeypatch.setattr(database, "session", slow_session)
    read = asyncio.ensure_future(service.get(1))
    await asyncio.sleep(0.05)
    await service.set_language(1, "zh-CN")
    gate.set()
    assert (await read).language == "en"  # that read saw the old row...
    assert (await service.get(1)).language == "zh-CN"  # ...but did not cache it over the write


async def test_a_zone_is_cleaned_before_it_is_looked_up(database: Database) -> None:
    service = GuildSettingsService(database, MovableClock())
    config = await service.set_timezone(1, "\u200b asia/SHANGHAI\x00 ")
    assert config.timezone == "Asia/Shanghai"
