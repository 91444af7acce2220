"""The web site over real services on every database backend, through aiohttp's test client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.db.database import Database
from bot.scheduler import MovableClock
from bot.services.access import Person
from bot.services.container import Services
from bot.services.workshops import WorkshopForm
from bot.web.app import create_app
from bot.web.core import WebConfig
from bot.web.site import Runtime

GUILD = 424242424242424242
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://cisip.example.org"
PDF = b"%PDF-1.4\n% a tiny test report\n%%EOF\n"

ClientFactory = Callable[..., "AsyncIterator[TestClient]"]


def form(**changes: object) -> WorkshopForm:
    values: dict[str, object] = {
        "title": "Science Park Management Workshop",
        "starts": "2027-08-20 09:00",
        "ends": "2027-08-22 17:00",
        "location": "Tianjin",
        "description": "The yearly workshop.",
        "timezone": "Asia/Shanghai",
        "capacity": 3,
        "members_only": False,
    }
    values.update(changes)
    return WorkshopForm(**values)  # type: ignore[arg-type]


def member(user_id: int) -> Person:
    return Person(user_id, GUILD)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW, ticking=False)


@pytest.fixture
async def services(database: Database, clock: MovableClock, tmp_path: Path) -> Services:
    settings = Settings(discord_token=None, database_url=database.url, data_dir=tmp_path)
    services = Services.build(settings, database, clock)
    await services.parks.seed()
    return services


async def make_client(
    services: Services, config: WebConfig | None = None, runtime: Runtime | None = None
) -> TestClient:
    app = create_app(services, config or WebConfig(base_url=BASE, guild_id=GUILD), runtime)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    client = await make_client(services)
    yield client
    await client.close()
