"""Serving the site on WEB_HOST:WEB_PORT inside a running event loop (the bot's, or `cisip-bot web`'s)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.services.container import Services
from bot.web.app import create_app
from bot.web.core import CONFIG, WebConfig
from bot.web.site import Runtime

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, services: Services, config: WebConfig, runtime: Runtime, host: str, port: int) -> None:
        self.app = create_app(services, config, runtime)
        self.host, self.port = host, port
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; OSError when the address is taken or cannot be used."""
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await self.runner.cleanup()
            self.runner = None
            raise
        log.info(
            "web pages on http://%s:%d (public address %s)", self.host, self.port, self.app_config.base_url
        )

    @property
    def app_config(self) -> WebConfig:
        return self.app[CONFIG]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
