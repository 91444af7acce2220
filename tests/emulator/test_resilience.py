"""Rate limits, injected server faults and gateway trouble, as a discord.py bot lives through them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord, connected

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e

MEMBERS = discord.Intents.default() | discord.Intents(members=True)


async def eventually(check: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def general_of(bot: discord.Client, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_bot_waits_out_a_429_and_retries(fake_discord: FakeDiscord) -> None:
    async with connected(make_bot(), fake_discord) as bot:
        channel = await general_of(bot, fake_discord)
        # discord.py pre-empts per-route limits it has seen, so the global limit is what bites.
        fake_discord.ratelimits.enable(per_route=50, period=1.0, global_per_second=2)
        started = time.monotonic()
        for n in range(3):
            await channel.send(f"message {n}")
        elapsed = time.monotonic() - started
    assert fake_discord.ratelimits.total_429s >= 1
    assert [m.content for m in fake_discord.messages_in("general")] == ["message 0", "message 1", "message 2"]
    assert 0 < elapsed < 2.5


async def test_429_shape_and_headers(fake_discord: FakeDiscord) -> None:
    fake_discord.ratelimits.enable(global_per_second=None)
    fake_discord.ratelimits.limit_route("GET", "/users/@me", limit=1, period=0.5)
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(fake_discord.api_base_url + "/users/@me") as first:
            assert first.status == 200
            assert first.headers["X-RateLimit-Limit"] == "1"
            assert first.headers["X-RateLimit-Remaining"] == "0"
            assert "X-RateLimit-Bucket" in first.headers and "X-RateLimit-Reset-After" in first.headers
        async with session.get(fake_discord.api_base_url + "/users/@me") as second:
            body = json.loads(await second.text())
            assert second.status == 429
            assert second.headers["X-RateLimit-Scope"] == "user"
            assert "Retry-After" in second.headers
    assert body["message"] == "You are being rate limited."
    assert body["global"] is False and 0 < body["retry_after"] <= 0.5
    assert fake_discord.ratelimits.hits["GET /users/@me"] == 1


async def test_server_error_then_success(fake_discord: FakeDiscord) -> None:
    async with connected(make_bot(), fake_discord) as bot:
        channel = await general_of(bot, fake_discord)
        fault = fake_discord.faults.fail("POST", "/channels/*/messages", status=500)
        await channel.send("after a hiccup")  # discord.py retries 5xx after a second
        fake_discord.faults.fail("POST", "/channels/*/messages", status=503)
        with pytest.raises(discord.DiscordServerError):
            await channel.send("503 is not retried")
    assert fault.hits == 1
    posts = fake_discord.em.requests_to("POST", "/channels/{channel_id}/messages")
    assert [r.status for r in posts] == [500, 200, 503]
    assert [m.content for m in fake_discord.messages_in("general")] == ["after a hiccup"]


async def test_hanging_route(fake_discord: FakeDiscord) -> None:
    fake_discord.faults.hang("GET", "/users/@me")
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        with pytest.raises(asyncio.TimeoutError):
            async with asyncio.timeout(0.2):
                await session.get(fake_discord.api_base_url + "/users/@me")


async def test_gateway_resume_replays_missed_events(fake_discord: FakeDiscord) -> None:
    async with connected(make_bot(MEMBERS), fake_discord) as bot:
        resumed = asyncio.Event()

        async def on_resumed() -> None:
            resumed.set()

        bot.add_listener(on_resumed)
        await fake_discord.drop_connection()
        late = fake_discord.add_member("late")  # dispatched while the bot is away
        await asyncio.wait_for(resumed.wait(), 5)
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        await eventually(lambda: guild.get_member(late.id) is not None)
    assert fake_discord.gateway.resumes == 1
    assert fake_discord.gateway.identifies == 1


async def test_reconnect_and_invalid_session(fake_discord: FakeDiscord) -> None:
    async with connected(make_bot(), fake_discord):
        fake_discord.send_reconnect()
        await eventually(lambda: fake_discord.gateway.resumes == 1)
        fake_discord.invalidate_session(resumable=False)
        await eventually(lambda: fake_discord.gateway.identifies == 2)
        alice = fake_discord.add_member("alice")
        await fake_discord.wait_connected()
    assert alice.user.username == "alice"


async def test_bad_token_is_closed_with_4004(fake_discord: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(fake_discord.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0, "properties": {}}})
        closed = await ws.receive()
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4004


async def test_zlib_stream_and_heartbeat(fake_discord: FakeDiscord) -> None:
    import zlib

    inflate = zlib.decompressobj()
    url = fake_discord.gateway_url + "?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = json.loads(inflate.decompress(await ws.receive_bytes()))
        assert hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 1, "d": None})
        assert json.loads(inflate.decompress(await ws.receive_bytes())) == {"op": 11}
