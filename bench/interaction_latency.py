"""Interaction latency through the loopback Discord emulator.

    python bench/interaction_latency.py [--count 1000]

Sends ``count`` sequential slash commands and measures, for each, the time from the emulator
dispatching INTERACTION_CREATE to the bot's callback arriving. Target (DESIGN.md): the project's
bot at most 2x a bare discord.py reply on the same emulator. Prints figures; asserts nothing.

Add a target by writing a client factory and calling ``measure(factory, "command", count)``;
``prepare`` may set up the emulator (members, roles, channels) before the client connects.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakediscord import Emulator, FakeDiscord, connected

ClientFactory = Callable[[FakeDiscord], discord.Client]
Prepare = Callable[[FakeDiscord], Awaitable[None]]


def bare_bot(fake: FakeDiscord) -> discord.Client:
    """A bare discord.py bot that answers ``/ping`` at once: the baseline."""
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())

    @bot.tree.command(description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    return bot


async def measure(
    client_factory: ClientFactory,
    command: str,
    count: int,
    *,
    options: dict[str, Any] | None = None,
    prepare: Prepare | None = None,
    warmup: int = 20,
) -> list[float]:
    """Seconds from INTERACTION_CREATE to the callback, for ``count`` sequential ``/command``s."""
    emulator = await Emulator().start()
    fake = FakeDiscord(emulator)
    try:
        member = fake.add_member("bench")
        if prepare is not None:
            await prepare(fake)
        async with connected(client_factory(fake), fake, sync_commands=True):
            latencies: list[float] = []
            for n in range(warmup + count):
                reply = await fake.slash(member, command, options=options or {})
                inter = reply.interaction
                assert inter.responded_wall is not None
                if n >= warmup:
                    latencies.append(inter.responded_wall - inter.created_wall)
            return latencies
    finally:
        await emulator.stop()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, latencies: list[float]) -> None:
    ms = [v * 1000 for v in latencies]
    print(
        f"{name:<24} n={len(ms):<5} p50={percentile(ms, 50):7.2f} ms  p95={percentile(ms, 95):7.2f} ms"
        f"  mean={statistics.fmean(ms):7.2f} ms  max={max(ms):7.2f} ms"
    )


async def cisip_status(count: int) -> list[float]:
    """The project's bot answering ``/status`` (database and scheduler queries included)."""
    from bot.client import CisipBot
    from bot.config import Settings
    from bot.db.database import Database
    from bot.db.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        database = Database(url)
        await upgrade(database)

        def factory(fake: FakeDiscord) -> discord.Client:
            settings = Settings(
                discord_token=fake.token,
                database_url=url,
                data_dir=Path(tmp),
                discord_api_base_url=fake.api_base_url,
                discord_gateway_url=fake.gateway_url,
            )
            return CisipBot(settings, database=database)

        return await measure(factory, "status", count)


async def main(count: int) -> None:
    bare = await measure(bare_bot, "ping", count)
    report("bare discord.py /ping", bare)
    ours = await cisip_status(count)
    report("CISIP bot /status", ours)
    print(
        f"ratio CISIP/bare: p50 {percentile(ours, 50) / percentile(bare, 50):.2f}x, "
        f"p95 {percentile(ours, 95) / percentile(bare, 95):.2f}x (target p50 <= 2x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(args.count))
