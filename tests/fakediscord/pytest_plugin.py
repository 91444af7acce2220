"""Pytest fixtures for the loopback Discord emulator.

- ``fake_discord``: a running emulator (guild "CISIP Test" with #general, an owner, and the
  bot's member holding the "CISIP Bot" role), as the ``FakeDiscord`` DSL.
- ``connected(client, fake_discord, sync_commands=True)``: async context manager that runs a
  discord.py client against it (import it from ``tests.fakediscord``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .dsl import FakeDiscord
from .server import Emulator


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    emulator = await Emulator().start()
    try:
        yield FakeDiscord(emulator)
    finally:
        await emulator.stop()
