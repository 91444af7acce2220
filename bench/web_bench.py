"""Web pages under load: ``/parks?q=`` and ``/api/parks?q=`` at 100,000 parks, 50 concurrent clients,
while the bot answers interactions.

    python bench/web_bench.py [--parks 100000] [--clients 50] [--seconds 10] [--database-url URL]

As ``cisip-bot run`` runs them, the bot (connected to the loopback Discord emulator) and the web
site share one event loop and one set of services, over a database holding the shipped parks and
``--parks`` synthetic ones (as ``bench/parks_bench.py`` makes them). Another process drives
``--clients`` concurrent HTTP clients, each sending searches one after another (exact names,
prefixes, typos, aliases, Chinese names, misses), first to the HTML page, then to the JSON API, for
``--seconds`` each, after every search was sent once (its first answer is printed apart: later
ones come from the site's cache of searches until the directory changes). Meanwhile a member
runs ``/park search`` through the emulator, one after another: its latency (INTERACTION_CREATE
to the bot's answer) is printed beside. The per-address search limit is lifted (every client
shares one address here). The server runs on uvloop where it is installed, as `cisip-bot run` does.

Prints requests per second and p50 / p95 / p99 of each endpoint, and the interactions' p50 / p99.
Target (DESIGN.md): p95 under 30 ms. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parks_bench import queries, synthetic

from bot.client import CisipBot
from bot.config import Settings, normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.scheduler import Clock
from bot.services.container import Services
from bot.web.app import create_app
from bot.web.core import WebConfig
from tests.conftest import reset_postgres
from tests.fakediscord import Emulator, FakeDiscord, connected

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:
    uvloop = None
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return uvloop.run(coro) if uvloop is not None else asyncio.run(coro)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def line(label: str, latencies: list[float], seconds: float, errors: int = 0) -> str:
    ms = [v * 1000 for v in latencies]
    rate = len(ms) / seconds if seconds else 0.0
    return (
        f"{label:<34} {len(ms):>7} requests  {rate:>8.0f}/s  p50 {percentile(ms, 50):6.1f} ms  "
        f"p95 {percentile(ms, 95):6.1f} ms  p99 {percentile(ms, 99):6.1f} ms  errors {errors}"
    )


# -- the load, in a process of its own ------------------------------------------------------------


async def _drive(base: str, path: str, searches: list[str], clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < deadline:
                q = searches[i % len(searches)]
                i += clients
                started = time.perf_counter()
                async with session.get(f"{base}{path}?q={quote(q)}") as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "seconds": elapsed}


def _load_process(base: str, searches: list[str], clients: int, seconds: float, out: Any) -> None:
    results = {}
    for path in ("/parks", "/api/parks"):
        results[path] = run(_drive(base, path, searches, clients, seconds))
    out.put(results)


# -- the bot and the site, in this process ----------------------------------------------------------


async def build(database_url: str | None, parks: int, folder: Path) -> tuple[Services, list[str]]:
    if database_url:
        url = normalise_database_url(database_url, folder)
        await reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{folder / 'web_bench.sqlite3'}"
    database = Database(url)
    await upgrade(database)
    settings = Settings(discord_token=None, database_url=url, data_dir=folder)
    services = Services.build(settings, database, Clock())
    await services.parks.seed()
    rng = random.Random(18)
    started = time.perf_counter()
    records = synthetic(parks, rng, set(services.parks.records))
    await services.parks.import_records(records)
    print(f"directory: {len(services.parks.records):,} parks ready in {time.perf_counter() - started:.1f} s")
    searches = [
        *queries(records, 2000, rng),
        "中关村",
        "清华科技园",
        "Zhongguancn",
        "张江",
        "Tsinghua Sceince Park",
    ]
    rng.shuffle(searches)
    return services, searches


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        services, searches = await build(args.database_url, args.parks, folder)
        emulator = await Emulator().start()
        fake = FakeDiscord(emulator)
        settings = Settings(
            discord_token=emulator.token,
            database_url=services.settings.database_url,
            data_dir=folder,
            discord_api_base_url=emulator.api_base_url,
            discord_gateway_url=emulator.gateway_url,
        )
        bot = CisipBot(settings, services=services, shutdown_grace=0.5)
        config = WebConfig(base_url="http://127.0.0.1", search_burst=10**9, search_rate=10**9)
        runner = web.AppRunner(create_app(services, config), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        try:
            async with connected(bot, fake, sync_commands=True, ready_within=120):
                member = fake.add_member("bench")
                stop = asyncio.Event()
                interactions: list[float] = []

                async def interact() -> None:
                    n = 0
                    while not stop.is_set():
                        reply = await fake.slash(member, "park search", query=searches[n % len(searches)])
                        inter = reply.interaction
                        if inter.responded_wall is not None:
                            interactions.append(inter.responded_wall - inter.created_wall)
                        n += 1

                # Every search once, one client: what a search costs the first time (afterwards the
                # site answers it from its cache until the directory changes).
                cold: list[float] = []
                async with aiohttp.ClientSession() as session:
                    for q in searches:
                        started = time.perf_counter()
                        async with session.get(f"{base}/parks?q={quote(q)}") as response:
                            await response.read()
                        cold.append(time.perf_counter() - started)
                # The bot alone.
                alone_task = asyncio.ensure_future(interact())
                await asyncio.sleep(min(5.0, args.seconds))
                stop.set()
                await alone_task
                alone, interactions = interactions, []
                stop.clear()
                interacting = asyncio.ensure_future(interact())
                context = multiprocessing.get_context("spawn")
                out = context.Queue()
                load = context.Process(
                    target=_load_process, args=(base, searches, args.clients, args.seconds, out)
                )
                load.start()
                results = await asyncio.get_running_loop().run_in_executor(None, out.get)
                load.join()
                stop.set()
                await interacting
        finally:
            await runner.cleanup()
            with contextlib.suppress(Exception):
                await bot.close()
            await emulator.stop()
        backend = services.db.backend
        print(f"\n{args.clients} concurrent clients, {len(services.parks.records):,} parks, {backend}:")
        print(line("GET /parks?q= first time, 1 client", cold, sum(cold)))
        for path, result in results.items():
            print(line(f"GET {path}?q=", result["latencies"], result["seconds"], result["errors"]))
        print(line("/park search (bot alone)", alone, min(5.0, args.seconds)))
        print(line("/park search (under web load)", interactions, 2 * args.seconds))
        if alone and interactions:
            print(
                f"interactions p99: {percentile(alone, 99) * 1000:.1f} ms alone, "
                f"{percentile(interactions, 99) * 1000:.1f} ms under web load "
                f"(median {statistics.median(interactions) * 1000:.1f} ms)"
            )
        print("target: p95 under 30 ms for both endpoints")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parks", type=int, default=100_000, help="synthetic parks besides the shipped ones")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database for tests (dropped!)")
    args = parser.parse_args()
    run(main_async(args))  # on uvloop where it is installed, as `cisip-bot run` runs


if __name__ == "__main__":
    main()
