"""The workshop tests' world: staff, a verified role, the workshops and audit channels, set up."""

from __future__ import annotations

import pytest

from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_workshops import World


@pytest.fixture
async def world(cisip: BotHarness) -> World:
    w = World(cisip)
    await w.configure()
    return w
