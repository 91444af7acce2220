"""Fixtures of the membership tests: a local SMTP server and the bot sending mail to it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from bot.scheduler import MovableClock
from tests.cogs.conftest import START, BotHarness, bot_settings
from tests.cogs.membership.support import Inbox, free_port
from tests.fakediscord.dsl import FakeDiscord


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def cisip(
    fake_discord: FakeDiscord, tmp_path: Path, inbox: tuple[Inbox, int]
) -> AsyncIterator[BotHarness]:
    """The bot, with SMTP pointing at the local inbox (no TLS: it is a loopback test server)."""
    settings = dataclasses.replace(
        bot_settings(fake_discord, tmp_path),
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        smtp_security="none",
        mail_from="verify@cisip.example.org",
        secret_key="test-secret-key-0123456789",
    )
    harness = BotHarness(fake_discord, settings, MovableClock(START, ticking=False))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def mail(inbox: tuple[Inbox, int]) -> Inbox:
    return inbox[0]
