"""`cisip-bot web` (the pages alone) and `cisip-bot run` serving them beside the bot, as users run them."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.bot.cli_harness import run
from tests.bot.test_cli_run import stop
from tests.fakediscord import Emulator, FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "DEV_GUILD_ID", "LOG_LEVEL", "WEB_PORT", "WEB_PUBLIC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATA_DIR": str(tmp_path / "data")}


def test_web_with_port_0_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    monkeypatch.setenv("WEB_PORT", "0")
    code, _out, err = run(capsys, "web")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("cisip-bot: WEB_PORT is 0 (no web pages): set WEB_PORT")


def test_web_refuses_a_database_never_upgraded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    monkeypatch.setenv("WEB_PORT", str(free_port()))
    code, _out, err = run(capsys, "web")
    assert code == 1 and err.count("\n") == 1
    assert "run `cisip-bot db upgrade`" in err and "Traceback" not in err


async def wait_for(url: str, within: float = 30) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(within * 10)):
            try:
                async with session.get(url) as response:
                    await response.read()
                    return response
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url} within {within}s")


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_web_serves_the_pages_alone_and_stops_on_sigterm(
    environment: dict[str, str], tmp_path: Path
) -> None:
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await upgrade.communicate()
    assert upgrade.returncode == 0
    port = free_port()
    env = environment | {"WEB_PORT": str(port), "LOG_LEVEL": "INFO"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        health = await wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.status == 200
        status, body = await fetch(f"http://127.0.0.1:{port}/healthz")
        assert '"role": "web"' in body and '"leads": false' in body
        status, html = await fetch(f"http://127.0.0.1:{port}/parks?q=%E4%B8%AD%E5%85%B3%E6%9D%91")  # 中关村
        assert status == 200 and 'href="/parks/zhongguancun"' in html
    finally:
        log = await stop(process)
    assert process.returncode == 0, log
    assert f"web pages on http://127.0.0.1:{port}" in log
    assert "Traceback" not in log


@pytest.mark.e2e
async def test_run_serves_the_pages_beside_the_bot_and_healthz_says_it_leads(
    environment: dict[str, str], tmp_path: Path
) -> None:
    emulator = await Emulator(token=TOKEN).start()
    discord = FakeDiscord(emulator)
    port = free_port()
    taken = socket.socket()  # a second port, already in use: `run` warns and runs without pages
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    env = environment | {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": emulator.api_base_url,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "LOG_LEVEL": "INFO",
        "WEB_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await discord.wait_connected(within=30)
        body = ""
        for _ in range(100):  # READY reaches the bot a moment after the emulator counts it connected
            status, body = await fetch(f"http://127.0.0.1:{port}/healthz")
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200, body
        assert '"role": "bot", "leads": true' in body and '"connected": true' in body
        status, metrics = await fetch(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "cisip_leader 1.0" in metrics
        status, html = await fetch(f"http://127.0.0.1:{port}/parks/zhongguancun")
        assert status == 200 and "Zhongguancun Science Park" in html
    finally:
        log = await stop(process)
    assert process.returncode == 0, log
    second = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path,
        env=env | {"WEB_PORT": str(taken.getsockname()[1])},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await discord.wait_connected(within=30)
    finally:
        log = await stop(second)
        taken.close()
        await emulator.stop()
    assert second.returncode == 0, log
    assert "cannot serve the web pages on 127.0.0.1:" in log and "the bot runs without them" in log
