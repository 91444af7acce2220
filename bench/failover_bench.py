"""Failover under load, measured black-box: two ``python -m bot run`` on one PostgreSQL database.

    python bench/failover_bench.py [--subscribers 500] [--runs 1] [--keep]

Each run: a fresh PostgreSQL database on 127.0.0.1:5432 (``cisip_test_failover_<pid>``, dropped
afterwards), the loopback Discord emulator with its rate limits on (per-route buckets, 50 requests
a second global), ``--subscribers`` verified members subscribed to reports with their DM channels
remembered. A leader and a standby start on the database (``bench/rush_bench.start_bot``); staff
publish a report; when about half the subscribers have their DM the leader is killed (SIGKILL).
From then on a ``/status`` is sent every 0.2 s.

Printed per run, and the median over ``--runs``: the time from the SIGKILL to the first ``/status``
answered by the new leader (its **Leader** field names the standby's pid), the time from the SIGKILL
until every subscriber has a report DM (the delivery under way resumed by the new leader),
duplicates (subscribers with more than one report DM: must be 0) and lost (subscribers with none:
must be 0). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.rush_bench import POSTGRES_ADMIN, TOKEN, Run, drop_database, start_bot, stop_bot
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.db.models_reports import Report, ReportSubscription
from bot.scheduler import Clock
from bot.services.guild_settings import GuildSettingsService
from tests.bot.test_leadership import wait_for
from tests.fakediscord import Emulator, FakeDiscord, Perm
from tests.fakediscord.interactions import Interaction, InteractionType
from tests.fakediscord.state import ChannelType

GLOBAL_PER_SECOND = 50
TITLE = "Science Park Development Report"
NONCE_LENGTH = 25  # a report DM carries its delivery's nonce


async def prepare(workdir: Path, subscribers: int) -> tuple[Run, list[Any]]:
    name = f"cisip_test_failover_{os.getpid()}"
    await drop_database(name)
    engine = create_async_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    emulator = await Emulator(token=TOKEN).start()
    fake = FakeDiscord(emulator)
    staff = fake.add_member("staff", roles=[fake.add_role("Staff", permissions=Perm.MANAGE_GUILD)])
    verified = fake.add_role("Verified")
    run = Run(
        "postgresql",
        f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
        workdir,
        emulator,
        fake,
        staff,
        verified,
    )
    run.admin_db = name
    run.channels["reports"] = fake.add_channel("reports", type=ChannelType.GUILD_TEXT)
    members = [fake.add_member(f"member{n:05d}", roles=[verified]) for n in range(subscribers)]
    database = Database(run.database_url)
    await upgrade(database)
    clock = Clock()
    settings = GuildSettingsService(database, clock)
    await settings.set_channel(fake.guild.id, "reports", run.channels["reports"].id)
    await settings.set_role(fake.guild.id, "verified", verified.id)
    async with database.transaction() as session:
        session.add_all(
            ReportSubscription(
                guild_id=fake.guild.id,
                user_id=member.id,
                active=True,
                dm_channel_id=fake.dm_channel(member).id,
                updated_at=clock.now(),
            )
            for member in members
        )
    await database.dispose()
    return run, members


def report_dms(run: Run, members: list[Any]) -> Counter[int]:
    messages = run.emulator.world.channel_messages
    counts: Counter[int] = Counter()
    for member in members:
        counts[member.id] = sum(
            1
            for m in messages(run.fake.dm_channel(member).id).values()
            if m.nonce is not None and len(str(m.nonce)) == NONCE_LENGTH
        )
    return counts


def leader_field(inter: Interaction) -> str | None:
    embeds = (
        inter.original.embeds if inter.original is not None else (inter.response_data or {}).get("embeds")
    )
    for embed in embeds or []:
        for f in embed.get("fields", []):
            if f["name"] == "Leader":
                return str(f["value"])
    return None


async def delivery_state(url: str) -> str | None:
    database = Database(url)
    try:
        async with database.session() as session:
            return await session.scalar(select(Report.delivery_state).where(Report.title == TITLE))
    finally:
        await database.dispose()


async def one_run(number: int, subscribers: int, keep: bool) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="failover-"))
    (tmp / "first").mkdir()
    (tmp / "second").mkdir()
    run, members = await prepare(tmp / "first", subscribers)
    standby = dataclasses.replace(run, workdir=tmp / "second", process=None)
    try:
        run.emulator.ratelimits.enable(global_per_second=GLOBAL_PER_SECOND)
        await start_bot(run)
        await start_bot(standby)
        await wait_for(
            lambda: "standby: waiting" in (tmp / "second" / "bot.log").read_text(errors="replace"), 60
        )
        assert run.process is not None and standby.process is not None
        reply = await run.fake.slash(
            run.staff,
            "report-admin publish",
            in_channel=run.channels["reports"],
            title=TITLE,
            year=2026,
            summary="Parks grew again.",
            language="en",
            url="https://cisip.org/reports/2026.pdf",
        )
        if not reply.content.startswith("Published"):
            raise SystemExit(f"publish refused: {reply.content}")
        published = time.perf_counter()
        await wait_for(lambda: sum(report_dms(run, members).values()) >= subscribers // 2, subscribers)
        run.process.kill()
        killed = time.perf_counter()
        before = sum(report_dms(run, members).values())
        await run.process.wait()

        probes: list[Interaction] = []
        data = run.fake._command_data("status", run.channels["reports"], {}, focused=None)
        mark = f"process {standby.process.pid},"

        def answered() -> list[float]:
            return [
                i.responded_wall - killed
                for i in probes
                if i.responded_wall is not None and mark in (leader_field(i) or "")
            ]

        deadline = killed + 60 + subscribers
        first_answer = float("nan")
        while time.perf_counter() < deadline:
            if not answered():
                probes.append(
                    run.emulator.interactions.create(
                        InteractionType.APPLICATION_COMMAND, data, run.staff.user, run.channels["reports"]
                    )
                )
            elif first_answer != first_answer:  # nan: the first answer just came
                first_answer = min(answered())
            if first_answer == first_answer and all(report_dms(run, members).values()):
                break
            await asyncio.sleep(0.2)
        delivered = time.perf_counter()
        for _ in range(150):  # the new leader marks the delivery done (at most 30 s)
            if await delivery_state(run.database_url) == "done":
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # anything still on its way
        counts = report_dms(run, members)
        duplicates = sum(1 for n in counts.values() if n > 1)
        lost = sum(1 for n in counts.values() if n == 0)
        figures = {
            "first": first_answer,
            "delivered": delivered - killed,
            "duplicates": float(duplicates),
            "lost": float(lost),
        }
        print(
            f"run {number}: {subscribers} subscribers, SIGKILL after {killed - published:.1f} s "
            f"with {before} DMs out; standby's first /status answer {first_answer:.2f} s after the kill; "
            f"every subscriber had the report {delivered - killed:.1f} s after the kill "
            f"({delivered - published:.1f} s after publishing); duplicates {duplicates}, lost {lost}; "
            f"429s {run.emulator.ratelimits.total_429s}",
            flush=True,
        )
        return figures
    finally:
        await stop_bot(run)
        await stop_bot(standby)
        await run.emulator.stop()
        if run.admin_db:
            await drop_database(run.admin_db)
        for name in ("first", "second"):
            errors = [
                line
                for line in (tmp / name / "bot.log").read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            if errors:
                print(f"  {name} bot log: {len(errors)} error lines, first: {errors[0][:160]}")
        if keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    os.environ.setdefault("BENCH_LOG_LEVEL", "INFO")  # the standby's "waiting for the leader" line
    results = [await one_run(n + 1, args.subscribers, args.keep) for n in range(args.runs)]
    if args.runs > 1:
        median = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(
            f"median of {args.runs}: first /status answer {median['first']:.2f} s after the kill; "
            f"delivery done {median['delivered']:.1f} s after the kill; "
            f"duplicates {median['duplicates']:g}, lost {median['lost']:g}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folders (bot logs) afterwards")
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(parser.parse_args()))
