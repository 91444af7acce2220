"""Report fan-out through the loopback Discord emulator, with Discord's global limit switched on.

    python bench/report_fanout_bench.py [--subscribers 5000] [--cold]

The real bot (CisipBot with every cog) publishes a report to ``subscribers`` members with the
emulator's global limit of 50 requests a second (``ratelimits.enable(global_per_second=50)``,
per-route buckets at the emulator's default of 5 per 5 s). Two runs, each on a fresh emulator
and database:

1. straight through;
2. the bot stopped abruptly at about half-way (its delivery, a scheduled row, cancelled
   mid-flight, results not yet written discarded, the client closed), then a second CisipBot
   started on the same database, which takes the row back and resumes it.

Printed: DMs delivered per second against the 50 requests/s ceiling (the engine paces itself at
45 requests/s, 90%; for run 2 the time counts while a bot is delivering, not the second bot's
start-up), duplicates (members with more than one report DM in the emulator: must be 0), lost
(subscribers with none: must be 0), 429s the emulator answered during the run (must be 0: each
counts toward Discord's invalid-request limit), and for run 2 the resends Discord answered by
nonce.

Subscribers are verified members (the verified role), set up the way ``/report subscribe``
leaves them: subscribed, with their DM channel opened and remembered, so a report costs one
request per member. Every other member was last seen with Discord in Chinese (recorded in
``user_locales``), the others were never seen (the server's language, English): each DM's
language is looked up per member during the run, and the wrong-language count (DMs not in the
member's language) must be 0. ``--cold`` leaves the DM channels unknown: each DM then also opens
the channel (two requests per DM, and the emulator's default per-route bucket for
``POST /users/@me/channels`` allows 1 a second, so keep it small).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.client import CisipBot
from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.db.models import UserLocale
from bot.db.models_reports import Report, ReportSubscription
from bot.scheduler import Clock
from bot.services.guild_settings import GuildSettingsService
from tests.fakediscord import Emulator, FakeDiscord, Perm, connected

GLOBAL_PER_SECOND = 50
TITLE = "Science Park Development Report"


@dataclass
class World:
    fake: FakeDiscord
    settings: Settings
    members: list[Any]
    admin: Any
    dm_channels: dict[int, int]  # member id -> DM channel id in the emulator
    chinese: set[int]  # members last seen with Discord in Chinese


async def prepare(tmp: Path, subscribers: int, cold: bool) -> World:
    emulator = await Emulator().start()
    fake = FakeDiscord(emulator)
    admin = fake.add_member("staff", roles=[fake.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    channel = fake.add_channel("reports")
    # Verified members: the report is members-only (the default), as it is for CISIP.
    verified = fake.add_role("Verified")
    members = [fake.add_member(f"member{n}", roles=[verified]) for n in range(subscribers)]
    settings = Settings(
        discord_token=fake.token,
        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}",
        data_dir=tmp,
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
    )
    database = Database(settings.database_url)
    await upgrade(database)
    clock = Clock()
    settings_service = GuildSettingsService(database, clock)
    await settings_service.set_channel(fake.guild.id, "reports", channel.id)
    await settings_service.set_role(fake.guild.id, "verified", verified.id)
    now = clock.now()
    async with database.transaction() as session:
        session.add_all(
            ReportSubscription(
                guild_id=fake.guild.id,
                user_id=member.id,
                active=True,
                dm_channel_id=None if cold else fake.dm_channel(member).id,
                updated_at=now,
            )
            for member in members
        )
        session.add_all(UserLocale(user_id=member.id, locale="zh-CN", seen_at=now) for member in members[::2])
    await database.dispose()
    dm_channels = {member.id: fake.dm_channel(member).id for member in members}
    return World(fake, settings, members, admin, dm_channels, {member.id for member in members[::2]})


def wrong_language(world: World) -> int:
    """Members whose report DM is not in their language (Chinese field names for Chinese readers)."""
    wrong = 0
    messages = world.fake.em.world.channel_messages
    for member_id, channel_id in world.dm_channels.items():
        for m in messages(channel_id).values():
            if m.nonce is not None and len(str(m.nonce)) == 25:
                chinese = m.embeds[0]["fields"][0]["name"] == "语言"
                wrong += chinese != (member_id in world.chinese)
    return wrong


def report_dms(world: World) -> Counter[int]:
    """Report DMs (the ones carrying a 25-character delivery nonce) per member, in the emulator."""
    counts: Counter[int] = Counter()
    messages = world.fake.em.world.channel_messages
    for member_id, channel_id in world.dm_channels.items():
        counts[member_id] = sum(
            1 for m in messages(channel_id).values() if m.nonce is not None and len(str(m.nonce)) == 25
        )
    return counts


async def delivery_state(bot: CisipBot) -> str | None:
    from sqlalchemy import select

    async with bot.db.session() as session:
        return await session.scalar(select(Report.delivery_state).where(Report.title == TITLE))


@contextlib.asynccontextmanager
async def running_bot(world: World) -> Any:
    bot = CisipBot(world.settings)
    # As `cisip-bot run` does on taking the lead: what the last process was running goes back.
    await bot.scheduler.reclaim_all_running()
    async with connected(bot, world.fake, ready_within=120):
        yield bot


async def publish(world: World) -> None:
    reply = await world.fake.slash(
        world.admin,
        "report-admin publish",
        title=TITLE,
        year=2026,
        summary="Parks grew again.",
        language="en",
        url="https://cisip.org/reports/2026.pdf",
    )
    if not reply.content.startswith("Published"):
        raise SystemExit(f"publish refused: {reply.content}")


async def wait_done(bot: CisipBot, within: float) -> None:
    deadline = time.monotonic() + within
    while await delivery_state(bot) != "done":
        if time.monotonic() > deadline:
            raise SystemExit("delivery did not finish in time")
        await asyncio.sleep(0.2)


def dm_posts(world: World) -> int:
    """Report DM requests Discord accepted (429s not counted: discord.py retries those)."""
    return sum(
        1
        for r in world.fake.em.requests_to("POST", "/channels/{channel_id}/messages")
        if r.status == 200 and len(str((r.json or {}).get("nonce"))) == 25
    )


def summary(name: str, world: World, seconds: float, extra: str = "") -> None:
    counts = report_dms(world)
    delivered = sum(1 for n in counts.values() if n >= 1)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = sum(1 for n in counts.values() if n == 0)
    rate = delivered / seconds
    limits = world.fake.em.ratelimits
    print(
        f"{name}: {delivered} of {len(world.members)} subscribers got the report in {seconds:.1f} s: "
        f"{rate:.1f} DMs/s = {rate / GLOBAL_PER_SECOND:.0%} of the {GLOBAL_PER_SECOND} requests/s ceiling; "
        f"duplicates {duplicates}, lost {lost}, wrong language {wrong_language(world)}; "
        f"429s received {limits.total_429s}{extra}"
    )
    if limits.hits:
        print("   429s by route:", ", ".join(f"{route} {n}" for route, n in limits.hits.most_common()))


async def straight(subscribers: int, cold: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = await prepare(Path(tmp), subscribers, cold)
        try:
            async with running_bot(world) as bot:
                world.fake.em.ratelimits.enable(global_per_second=GLOBAL_PER_SECOND)
                started = time.monotonic()
                await publish(world)
                await wait_done(bot, within=subscribers)
                seconds = time.monotonic() - started
            summary("run 1, straight through", world, seconds)
            print("   publisher's DM:", world.fake.dms_to(world.admin)[-1].content)
        finally:
            await world.fake.em.stop()


async def killed_half_way(subscribers: int, cold: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = await prepare(Path(tmp), subscribers, cold)
        try:
            world.fake.em.ratelimits.enable(global_per_second=GLOBAL_PER_SECOND)
            async with running_bot(world) as bot:
                started = time.monotonic()
                await publish(world)
                while sum(report_dms(world).values()) < subscribers // 2:
                    if time.monotonic() - started > subscribers:
                        raise SystemExit("half-way never reached")
                    await asyncio.sleep(0.5)
                first_part = time.monotonic() - started
                # Abrupt: cancel the delivery mid-flight; results not yet written are lost.
                # The delivery is a scheduled row run in a task of the scheduler's.
                for task in asyncio.all_tasks():
                    if task.get_name().startswith("scheduled-report.delivery-"):
                        task.cancel()
                await asyncio.sleep(0)
                before = sum(report_dms(world).values())
            posts_before = dm_posts(world)
            print(f"   stopped after {first_part:.1f} s with {before} DMs delivered")
            async with running_bot(world) as bot:
                restarted = time.monotonic()
                await wait_done(bot, within=subscribers)
                second_part = time.monotonic() - restarted
            posts = dm_posts(world)
            unique = sum(report_dms(world).values())
            summary(
                "run 2, stopped at half-way and restarted",
                world,
                first_part + second_part,
                f"; {posts - unique} DMs resent after the restart and deduplicated by nonce "
                f"({posts_before} accepted DM requests before the stop, {posts} in all)",
            )
            print("   publisher's DM:", world.fake.dms_to(world.admin)[-1].content)
        finally:
            await world.fake.em.stop()


async def main(subscribers: int, cold: bool) -> None:
    print(
        f"{subscribers} subscribers, global limit {GLOBAL_PER_SECOND} requests/s, "
        f"{'cold (DM channels unknown)' if cold else 'DM channels remembered at subscription'}"
    )
    await straight(subscribers, cold)
    await killed_half_way(subscribers, cold)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--cold", action="store_true", help="DM channels not opened in advance")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(args.subscribers, args.cold))
