"""Run any discord.py ``Client``/``Bot`` against the emulator.

    async with connected(bot, fake_discord, sync_commands=True):
        reply = await fake_discord.slash(member, "ping")

``connected`` points discord.py at the emulator, starts ``client.start(token)`` as a task,
waits for ``on_ready``, optionally syncs the app-command tree, and on exit closes the client
and awaits the task so no pending-task warnings are left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.endpoints import use_discord_endpoints

from .dsl import FakeDiscord
from .server import Emulator

FAST_GUILD_READY_TIMEOUT = 0.05


@contextlib.asynccontextmanager
async def connected(
    client: discord.Client,
    discord_: FakeDiscord | Emulator,
    *,
    sync_commands: bool = False,
    ready_within: float = 10.0,
    fast_reidentify: bool = True,
) -> AsyncIterator[discord.Client]:
    """Start ``client`` against the emulator and yield it once ready; close it on exit.

    ``fast_reidentify`` drops discord.py's 5 s pause before a non-initial IDENTIFY (it spaces
    identifies out for Discord's session-start limit, which the emulator does not have).
    """
    em = discord_.em if isinstance(discord_, FakeDiscord) else discord_
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    use_discord_endpoints(em.api_base_url, em.gateway_url)
    # discord.py waits this long after the last GUILD_CREATE before on_ready; 2 s by default.
    state = client._connection
    state.guild_ready_timeout = min(state.guild_ready_timeout, FAST_GUILD_READY_TIMEOUT)
    if fast_reidentify:
        client.before_identify_hook = _no_pause  # type: ignore[method-assign]
    task = asyncio.create_task(client.start(em.token), name="fakediscord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=ready_within, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # re-raise why the client stopped
            raise AssertionError("the client stopped before it was ready")
        if ready not in done:
            raise AssertionError(f"the client was not ready within {ready_within}s")
        if sync_commands:
            await sync_tree(client, em)
        yield client
    finally:
        ready.cancel()
        await client.close()
        try:
            await asyncio.wait_for(task, ready_within)
        except (asyncio.CancelledError, discord.ConnectionClosed):
            pass
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


async def sync_tree(client: discord.Client, em: Emulator) -> None:
    """Register the client's app commands: global ones, and guild ones for each emulated guild."""
    tree = getattr(client, "tree", None)
    if tree is None:
        return
    await tree.sync()
    for guild_id in em.world.guilds:
        if tree.get_commands(guild=discord.Object(guild_id)):
            await tree.sync(guild=discord.Object(guild_id))


async def _no_pause(shard_id: int | None, *, initial: bool = False) -> None:
    return None
