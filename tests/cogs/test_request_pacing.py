"""Every request the bot makes is paced under Discord's global limit (bot.ui.pacing), whatever
makes it, while a member's command is answered without waiting behind it."""

from __future__ import annotations

import asyncio

import discord

from tests.cogs.conftest import BotHarness


async def test_a_burst_of_requests_meets_no_429_and_interactions_are_not_held(cisip: BotHarness) -> None:
    fake = cisip.discord
    alice = fake.add_member("alice")
    channels = [fake.add_channel(f"news-{n}") for n in range(10)]

    async def known() -> bool:
        return all(cisip.bot.get_channel(c.id) is not None for c in channels)

    await cisip.eventually(known)
    # Discord's global limit, and per-route buckets wide enough to leave only the global one.
    fake.ratelimits.enable(per_route=1000, period=1.0, global_per_second=50)
    loop = asyncio.get_running_loop()

    async def post(n: int) -> None:
        channel = cisip.bot.get_channel(channels[n % len(channels)].id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send(f"post {n}")

    started = loop.time()
    burst = asyncio.gather(*(post(n) for n in range(150)))
    await asyncio.sleep(0.3)  # the burst is under way
    asked = loop.time()
    reply = await fake.slash(alice, "status")
    answered = loop.time() - asked
    await burst
    took = loop.time() - started

    assert reply.embeds  # /status answered while 150 posts queued for their slots
    assert fake.ratelimits.total_429s == 0, fake.ratelimits.hits
    assert sum(len(fake.messages_in(c)) for c in channels) == 150
    assert took >= 150 / 49 - 0.5  # paced: at most 49 requests in any second
    assert answered < took / 2  # the interaction callback is not held behind the posts
