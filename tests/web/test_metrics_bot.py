"""The bot reports what it does to /metrics: every slash command by outcome, with its latency, and
every DM by outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot import metrics
from bot.db.models import ScheduledJob
from bot.services.membership import WELCOME_KIND
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


def dms(outcome: str) -> float:
    return samples(metrics.exposition().decode()).get(("cisip_dms_total", (("outcome", outcome),)), 0.0)


async def test_direct_messages_are_counted_by_outcome(cisip: BotHarness) -> None:  # noqa: F811
    """A report delivered to a subscriber and to one whose DMs are closed: one of each."""
    from tests.cogs.reports.test_reports import delivered, publish, reports_channel, staff, subscribe

    admin = staff(cisip)
    await reports_channel(cisip, admin)
    alice = cisip.discord.add_member("alice")
    shut = cisip.discord.add_member("shut", dms_open=False)
    await subscribe(cisip, alice, shut)

    async def welcomed() -> bool:  # the joins' welcome DMs are counted too: let them go first
        async with cisip.bot.db.session() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(ScheduledJob)
                .where(ScheduledJob.kind == WELCOME_KIND, ScheduledJob.status.in_(("pending", "running")))
            )
        return waiting == 0

    await cisip.eventually(welcomed)
    sent, closed = dms("sent"), dms("dms_closed")
    await publish(cisip, admin, url="https://cisip.org/r.pdf", visibility="public")
    await delivered(cisip)
    assert (dms("sent"), dms("dms_closed")) == (sent + 1, closed + 1)
