"""The bot reports what it does to /metrics: every slash command by outcome, with its latency, and
every DM by outcome."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from bot import metrics
from bot.services.delivery import Outcome
from bot.ui.dm import send_dm
from tests.cogs.conftest import BotHarness, cisip  # noqa: F401  (the bot on the emulator)
from tests.web.test_ops import samples

pytestmark = pytest.mark.e2e


def count(command: str, outcome: str) -> float:
    values = samples(metrics.exposition().decode())
    return values.get(("cisip_interactions_total", (("command", command), ("outcome", outcome))), 0.0)


def timed(command: str) -> float:
    values = samples(metrics.exposition().decode())
    return values.get(("cisip_interaction_seconds_count", (("command", command),)), 0.0)


async def test_slash_commands_are_counted_by_outcome(cisip: BotHarness) -> None:  # noqa: F811
    alice = cisip.discord.add_member("alice")
    ok, failed, observed = count("status", "ok"), count("setup show", "failed"), timed("status")
    reply = await cisip.discord.slash(alice, "status")
    assert reply.embeds
    refused = await cisip.discord.slash(alice, "setup show")  # staff only: refused
    assert refused.ephemeral
    assert count("status", "ok") == ok + 1
    assert timed("status") == observed + 1
    assert count("setup show", "failed") == failed + 1


class _Member:
    """Someone to DM: ``send`` succeeds, or Discord refuses it as it does for closed DMs."""

    def __init__(self, user_id: int, *, closed: bool) -> None:
        self.id, self.closed = user_id, closed

    async def send(self, **_options: object) -> None:
        if self.closed:
            response = SimpleNamespace(status=403, reason="Forbidden")
            raise discord.Forbidden(response, {"code": 50007, "message": "Cannot send messages to this user"})  # type: ignore[arg-type]


def dms(outcome: str) -> float:
    return samples(metrics.exposition().decode()).get(("cisip_dms_total", (("outcome", outcome),)), 0.0)


async def test_direct_messages_are_counted_by_outcome() -> None:
    sent, closed = dms("sent"), dms("dms_closed")
    client = SimpleNamespace()
    assert await send_dm(client, _Member(1, closed=False), "hello") is Outcome.SENT  # type: ignore[arg-type]
    assert await send_dm(client, _Member(2, closed=True), "hello") is Outcome.DMS_CLOSED  # type: ignore[arg-type]
    assert (dms("sent"), dms("dms_closed")) == (sent + 1, closed + 1)
