"""The project's own bot, running against the loopback Discord emulator.

    async def test_something(cisip: BotHarness) -> None:
        alice = cisip.discord.add_member("alice")
        reply = await cisip.discord.slash(alice, "status")

The bot gets a fresh SQLite database (upgraded like ``cisip-bot run`` does) and a clock the
test can move (``cisip.clock.advance(days=7)``). ``cisip.restart()`` stops the bot and starts a
new process's worth of bot on the same database and emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.client import CisipBot
from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.scheduler import MovableClock
from tests.fakediscord import connected
from tests.fakediscord.dsl import FakeDiscord

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class BotHarness:
    discord: FakeDiscord
    settings: Settings
    clock: MovableClock
    bot: CisipBot = field(init=False)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> CisipBot:
        database = Database(self.settings.database_url)
        await upgrade(database)
        # A test's last step may leave a handler waiting on a view: stop it soon.
        self.bot = CisipBot(self.settings, database=database, clock=self.clock, shutdown_grace=0.5)
        # As `cisip-bot run` does: the one process on this database takes back what the last ran.
        await self.bot.scheduler.reclaim_all_running()
        await self._stack.enter_async_context(connected(self.bot, self.discord))
        return self.bot

    async def stop(self) -> None:
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()

    async def restart(self) -> CisipBot:
        await self.stop()
        return await self.start()

    async def eventually(self, check: Callable[[], Awaitable[bool]], *, within: float = 3.0) -> None:
        """Wait for work the bot does beside a reply (a listener, a background write)."""
        deadline = asyncio.get_running_loop().time() + within
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "the bot did not get there in time"
            await asyncio.sleep(0.01)


def bot_settings(discord: FakeDiscord, tmp_path: Path) -> Settings:
    return Settings(
        discord_token=discord.token,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        data_dir=tmp_path,
        discord_api_base_url=discord.api_base_url,
        discord_gateway_url=discord.gateway_url,
    )


@pytest.fixture
async def cisip(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(fake_discord, bot_settings(fake_discord, tmp_path), MovableClock(START))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
