"""`cisip-bot run` as a user runs it: a real process that migrates, connects and answers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakediscord import Emulator, FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"

pytestmark = pytest.mark.e2e


async def test_run_migrates_connects_syncs_and_answers_status(tmp_path: Path) -> None:
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATA_DIR": str(tmp_path / "data"),
        "DISCORD_API_BASE_URL": emulator.api_base_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "LOG_LEVEL": "INFO",
    }
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await discord.wait_connected(within=30)
        for _ in range(100):
            if any(c["name"] == "status" for c in discord.commands()):
                break
            await asyncio.sleep(0.1)
        reply = await discord.slash(discord.add_member("alice"), "status")
        assert reply.ephemeral and reply.embeds[0]["title"] == "CISIP bot status"
        assert (tmp_path / "data" / "cisip.sqlite3").is_file()
        # The gateway goes away and refuses the first attempt to come back (an outage): the bot waits,
        # reconnects and resumes.
        emulator.gateway.refuse_next = 1
        await emulator.gateway.drop()
        await discord.wait_connected(within=30)
        reply = await discord.slash(discord.add_member("bob"), "status")
        assert reply.embeds[0]["title"] == "CISIP bot status"
    finally:
        log = await stop(process)
        await emulator.stop()
    assert process.returncode == 0, log  # SIGTERM (systemd, docker stop): a clean stop
    assert "database schema upgraded from nothing" in log
    assert "synced" in log and "application commands" in log
    assert TOKEN not in log
    assert "Traceback" not in log and " ERROR " not in log, log
    assert "alembic" not in log, log  # one line of the bot's own says what the upgrade did
    (reconnect,) = [line for line in log.splitlines() if "reconnect" in line]
    assert " WARNING  discord.client: Attempting a reconnect in " in reconnect
    assert "s (WSServerHandshakeError: 503, message='Invalid response status', url=" in reconnect, log


async def stop(process: asyncio.subprocess.Process, within: float = 30) -> str:
    """Stop the bot as systemd or docker do (SIGTERM); kill it if it is still there after
    ``within`` seconds, so no test leaves a bot running. Its log (stderr)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        _out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        _out, err = await process.communicate()
        raise AssertionError(f"the bot did not stop within {within}s of SIGTERM:\n{err.decode()}") from None
    return err.decode()
