"""Messages, members and the gateway's member requests, through a plain discord.py bot."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.fakediscord import FakeDiscord, connected

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e

MEMBERS = discord.Intents.default() | discord.Intents(members=True)


async def test_message_edit_fetch_history_delete(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    seen: list[str] = []

    @bot.listen()
    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        seen.append("edit")

    @bot.listen()
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        seen.append("delete")

    async with connected(bot, fake_discord):
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("one", embed=discord.Embed(title="Park", description="CISIP"))
        second = await channel.send("two")
        await first.edit(content="one (edited)")
        fetched = await channel.fetch_message(first.id)
        assert fetched.content == "one (edited)" and fetched.embeds[0].title == "Park"
        assert [m.content async for m in channel.history(limit=10)] == ["two", "one (edited)"]
        assert [m.content async for m in channel.history(limit=10, oldest_first=True)] == [
            "one (edited)",
            "two",
        ]
        await second.delete()
        with pytest.raises(discord.NotFound) as info:
            await channel.fetch_message(second.id)
        assert info.value.code == 10008
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
    assert seen == ["edit", "delete"]
    assert [m.content for m in fake_discord.messages_in("general")] == ["one (edited)"]


async def test_slash_command_in_a_dm(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    async with connected(make_bot(), fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "ping", in_channel=fake_discord.dm_channel(alice))
    assert reply.content == "pong"
    assert [m.content for m in fake_discord.dms_to(alice)] == ["pong"]


async def test_member_nick_and_roles_edit(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    verified = fake_discord.add_role("Verified")
    async with connected(make_bot(MEMBERS), fake_discord) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        member = guild.get_member(alice.id)
        assert member is not None
        await member.edit(nick="Alice", roles=[discord.Object(verified.id)])
        fetched = await guild.fetch_member(alice.id)
        assert fetched.nick == "Alice" and [r.id for r in fetched.roles[1:]] == [verified.id]
        owner = guild.get_member(fake_discord.owner.id)
        assert owner is not None
        with pytest.raises(discord.Forbidden):
            await owner.edit(nick="boss")  # nobody outranks the owner
    assert alice.nick == "Alice" and alice.role_ids == [verified.id]


async def test_request_guild_members_gets_a_chunk(fake_discord: FakeDiscord) -> None:
    fake_discord.add_member("alice")
    fake_discord.add_member("albert")
    fake_discord.add_member("bob")
    async with connected(make_bot(MEMBERS), fake_discord) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        found = await guild.query_members("al")
    assert sorted(m.name for m in found) == ["albert", "alice"]
    assert any(frame.get("op") == 8 for frame in fake_discord.gateway.received)


async def test_entity_select_is_resolved(fake_discord: FakeDiscord) -> None:
    class PickView(discord.ui.View):
        @discord.ui.select(cls=discord.ui.UserSelect, custom_id="who", max_values=2)
        async def who(
            self, interaction: discord.Interaction, select: discord.ui.UserSelect[PickView]
        ) -> None:
            names = sorted(u.display_name for u in select.values)
            await interaction.response.send_message(", ".join(names))

    bot = make_bot()

    @bot.tree.command(description="Pick members")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick", view=PickView())

    alice = fake_discord.add_member("alice")
    bob = fake_discord.add_member("bob", nick="Bobby")
    async with connected(bot, fake_discord, sync_commands=True):
        menu = await fake_discord.slash(alice, "pick")
        reply = await fake_discord.select(alice, menu, [alice, bob])
    assert reply.content == "Bobby, alice"


async def test_interaction_reply_pings_only_users_by_default(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice", roles=["Team"])
    fake_discord.edit_role("Team", mentionable=True)
    bot = make_bot()

    @bot.tree.command(description="Ping people")
    async def call(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"{alice.mention} <@&{fake_discord.role('Team').id}>",
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async with connected(bot, fake_discord, sync_commands=True):
        reply = await fake_discord.slash(alice, "call")
    assert reply.pinged == set()
    requests = fake_discord.em.requests_to("POST", "/interactions/{interaction_id}/{token}/callback")
    assert requests[-1].json["data"]["allowed_mentions"] == {"parse": []}
