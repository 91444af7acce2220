"""The language each user last used is remembered, written only when it changes, and erasable."""

from __future__ import annotations

import asyncio

from bot.db.database import Database
from bot.scheduler import MovableClock
from bot.services.user_locales import UserLocaleService


async def test_a_locale_is_remembered_and_seen_by_another_process(database: Database) -> None:
    service = UserLocaleService(database, MovableClock())
    assert await service.get(7) is None
    assert await service.record(7, "zh-CN") is True
    assert await UserLocaleService(database, MovableClock()).get(7) == "zh-CN"


async def test_only_a_change_of_language_is_written(database: Database) -> None:
    service = UserLocaleService(database, MovableClock())
    assert await service.record(7, "zh-CN") is True
    assert await service.record(7, "zh-CN") is False
    assert await service.record(7, "en-US") is True
    assert await UserLocaleService(database, MovableClock()).get(7) == "en-US"


async def test_two_first_interactions_at_once_do_not_fail(database: Database) -> None:
    first, second = UserLocaleService(database, MovableClock()), UserLocaleService(database, MovableClock())
    await asyncio.gather(first.record(7, "zh-CN"), second.record(7, "ru"))
    assert await UserLocaleService(database, MovableClock()).get(7) in {"zh-CN", "ru"}


async def test_forget_erases_the_locale(database: Database) -> None:
    service = UserLocaleService(database, MovableClock())
    await service.record(7, "zh-CN")
    await service.forget(7)
    assert await service.get(7) is None
    assert await UserLocaleService(database, MovableClock()).get(7) is None
