"""The site served by an event loop in a thread of its own, for clients that block (schemathesis'
requests, Selenium's browser): the same services, over a fresh database of the test's backend."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.db.models_workshops import Workshop
from bot.scheduler import MovableClock
from bot.services.container import Services
from bot.web.app import create_app
from bot.web.core import WebConfig
from tests.conftest import database_url_for
from tests.web.conftest import GUILD, NOW, form, member


class ThreadedSite:
    """The site served on a free port by an event loop in another thread."""

    def __init__(self, backend: str, tmp_path: Path, *, base_url: str = "https://cisip.example.org") -> None:
        self.backend, self.tmp_path, self.base_url = backend, tmp_path, base_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def __enter__(self) -> ThreadedSite:
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(120)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _start(self) -> int:
        self.database = Database(await database_url_for(self.backend, self.tmp_path))
        await upgrade(self.database)
        settings = Settings(discord_token=None, database_url=self.database.url, data_dir=self.tmp_path)
        services = Services.build(settings, self.database, MovableClock(NOW, ticking=False))
        await services.parks.seed()
        self.workshop: Workshop = await services.workshops.create(GUILD, 1, form())
        await services.workshops.register(self.workshop.id, member(10))
        await services.reports.publish(
            GUILD,
            title="Public",
            year=2026,
            summary="S",
            language="en",
            publisher_id=1,
            visibility="public",
            url="https://cisip.example.org/p.pdf",
        )
        config = WebConfig(base_url=self.base_url, guild_id=GUILD, search_burst=10**9)
        self.runner = web.AppRunner(create_app(services, config))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return int(self.runner.addresses[0][1])

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.database.dispose()
