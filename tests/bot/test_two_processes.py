"""Two `cisip-bot run` on one PostgreSQL database against one Discord, which (like the real one)
sends every event to every connected process: members still see one bot. Interactions are
answered once, a newcomer is welcomed once, and a reminder run cut short by SIGKILL is finished by
the standby, each registrant reminded exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.leadership import me
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService, Person
from bot.services.guild_settings import GuildSettingsService
from bot.services.membership import MembershipPolicy, MembershipService
from bot.services.workshops import WorkshopForm, WorkshopService
from tests.bot.test_cli import TOKEN
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.fakediscord import Emulator, FakeDiscord
from tests.fakediscord.dsl import Reply
from tests.fakediscord.ratelimit import INTERACTION_CALLBACK
from tests.fakediscord.state import Member, Message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set"),
]

TITLE = "Science Park Management Workshop"
REGISTRANTS = ("ana", "ben", "cai", "dan", "eve")


async def eventually(check: Callable[[], object], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.05)


def reminders(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.content.startswith(f"Reminder: **{TITLE}** starts")]


async def workshop_due_now(url: str, guild_id: int, registrants: list[int]) -> None:
    """Written as staff and members would leave it: a workshop whose 1-hour reminder is due now
    (its minute has begun), everyone registered. The bots are not running yet."""
    database = Database(url)
    try:
        await upgrade(database)
        # A clock a few minutes back: the reminder was still to come when the workshop was made.
        clock = MovableClock(datetime.now(UTC) - timedelta(minutes=5))
        scheduler = Scheduler(database, clock)
        settings = GuildSettingsService(database, clock)
        memberships = MembershipService(
            database,
            clock,
            scheduler,
            MembershipPolicy(),
            guild_settings=settings,
            access=AccessService(settings),
        )
        workshops = WorkshopService(database, clock, scheduler, memberships=memberships)
        starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
        form = WorkshopForm(
            title=TITLE,
            starts=f"{starts:%Y-%m-%d %H:%M}",
            ends=f"{starts + timedelta(hours=8):%Y-%m-%d %H:%M}",
            location="Tianjin, TEDA",
            description="Three days on running a science park.",
            timezone="UTC",
            capacity=len(registrants),
            reminders="1h",
            members_only=False,
        )
        workshop = await workshops.create(guild_id, None, form)
        for user_id in registrants:  # in this order: the reminder run follows it
            await workshops.register(workshop.id, Person(user_id, guild_id))
    finally:
        await database.dispose()


class Bots:
    """`cisip-bot run` processes, each in a folder of its own, logging to a file there."""

    def __init__(self, tmp_path: Path, emulator: Emulator) -> None:
        self.tmp_path = tmp_path
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.env = {
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_URL": POSTGRES_URL or "",
            "DISCORD_API_BASE_URL": emulator.api_base_url,
            "DISCORD_GATEWAY_URL": emulator.gateway_url,
            "LOG_LEVEL": "INFO",
            "WEB_PORT": "0",  # no web pages: several processes on one machine would share the port
        }

    async def start(self, name: str) -> asyncio.subprocess.Process:
        folder = self.tmp_path / name
        folder.mkdir()
        with (folder / "log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=folder,
                env={**self.env, "DATA_DIR": str(folder / "data")},
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / name / "log").read_text(errors="replace")

    async def wait_standby(self, name: str) -> None:
        await eventually(lambda: "standby: waiting for the leader" in self.log(name), 20, f"{name} waits")

    async def stop_all(self) -> None:
        """SIGTERM, as systemd stops it; SIGKILL whatever is still there after 20 s."""
        running = [p for p in self.processes.values() if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def leader_of(reply: Reply) -> str:
    (leader,) = [f["value"] for f in reply.embeds[0]["fields"] if f["name"] == "Leader"]
    return str(leader)


def callbacks_of(discord: FakeDiscord, reply: Reply) -> list[int | None]:
    """The status of every initial response sent to this interaction, by any process."""
    inter = reply.interaction
    return [
        r.status
        for r in discord.em.requests_to("POST", INTERACTION_CALLBACK)
        if r.params["interaction_id"] == str(inter.id)
    ]


async def test_two_processes_answer_once_welcome_once_and_finish_a_killed_reminder_run(
    tmp_path: Path,
) -> None:
    assert POSTGRES_URL is not None
    url = normalise_database_url(POSTGRES_URL, tmp_path)
    await reset_postgres(url)
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    bots = Bots(tmp_path, emulator)
    registrants: list[Member] = [discord.add_member(name) for name in REGISTRANTS]
    await workshop_due_now(url, discord.guild.id, [m.id for m in registrants])
    # The third reminder reaches cai, but its answer never reaches the leader: it is killed while
    # waiting, before it could record that one, the fourth and the fifth.
    cai_dms = discord.dm_channel(registrants[2])
    lost = discord.faults.lose_answer("POST", f"/channels/{cai_dms.id}/messages")
    try:
        first = await bots.start("first")
        await eventually(lambda: lost.hits == 1, 30, "the first process reminds ana, ben, then cai")
        second = await bots.start("second")
        await bots.wait_standby("second")
        assert [len(reminders(discord.dms_to(m))) for m in registrants] == [1, 1, 1, 0, 0]

        # (b) With the run stuck, the leader still answers members, each interaction once.
        await eventually(lambda: any(c["name"] == "status" for c in discord.commands()), 10, "commands")
        owner, zoe = discord.owner, discord.add_member("zoe")
        status = await discord.slash(zoe, "status")
        assert f"process {first.pid}," in leader_of(status) and leader_of(status).endswith("(this process)")
        welcome = discord.add_channel("welcome")
        setup = await discord.slash(owner, "setup channel", purpose="welcome", channel=welcome)
        assert setup.content.startswith(f"Welcome channel set to <#{welcome.id}>"), setup.content
        subscribed = await discord.slash(zoe, "report subscribe")
        assert subscribed.content.startswith("You are subscribed: new reports will come to you by DM"), (
            subscribed.content
        )
        answered = [status, setup, subscribed]

        # (c) SIGKILL the leader mid-run: the standby takes the lock and finishes the run.
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await eventually(
            lambda: all(reminders(discord.dms_to(m)) for m in registrants), 25, "the standby reminds the rest"
        )
        await asyncio.sleep(1.0)  # time for a duplicate to show, were one coming
        assert [len(reminders(discord.dms_to(m))) for m in registrants] == [1, 1, 1, 1, 1]
        # cai was sent the reminder again (same nonce) and Discord answered with the first one.
        sent = emulator.requests_to("POST", "/channels/{channel_id}/messages")
        assert len([r for r in sent if r.params["channel_id"] == str(cai_dms.id)]) == 2

        # (a) A newcomer joins, with the new leader and a new standby: welcomed once.
        third = await bots.start("third")
        await bots.wait_standby("third")
        newcomer = discord.add_member("newcomer")
        await eventually(lambda: discord.dms_to(newcomer), 15, "the welcome DM")
        await eventually(
            lambda: any(f"<@{newcomer.id}>" in m.content for m in discord.messages_in(welcome)),
            15,
            "the welcome post",
        )
        await asyncio.sleep(1.5)  # time for a second welcome to show, were one coming
        # zoe joined while the first leader's run was stuck: the second welcomed her, once, too.
        for member in (zoe, newcomer):
            (dm,) = discord.dms_to(member)
            assert dm.content.startswith(f"Welcome to {discord.guild.name}, <@{member.id}>!"), dm.content
            (post,) = [m for m in discord.messages_in(welcome) if f"<@{member.id}>" in m.content]
            assert post.content.startswith(f"Welcome to {discord.guild.name}"), post.content
        status = await discord.slash(discord.add_member("yan"), "status")
        assert f"process {second.pid}," in leader_of(status)
        answered.append(status)
    finally:
        await bots.stop_all()
        await emulator.stop()

    for reply in answered:
        assert callbacks_of(discord, reply) in ([200], [204]), (reply, callbacks_of(discord, reply))
    statuses = [r.status for r in emulator.requests_to("POST", INTERACTION_CALLBACK)]
    assert 400 not in statuses, statuses  # no 40060: no second answer to any interaction
    assert "leading: this process" in bots.log("first")
    assert f"standby: waiting for the leader ({me().host} pid {first.pid})" in bots.log("second")
    assert "leading: this process" in bots.log("second")
    assert f"standby: waiting for the leader ({me().host} pid {second.pid})" in bots.log("third")
    for name in ("second", "third"):
        assert "Traceback" not in bots.log(name), bots.log(name)
    assert (second.returncode, third.returncode) == (0, 0), bots.log("second") + bots.log("third")
