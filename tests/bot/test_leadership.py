"""One leader per database (bot.leadership): the PostgreSQL advisory lock and the SQLite file lock."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.leadership import (
    AnotherProcessRuns,
    Leader,
    Leadership,
    SqliteLock,
    asyncpg_dsn,
    me,
    postgres_leader,
    sqlite_leader,
)
from tests.bot.test_cli import TOKEN
from tests.conftest import POSTGRES_URL

needs_postgres = pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    assert POSTGRES_URL is not None
    yield normalise_database_url(POSTGRES_URL, tmp_path)


def key() -> int:
    """A lock of its own per test: test runs sharing the server do not wait for each other."""
    return random.randint(1, 2**62)


async def wait_for(condition: object, within: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():  # type: ignore[operator]
        if loop.time() - started > within:
            raise AssertionError(f"not within {within}s")
        await asyncio.sleep(0.05)
    return loop.time() - started


@needs_postgres
async def test_only_one_leads_and_the_standby_takes_over_when_the_leader_goes(url: str) -> None:
    lock = key()
    first, second = Leadership(url, key=lock, retry=0.2), Leadership(url, key=lock, retry=0.2)
    try:
        assert await first.try_lead()
        assert not await second.try_lead()
        holder = await second.holder()
        assert holder is not None and (holder.host, holder.pid) == (me().host, os.getpid())
        assert holder.since == first.leader.since.replace(microsecond=0)  # type: ignore[union-attr]
        seen: list[Leader | None] = []
        waiting = asyncio.ensure_future(second.wait_to_lead(seen.append))
        await asyncio.sleep(0.7)
        assert not waiting.done() and len(seen) == 1  # told once, however many tries
        await first.release()  # the leader's session ends
        await asyncio.wait_for(waiting, 3)
        assert second.leads
    finally:
        await first.release()
        await second.release()


@needs_postgres
async def test_a_terminated_lock_connection_fires_on_lost_and_frees_the_lock(url: str) -> None:
    lock = key()
    leader, standby = Leadership(url, key=lock, watch_every=0.5), Leadership(url, key=lock, retry=0.2)
    lost: list[str] = []
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        assert await leader.try_lead()
        leader.watch(lost.append)
        backend = await leader._conn.fetchval("SELECT pg_backend_pid()")  # type: ignore[union-attr]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        took = await wait_for(lambda: lost, within=3)
        assert took < 2.5 and len(lost) == 1 and not leader.leads
        await asyncio.wait_for(standby.wait_to_lead(), 3)
        assert standby.leads
    finally:
        await admin.close()
        await leader.release()
        await standby.release()
    assert len(lost) == 1


@needs_postgres
async def test_status_reads_who_holds_the_lock(url: str) -> None:
    lock = key()
    leadership = Leadership(url, key=lock)
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            assert await postgres_leader(conn, lock) is None
        assert await leadership.try_lead()
        async with database.engine.connect() as conn:
            leader = await postgres_leader(conn, lock)
        assert leader is not None and leader.pid == os.getpid() and leader.since is not None
        assert leader.describe().startswith(f"{me().host} pid {os.getpid()} since ")
    finally:
        await leadership.release()
        await database.dispose()


def test_sqlite_lock_is_held_once_and_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "cisip.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    assert sqlite_leader(url) is None
    first = SqliteLock(path)
    first.acquire()
    try:
        leader = sqlite_leader(url)
        assert leader is not None and leader.pid == os.getpid()
        refusal = rf"another cisip-bot process \(pid {os.getpid()}\) is running on"
        with pytest.raises(AnotherProcessRuns, match=refusal):
            SqliteLock(path).acquire()
    finally:
        first.release()
    assert sqlite_leader(url) is None
    assert sqlite_leader("sqlite+aiosqlite:///:memory:") is None


async def test_a_second_run_on_the_same_sqlite_file_refuses_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = SqliteLock(data / "cisip.sqlite3")  # the first `cisip-bot run` holds this lock
    holder.acquire()
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DATA_DIR": str(data), "LOG_LEVEL": "INFO"}
    env.pop("DATABASE_URL", None)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        holder.release()
    assert (process.returncode, out) == (2, b"")
    assert err.decode() == (
        f"cisip-bot: another cisip-bot process (pid {os.getpid()}) is running on "
        f"{data}/cisip.sqlite3: stop it first\n"
    )
    assert not (data / "cisip.sqlite3").exists()  # refused before touching the database


@needs_postgres
@pytest.mark.e2e
async def test_two_bots_on_one_postgres_database_fail_over(tmp_path: Path, url: str) -> None:
    """Two `cisip-bot run` on one database: one answers, the other waits; SIGKILL the leader and the
    standby answers /status within seconds."""
    from tests.bot.test_cli_run import stop
    from tests.conftest import reset_postgres
    from tests.fakediscord import Emulator, FakeDiscord

    await reset_postgres(url)
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": POSTGRES_URL or "",
        "DISCORD_API_BASE_URL": emulator.api_base_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "LOG_LEVEL": "INFO",
    }

    async def start(name: str) -> asyncio.subprocess.Process:
        (tmp_path / name).mkdir()
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path / name,
            env={**env, "DATA_DIR": str(tmp_path / name / "data")},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    first = await start("first")
    second: asyncio.subprocess.Process | None = None
    try:
        await discord.wait_connected(within=30)
        second = await start("second")
        for _ in range(100):
            if any(c["name"] == "status" for c in discord.commands()):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # the second is up, and waits
        reply = await discord.slash(discord.add_member("alice"), "status")
        (leader,) = [f["value"] for f in reply.embeds[0]["fields"] if f["name"] == "Leader"]
        assert f"process {first.pid}," in leader and leader.endswith("(this process)")
        first.kill()
        await first.wait()
        loop = asyncio.get_running_loop()
        killed = loop.time()
        while True:
            try:
                reply = await discord.slash(discord.add_member(f"bob{int(loop.time())}"), "status")
                break
            except Exception:
                if loop.time() - killed > 15:
                    raise
                await asyncio.sleep(0.5)
        (leader,) = [f["value"] for f in reply.embeds[0]["fields"] if f["name"] == "Leader"]
        assert f"process {second.pid}," in leader, leader
        assert loop.time() - killed < 15
        # The new leader loses its lock connection (the server ended its session): it stops at once
        # and exits non-zero, for systemd to start it again as a standby.
        admin = await asyncpg.connect(asyncpg_dsn(url))
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name LIKE 'cisip-bot leader % ' || $1::text || ' %'",
                str(second.pid),
            )
        finally:
            await admin.close()
        assert ended == 1
        await asyncio.wait_for(second.wait(), 15)
    finally:
        first_log = await stop(first)
        second_log = await stop(second) if second is not None else ""
        await emulator.stop()
    assert "leading: this process" in first_log
    assert f"standby: waiting for the leader ({me().host} pid {first.pid})" in second_log, second_log
    assert "leading: this process" in second_log
    assert second is not None and second.returncode == 1, second_log
    errors = [line for line in second_log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, second_log
    (error,) = errors
    assert "lost the leader's lock (" in error and "closing the gateway and the scheduler" in error
    assert "Traceback" not in second_log, second_log


@needs_postgres
async def test_a_standby_says_whom_it_waits_for_and_stops_on_sigterm(tmp_path: Path, url: str) -> None:
    import signal

    from tests.conftest import reset_postgres

    await reset_postgres(url)
    leader = Leadership(url)  # the bot's own key: this test is the leader
    assert await leader.try_lead()
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DATABASE_URL": POSTGRES_URL or "", "LOG_LEVEL": "INFO"}
    env["DATA_DIR"] = str(tmp_path / "data")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        while b"standby" not in line and line:
            line = await asyncio.wait_for(process.stderr.readline(), 30)
        waiting = f"INFO     bot: standby: waiting for the leader ({me().host} pid {os.getpid()})"
        assert waiting in line.decode()
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    finally:
        await leader.release()
    assert (process.returncode, out, err) == (0, b"", b"")


@needs_postgres
async def test_a_leader_killed_mid_delivery_leaves_the_rest_to_the_standby(tmp_path: Path, url: str) -> None:
    """SIGKILL the leader half-way through a report's DMs: the standby takes the delivery's row
    back and finishes it; every subscriber has exactly one report DM (0 duplicates, 0 lost)."""
    from bot.db.migrate import upgrade
    from bot.db.models_reports import Report, ReportSubscription
    from bot.scheduler import Clock
    from bot.services.guild_settings import GuildSettingsService
    from tests.conftest import reset_postgres
    from tests.fakediscord import Emulator, FakeDiscord, Perm

    await reset_postgres(url)
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    staff = discord.add_member("staff", roles=[discord.add_role("Staff", permissions=Perm.MANAGE_GUILD)])
    verified = discord.add_role("Verified")
    reports = discord.add_channel("reports")
    members = [discord.add_member(f"member{n}", roles=[verified]) for n in range(60)]
    database = Database(url)
    await upgrade(database)
    settings = GuildSettingsService(database, Clock())
    await settings.set_channel(discord.guild.id, "reports", reports.id)
    await settings.set_role(discord.guild.id, "verified", verified.id)
    async with database.transaction() as session:
        session.add_all(
            ReportSubscription(
                guild_id=discord.guild.id,
                user_id=member.id,
                active=True,
                dm_channel_id=discord.dm_channel(member).id,
                updated_at=Clock().now(),
            )
            for member in members
        )
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": POSTGRES_URL or "",
        "DISCORD_API_BASE_URL": emulator.api_base_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "LOG_LEVEL": "INFO",
    }
    processes: list[asyncio.subprocess.Process] = []

    async def start(name: str) -> asyncio.subprocess.Process:
        (tmp_path / name).mkdir()
        with (tmp_path / f"{name}.log").open("wb") as log:  # a file: a full pipe would block the bot
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp_path / name,
                env={**env, "DATA_DIR": str(tmp_path / name / "data")},
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        processes.append(process)
        return process

    def report_dms() -> list[int]:
        messages = emulator.world.channel_messages
        return [
            sum(1 for m in messages(discord.dm_channel(member).id).values() if m.embeds) for member in members
        ]

    try:
        first = await start("first")
        await discord.wait_connected(within=30)
        await start("second")
        await wait_for(lambda: "standby: waiting" in (tmp_path / "second.log").read_text(), 30)
        # 20 requests a second: the 60 DMs take about 3 s, time enough to kill the leader half-way.
        discord.ratelimits.enable(per_route=1000, period=1.0, global_per_second=20)
        reply = await discord.slash(
            staff, "report-admin publish", title="Report", year=2026, summary="S", language="en",
            url="https://cisip.org/r.pdf",
        )  # fmt: skip
        assert reply.content.startswith("Published"), reply.content
        await wait_for(lambda: sum(report_dms()) >= 20, 30)
        first.kill()
        await first.wait()
        assert 0 < sum(report_dms()) < len(members)  # killed half-way
        await wait_for(lambda: all(report_dms()), 60)

        async def state() -> str | None:
            async with database.session() as session:
                return await session.scalar(select(Report.delivery_state))

        for _ in range(100):
            if await state() == "done":
                break
            await asyncio.sleep(0.1)
        assert await state() == "done"
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await database.dispose()
        await emulator.stop()
    assert report_dms() == [1] * len(members), (tmp_path / "second.log").read_text()
    assert (
        "took back 1 scheduled row the previous leader was running" in (tmp_path / "second.log").read_text()
    )


@needs_postgres
async def test_a_newer_standby_upgrades_the_schema_only_once_it_leads(tmp_path: Path, url: str) -> None:
    """Rolling out a new version: its process must not change the schema under the older leader
    still running on it; it waits as a standby and upgrades once it leads."""
    import signal

    from bot.db.migrate import current_revision, head_revision, upgrade
    from tests.conftest import reset_postgres
    from tests.fakediscord import Emulator, FakeDiscord

    await reset_postgres(url)
    database = Database(url)
    await upgrade(database, "0170_delivery_jobs")  # what the older leader runs on
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    old_leader = Leadership(url)  # the bot's own key: this test is the older leader
    assert await old_leader.try_lead()
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": POSTGRES_URL or "",
        "DISCORD_API_BASE_URL": emulator.api_base_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WEB_PORT": "0",
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "new.log"
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    try:
        await wait_for(lambda: "standby: waiting" in log.read_text(), 30)
        assert "older than this version: it is upgraded when this process leads" in log.read_text()
        assert await current_revision(database) == "0170_delivery_jobs"  # untouched under the old leader
        await old_leader.release()
        await discord.wait_connected(within=30)
        assert await current_revision(database) == head_revision()
    finally:
        await old_leader.release()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await database.dispose()
        await emulator.stop()
    text = log.read_text()
    assert "database schema upgraded from 0170_delivery_jobs to" in text
    assert text.index("standby: waiting") < text.index("leading:") < text.index("database schema upgraded")
