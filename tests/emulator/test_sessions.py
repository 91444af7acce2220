"""Several clients on one token (several processes, or shards): Discord sends every dispatch to every
session of the event's shard, and accepts one initial response per interaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, connected
from tests.fakediscord.ratelimit import INTERACTION_CALLBACK

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e

MEMBERS = discord.Intents.default() | discord.Intents(members=True)


async def eventually(check: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def joins_seen(bot: commands.Bot) -> list[str]:
    seen: list[str] = []

    async def on_member_join(member: discord.Member) -> None:
        seen.append(member.name)

    bot.add_listener(on_member_join)
    return seen


def interactions_seen(bot: commands.Bot) -> list[int]:
    seen: list[int] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        seen.append(interaction.id)

    bot.add_listener(on_interaction)
    return seen


def callbacks(fake: FakeDiscord) -> list[int]:
    """The status of every initial response the bots sent and the emulator answered."""
    return [r.status for r in fake.em.requests_to("POST", INTERACTION_CALLBACK) if r.status is not None]


def shard(bot: commands.Bot, shard_id: int, shard_count: int) -> None:
    """What ``commands.Bot(shard_id=..., shard_count=...)`` would set (``make_bot`` takes no options)."""
    bot.shard_id, bot.shard_count = shard_id, shard_count
    bot._connection.shard_count = shard_count


def errors_of(bot: commands.Bot) -> list[discord.HTTPException]:
    """What the bot's command handlers raised towards Discord (discord.py logs them otherwise)."""
    raised: list[discord.HTTPException] = []

    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        cause = getattr(error, "original", error)
        assert isinstance(cause, discord.HTTPException), repr(error)
        raised.append(cause)

    bot.tree.on_error = on_error  # type: ignore[method-assign]
    return raised


async def test_two_clients_on_one_token_both_see_a_member_join(fake_discord: FakeDiscord) -> None:
    first, second = make_bot(MEMBERS), make_bot(MEMBERS)
    seen_first, seen_second = joins_seen(first), joins_seen(second)
    async with connected(first, fake_discord), connected(second, fake_discord):
        assert len(fake_discord.gateway.sessions) == 2
        fake_discord.add_member("alice")
        await eventually(lambda: seen_first == ["alice"] and seen_second == ["alice"])
        # Both hold the newcomer in their cache, as each process of a real bot would.
        assert first.guilds[0].get_member(fake_discord.member("alice").id) is not None
        assert second.guilds[0].get_member(fake_discord.member("alice").id) is not None


async def test_the_first_answer_wins_and_the_second_is_told_40060(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    first, second = make_bot(), make_bot()
    raised_first, raised_second = errors_of(first), errors_of(second)
    async with connected(first, fake_discord, sync_commands=True), connected(second, fake_discord):
        reply = await fake_discord.slash(alice, "ping")
        await eventually(lambda: len(callbacks(fake_discord)) == 2 and len(raised_first + raised_second) == 1)
    assert reply.content == "pong" and reply.interaction.events == ["callback"]
    # One "pong" in the channel, not two: the loser's callback was refused, not carried out.
    assert [m.content for m in fake_discord.messages_in("general")] == ["pong"]
    assert sorted(callbacks(fake_discord)) in ([200, 400], [204, 400])
    (refusal,) = raised_first + raised_second
    assert (refusal.status, refusal.code, refusal.text) == (
        400,
        40060,
        "Interaction has already been acknowledged.",
    )


async def test_a_second_callback_gets_discords_error_body(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    first, second = make_bot(), make_bot()
    async with connected(first, fake_discord, sync_commands=True), connected(second, fake_discord):
        inter = (await fake_discord.slash(alice, "ping")).interaction
        await eventually(lambda: len(callbacks(fake_discord)) == 2)
        # A third answer, raw, as any client library reads it (interactions/receiving-and-responding).
        url = f"{fake_discord.api_base_url}/interactions/{inter.id}/{inter.token}/callback"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"type": 4, "data": {"content": "late"}}) as resp,
        ):
            assert resp.status == 400
            assert await resp.json() == {
                "code": 40060,
                "message": "Interaction has already been acknowledged.",
            }
    assert [m.content for m in fake_discord.messages_in("general")] == ["pong"]


async def test_shards_get_only_their_guilds_events_and_dms_go_to_shard_0(fake_discord: FakeDiscord) -> None:
    guild_shard = (fake_discord.guild.id >> 22) % 2
    shards = [make_bot(MEMBERS), make_bot(MEMBERS)]
    for number, bot in enumerate(shards):
        shard(bot, number, 2)
    seen = [joins_seen(bot) for bot in shards]
    answered = [interactions_seen(bot) for bot in shards]
    alice = fake_discord.add_member("alice")
    async with connected(shards[0], fake_discord, sync_commands=True), connected(shards[1], fake_discord):
        assert [len(bot.guilds) for bot in shards] == [int(n == guild_shard) for n in (0, 1)]
        fake_discord.add_member("bob")
        await eventually(lambda: seen[guild_shard] == ["bob"])
        in_guild = await fake_discord.slash(alice, "ping")
        in_dm = await fake_discord.slash(alice, "ping", in_channel=fake_discord.dm_channel(alice))
        await asyncio.sleep(0.1)  # the other shard would have answered by now
    assert seen[1 - guild_shard] == []
    assert in_guild.content == in_dm.content == "pong"
    # A guild's interaction reaches its shard only; a DM's, shard 0 only; each answered once.
    assert in_guild.interaction.id in answered[guild_shard]
    assert in_guild.interaction.id not in answered[1 - guild_shard]
    assert in_dm.interaction.id in answered[0] and in_dm.interaction.id not in answered[1]
    assert len(callbacks(fake_discord)) == 2 and 400 not in callbacks(fake_discord)


async def test_an_invalid_shard_is_refused_with_4010(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    shard(bot, 2, 2)
    with pytest.raises(discord.ConnectionClosed) as closed:
        async with connected(bot, fake_discord, ready_within=3):
            pass
    assert closed.value.code == 4010
    assert fake_discord.gateway.sessions == {}
