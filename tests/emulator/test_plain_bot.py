"""A plain discord.py bot talks to the emulator: the flows every feature of the project relies on."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.fakediscord import FakeDiscord, connected

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e


async def test_slash_reply(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "ping")
    assert reply.content == "pong"
    assert not reply.ephemeral
    assert [m.content for m in fake_discord.messages_in("general")] == ["pong"]


async def test_deferred_reply_with_follow_up(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "slow")
    assert reply.deferred
    assert reply.content == "done thinking"
    assert reply.ephemeral
    assert fake_discord.messages_in("general") == []


async def test_button_modal_and_select(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        panel = await fake_discord.slash(alice, "panel")
        assert [b["label"] for b in panel.buttons] == ["Register", "Count"]

        counted = await fake_discord.click(alice, panel, label="Count")
        assert counted.content == "counted"
        assert panel.message is not None and panel.message.content == "counted"

        opened = await fake_discord.click(alice, panel, custom_id="register")
        assert opened.modal is not None and opened.modal.title == "Register"
        done = await fake_discord.submit_modal(alice, opened.modal, {"email": "alice@example.org"})
        assert done.content == "registered alice@example.org"
        assert done.ephemeral

        picked = await fake_discord.select(alice, panel, ["blue"])
        assert picked.content == "picked blue"


async def test_file_upload(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "export", name="parks.csv")
    assert reply.files == [("parks.csv", b"a,b\n1,2\n")]


async def test_every_option_type_is_resolved(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice", roles=["Verified"])
    bob = fake_discord.add_member("bob")
    welcome = fake_discord.add_channel("welcome")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(
            alice,
            "echo",
            text=42,
            count="7",
            ratio=1,
            flag=True,
            member=bob,
            channel=welcome,
            role=fake_discord.role("Verified"),
            who=bob,
            upload=("note.txt", b"hello"),
        )
    assert reply.content == "42|7|1.0|True|bob|welcome|Verified|bob|note.txt:hello"


async def test_subcommand_with_choices(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    welcome = fake_discord.add_channel("welcome")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "setup channel", kind="welcome", channel=welcome)
        assert reply.content == f"welcome -> <#{welcome.id}>"
        assert reply.ephemeral
        with pytest.raises(AssertionError, match="not one of"):
            await fake_discord.slash(alice, "setup channel", kind="nope", channel=welcome)


async def test_autocomplete(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        choices = await fake_discord.autocomplete(alice, "park info", "name", "zh")
    assert [c["value"] for c in choices] == ["Zhongguancun", "Zhangjiang"]


async def test_unregistered_command_or_option_is_refused(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        with pytest.raises(AssertionError, match="not registered"):
            await fake_discord.slash(alice, "nonexistent")
        with pytest.raises(AssertionError, match="no option"):
            await fake_discord.slash(alice, "ping", loud=True)
        with pytest.raises(AssertionError, match="required"):
            await fake_discord.slash(alice, "export")


async def test_acknowledge_only_and_wait_later(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    gate = asyncio.Event()

    @bot.tree.command(description="Defer, answer when told")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await gate.wait()
        await interaction.edit_original_response(content="finally")

    alice = fake_discord.add_member("alice")
    async with connected(bot, fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "later", wait_followup=False)
        assert reply.deferred and reply.content == ""
        gate.set()
        reply = await fake_discord.wait_reply(reply.interaction)
    assert reply.content == "finally"
