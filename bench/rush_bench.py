"""Opening-day rushes, measured black-box: the bot as its own process against the loopback Discord.

    python bench/rush_bench.py [--backend sqlite|postgresql] [--clicks 300 1000] [--joins 2000]
                               [--searches 300] [--capacity 100] [--within 1.0]

The emulator runs here; the bot runs as ``python -m bot run`` in a subprocess, on a fresh database
(a SQLite file, or a new PostgreSQL database on 127.0.0.1:5432 that is dropped afterwards), with
the emulator's Discord rate limits switched on (per-route buckets, 50 requests a second global;
interaction callbacks are exempt, as on Discord).

1. **Registration rush**: N verified members press Register on a workshop of ``--capacity`` seats,
   their clicks spread evenly over ``--within`` seconds. Printed: p50/p95/p99/max from the
   emulator dispatching INTERACTION_CREATE to the bot's first callback, the clicks answered later
   than Discord's 3 s (they fail for the member), the members seated (must equal the capacity),
   waitlist inversions against click order (pairs placed in the wrong order: must be 0), and the
   members told a place they do not hold (must be 0).
2. **Directory searches**: ``--searches`` members run /park search within 2 s; the same latency
   figures.
3. **Join flood**: ``--joins`` members join at ``--join-rate`` a second; printed: how long until every
   newcomer was welcomed in the welcome channel (a post naming them), newcomers never welcomed
   (must be 0), welcomed twice in the channel or by DM (must be 0), and the welcome DMs sent (during
   a flood newcomers are welcomed in the channel only: Discord refuses DMs opened that fast).

Figures only; nothing is asserted. Targets (DESIGN.md, issue 14): at N = 1,000, p99 under 1 s
with 0 late, exactly ``capacity`` seated, 0 inversions, on both backends; every join welcomed once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.db.models_workshops import WorkshopRegistration
from bot.scheduler import Clock
from bot.services.guild_settings import GuildSettingsService
from tests.fakediscord import Emulator, FakeDiscord, Perm
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.state import ChannelType, Member

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "YmVuY2g.cnVzaA.ZW11bGF0b3I"  # shaped like a bot token, as the bot's settings require
POSTGRES_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
MESSAGE_COMPONENT = 3
DEADLINE = 3.0  # Discord's: the first response within 3 seconds of the interaction


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_line(label: str, inters: list[Interaction]) -> str:
    answered = [i.responded_wall - i.created_wall for i in inters if i.responded_wall is not None]
    late = sum(1 for i in inters if i.responded_wall is None or i.responded_wall - i.created_wall > DEADLINE)
    ms = [a * 1000 for a in answered]
    return (
        f"{label:<34} n={len(inters):<5} p50={percentile(ms, 50):7.1f} ms  p95={percentile(ms, 95):7.1f} ms"
        f"  p99={percentile(ms, 99):7.1f} ms  max={max(ms, default=float('nan')):7.1f} ms  late(>3 s)={late}"
    )


def inversions(sequence: list[int]) -> int:
    """Pairs out of order in ``sequence`` (a permutation's inversion count, by merge sort)."""

    def count(items: list[int]) -> tuple[list[int], int]:
        if len(items) < 2:
            return items, 0
        middle = len(items) // 2
        left, a = count(items[:middle])
        right, b = count(items[middle:])
        merged, inv, i, j = [], a + b, 0, 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                inv += len(left) - i
                j += 1
        merged += left[i:] + right[j:]
        return merged, inv

    return count(sequence)[1]


@dataclass
class Run:
    backend: str
    database_url: str
    workdir: Path
    emulator: Emulator
    fake: FakeDiscord
    staff: Member
    verified: Any
    channels: dict[str, Any] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    admin_db: str | None = None


async def fresh_database(backend: str, workdir: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", None
    name = f"cisip_rush_{os.getpid()}_{int(time.time())}"
    engine = create_async_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop_database(name: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def prepare(backend: str, workdir: Path, members: int) -> Run:
    emulator = Emulator(token=TOKEN)
    await emulator.start()
    fake = FakeDiscord(emulator)
    staff = fake.add_member("staff", roles=[fake.add_role("Staff", permissions=Perm.MANAGE_GUILD)])
    verified = fake.add_role("Verified")
    run = Run(backend, "", workdir, emulator, fake, staff, verified)
    for name in ("workshops", "welcome"):
        run.channels[name] = fake.add_channel(name, type=ChannelType.GUILD_TEXT)
    for n in range(members):
        fake.add_member(f"member{n:05d}", roles=[verified])
    run.database_url, run.admin_db = await fresh_database(backend, workdir)
    database = Database(run.database_url)
    await upgrade(database)
    settings = GuildSettingsService(database, Clock())
    guild_id = fake.guild.id
    await settings.set_channel(guild_id, "workshops", run.channels["workshops"].id)
    await settings.set_channel(guild_id, "welcome", run.channels["welcome"].id)
    await settings.set_role(guild_id, "verified", verified.id)
    await database.dispose()
    return run


async def start_bot(run: Run) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": run.fake.api_base_url,
        "DISCORD_GATEWAY_URL": run.fake.gateway_url,
        "DATABASE_URL": run.database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
        "DATA_DIR": str(run.workdir),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    log = (run.workdir / "bot.log").open("wb")
    run.process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "run",
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while not any(c["name"] == "workshop" for c in run.fake.commands()):
        if run.process.returncode is not None or time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start; see {run.workdir / 'bot.log'}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the guild is cached and the cogs listen


async def stop_bot(run: Run) -> None:
    if run.process is not None and run.process.returncode is None:
        run.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.process.wait(), 30)
        if run.process.returncode is None:
            run.process.kill()


async def settle(inters: list[Interaction], within: float) -> None:
    """Until every interaction is answered (a deferred one: its follow-up or edit too)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pending = [
            i for i in inters if not i.acknowledged or (i.response_type in (5, 6) and len(i.events) < 2)
        ]
        if not pending:
            return
        await asyncio.sleep(0.05)


def told(inter: Interaction) -> tuple[str, int] | None:
    """What the member was told: ("registered", 0) or ("waitlisted", n)."""
    messages = [m for m in (inter.original, *inter.followups) if m is not None]
    content = messages[-1].content if messages else ""
    if "registered for" in content:
        return "registered", 0
    found = re.search(r"number ([\d,]+) on the waitlist|waitlist, number ([\d,]+)", content)
    if found:
        return "waitlisted", int((found.group(1) or found.group(2)).replace(",", ""))
    return None


async def registration_rush(run: Run, clicks: int, capacity: int, within: float) -> None:
    fake = run.fake
    created = await fake.slash(run.staff, "workshop-admin create", capacity=capacity, reminders="none")
    assert created.modal is not None, created.content
    start = datetime.now(UTC) + timedelta(days=30)
    done = await fake.submit_modal(
        run.staff,
        created.modal,
        {
            "title": "Science Park Management Workshop",
            "starts": start.strftime("%Y-%m-%d 09:00"),
            "ends": start.strftime("%Y-%m-%d 17:00"),
            "location": "Beijing",
            "description": "",
        },
    )
    workshop_id = int(re.search(r"#(\d+)", done.content).group(1))  # type: ignore[union-attr]
    post = next(m for m in reversed(fake.messages_in("workshops")) if m.embeds)
    register = next(
        b["custom_id"]
        for row in post.components
        for b in row["components"]
        if b.get("custom_id", "").startswith("workshop:register:")
    )
    members = [m for m in fake.guild.members.values() if m.user.username.startswith("member")][:clicks]
    channel = run.channels["workshops"]
    inters: list[Interaction] = []
    began = time.perf_counter()
    for n, member in enumerate(members):
        delay = began + n * within / clicks - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        inters.append(
            run.emulator.interactions.create(
                MESSAGE_COMPONENT,
                {"custom_id": register, "component_type": 2},
                member.user,
                channel,
                message=post,
            )
        )
    await settle(inters, 30)
    print(latency_line(f"register x{clicks} ({run.backend})", inters))

    database = Database(run.database_url)
    async with database.session() as session:
        rows = (
            await session.execute(
                select(WorkshopRegistration.user_id, WorkshopRegistration.status)
                .where(WorkshopRegistration.workshop_id == workshop_id)
                .order_by(WorkshopRegistration.queued_at, WorkshopRegistration.id)
            )
        ).all()
    await database.dispose()
    click_order = {i.user.id: n for n, i in enumerate(inters)}
    seated = [u for u, s in rows if s == "registered"]
    waiting = [u for u, s in rows if s == "waitlisted"]
    # The seats are a set; the waitlist a queue: an inversion is any waiting member clicked before a
    # seated one, or two waiting members out of click order.
    seat_inversions = sum(1 for u in waiting for s in seated if click_order[u] < click_order[s])
    queue_inversions = inversions([click_order[u] for u in waiting])
    await asyncio.sleep(6)  # the last coalesced edit of the announcement
    edits = [
        r for r in run.emulator.requests if r.method == "PATCH" and r.params.get("message_id") == str(post.id)
    ]
    truth = {u: ("registered", 0) for u in seated} | {u: ("waitlisted", n + 1) for n, u in enumerate(waiting)}
    wrong = sum(1 for i in inters if told(i) != truth.get(i.user.id))
    print(
        f"{'':<34} seated={len(seated)} of {capacity}  waitlisted={len(waiting)}  "
        f"inversions={seat_inversions + queue_inversions}  told a wrong place={wrong}  "
        f"announcement edits={len(edits)}, showing {seats_field(post)!r}"
    )


def seats_field(post: Any) -> str:
    return next((f["value"] for f in post.embeds[0]["fields"] if f["name"] == "Seats"), "?")


async def search_rush(run: Run, searches: int) -> None:
    fake = run.fake
    members = [m for m in fake.guild.members.values() if m.user.username.startswith("member")][:searches]
    channel = run.channels["workshops"]
    queries = ["zhongguancun", "Tsinghua", "Bangkok", "科技园", "science park", "zgc", "Biopolis"]
    inters: list[Interaction] = []
    began = time.perf_counter()
    for n, member in enumerate(members):
        delay = began + n * 2.0 / searches - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        data = fake._command_data("park search", channel, {"query": queries[n % len(queries)]}, focused=None)
        inters.append(run.emulator.interactions.create(2, data, member.user, channel))
    await settle(inters, 30)
    print(latency_line(f"/park search x{searches} ({run.backend})", inters))


async def join_flood(run: Run, joins: int, rate: float) -> None:
    fake = run.fake
    began = time.monotonic()
    newcomers = []
    for n in range(joins):
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        newcomers.append(fake.add_member(f"newcomer{n:05d}"))
    flood = time.monotonic() - began
    ids = {m.user.id for m in newcomers}

    def welcomes() -> tuple[Counter[int], Counter[int]]:
        posted: Counter[int] = Counter()
        for message in fake.messages_in("welcome"):
            for mention in re.findall(r"<@!?(\d+)>", message.content):
                if int(mention) in ids:
                    posted[int(mention)] += 1
        dmed: Counter[int] = Counter()
        for member in newcomers:
            dmed[member.user.id] = sum(1 for m in fake.dms_to(member) if "Verify" in str(m.components))
        return posted, dmed

    deadline = time.monotonic() + max(120.0, joins / 10)
    while time.monotonic() < deadline:
        posted, dmed = welcomes()
        if all(posted[i] for i in ids):
            break
        await asyncio.sleep(0.5)
    posted, dmed = welcomes()
    elapsed = time.monotonic() - began
    missing = sum(1 for i in ids if not posted[i])
    twice = sum(1 for i in ids if posted[i] > 1 or dmed[i] > 1)
    print(
        f"{f'join flood x{joins} @{rate:g}/s ({run.backend})':<34} flood {flood:5.1f} s, every newcomer "
        f"welcomed in the channel after {elapsed:6.1f} s  never welcomed={missing}  welcomed twice={twice}  "
        f"welcome posts={len(fake.messages_in('welcome'))}  welcome DMs={sum(dmed.values())}  "
        f"429s={sum(run.emulator.ratelimits.hits.values())}"
    )


async def one_backend(args: argparse.Namespace, backend: str) -> None:
    tmp = tempfile.mkdtemp(prefix="rush-")
    try:
        run = await prepare(backend, Path(tmp), max([*args.clicks, args.searches, 0]))
        run.emulator.ratelimits.enable(global_per_second=50)
        try:
            await start_bot(run)
            for clicks in args.clicks:
                await registration_rush(run, clicks, args.capacity, args.within)
            if args.searches:
                await search_rush(run, args.searches)
            if args.joins:
                await join_flood(run, args.joins, args.join_rate)
        finally:
            await stop_bot(run)
            await run.emulator.stop()
            if run.admin_db:
                await drop_database(run.admin_db)
            errors = [
                line
                for line in (Path(tmp) / "bot.log").read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            if errors:
                print(f"  bot log: {len(errors)} error lines, first: {errors[0][:160]}")
    finally:
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    for backend in args.backend:
        await one_backend(args, backend)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--clicks", nargs="*", type=int, default=[300, 1000])
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--within", type=float, default=1.0, help="seconds over which the clicks arrive")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--joins", type=int, default=2000)
    parser.add_argument("--join-rate", type=float, default=200.0)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (bot.log) afterwards")
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(parser.parse_args()))
