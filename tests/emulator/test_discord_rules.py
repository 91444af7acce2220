"""The emulator refuses what Discord refuses, with Discord's status and error codes."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord, Perm, connected
from tests.fakediscord.interactions import Interaction, InteractionType

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e


async def call(
    fake: FakeDiscord, method: str, path: str, body: Any = None, *, auth: bool = True, query: str = ""
) -> tuple[int, Any, dict[str, str]]:
    """One raw REST call, as a client that does not retry anything."""
    headers = {"Authorization": f"Bot {fake.token}"} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.api_base_url + path + query, json=body, headers=headers) as resp,
    ):
        data = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, data, dict(resp.headers)


def new_command_interaction(fake: FakeDiscord, who: Any) -> Interaction:
    data = {"id": "1", "name": "ping", "type": 1, "options": []}
    channel = fake.channel("general")
    return fake.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, who.user, channel)


def callback_path(inter: Interaction) -> str:
    return f"/interactions/{inter.id}/{inter.token}/callback"


# -- interactions --------------------------------------------------------------------------------------


async def test_only_one_initial_response(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    first = await call(
        fake_discord, "POST", callback_path(inter), {"type": 4, "data": {"content": "hi"}}, auth=False
    )
    assert first[0] == 204
    status, body, _ = await call(
        fake_discord, "POST", callback_path(inter), {"type": 4, "data": {"content": "again"}}, auth=False
    )
    assert (status, body) == (400, {"message": "Interaction has already been acknowledged.", "code": 40060})


async def test_with_response_returns_the_callback_object(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    body = {"type": 4, "data": {"content": "hi", "flags": 64}}
    status, data, _ = await call(
        fake_discord, "POST", callback_path(inter), body, auth=False, query="?with_response=1"
    )
    assert status == 200
    assert data["interaction"]["response_message_ephemeral"] is True
    assert data["resource"]["message"]["content"] == "hi"


async def test_initial_response_after_the_deadline_is_unknown_interaction(fake_discord: FakeDiscord) -> None:
    fake_discord.em.interaction_timeout = 0.05
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    await asyncio.sleep(0.1)
    status, body, _ = await call(fake_discord, "POST", callback_path(inter), {"type": 5}, auth=False)
    assert (status, body) == (404, {"message": "Unknown interaction", "code": 10062})


async def test_slow_bot_gets_10062(fake_discord: FakeDiscord) -> None:
    fake_discord.em.interaction_timeout = 0.05
    fake_discord.reply_timeout = 0.5
    bot = make_bot()
    failures: list[int] = []

    @bot.tree.command(description="Too slow")
    async def sluggish(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.1)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            failures.append(exc.code)

    alice = fake_discord.add_member("alice")
    async with connected(bot, fake_discord, sync_commands=True):
        with pytest.raises(AssertionError, match="did not answer"):
            await fake_discord.slash(alice, "sluggish")
    assert failures == [10062]


async def test_follow_up_token_expires_after_15_minutes(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    await call(fake_discord, "POST", callback_path(inter), {"type": 5}, auth=False)
    follow_up = f"/webhooks/{fake_discord.application_id}/{inter.token}"
    assert (await call(fake_discord, "POST", follow_up, {"content": "one"}, auth=False))[0] == 200
    fake_discord.em.advance(15 * 60 + 1)
    status, body, _ = await call(fake_discord, "POST", follow_up, {"content": "two"}, auth=False)
    assert (status, body["code"]) == (401, 50027)


async def test_deferred_original_is_edited_and_ephemeral_flag_kept(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    await call(fake_discord, "POST", callback_path(inter), {"type": 5, "data": {"flags": 64}}, auth=False)
    original = f"/webhooks/{fake_discord.application_id}/{inter.token}/messages/@original"
    status, body, _ = await call(fake_discord, "PATCH", original, {"content": "ready"}, auth=False)
    assert status == 200 and body["content"] == "ready" and body["flags"] & 64
    reply = await fake_discord.wait_reply(inter)
    assert reply.ephemeral and reply.content == "ready"


# -- members, roles, DMs, events -------------------------------------------------------------------------


async def test_closed_dms_give_50007(fake_discord: FakeDiscord) -> None:
    open_dms = fake_discord.add_member("sam", dms_open=True)
    closed = fake_discord.add_member("carol", dms_open=False)
    async with connected(
        make_bot(discord.Intents.default() | discord.Intents(members=True)), fake_discord
    ) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        await guild.get_member(open_dms.id).send("welcome")  # type: ignore[union-attr]
        with pytest.raises(discord.Forbidden) as info:
            await guild.get_member(closed.id).send("welcome")  # type: ignore[union-attr]
    assert info.value.code == 50007 and info.value.text == "Cannot send messages to this user"
    assert [m.content for m in fake_discord.dms_to(open_dms)] == ["welcome"]
    assert fake_discord.dms_to(closed) == []


async def test_role_grants_follow_manage_roles_and_hierarchy(fake_discord: FakeDiscord) -> None:
    staff = fake_discord.add_member("sam")
    alice = fake_discord.add_member("alice")
    verified = fake_discord.add_role("Verified")
    admin = fake_discord.add_role("Admin", above_bot=True)
    intents = discord.Intents.default() | discord.Intents(members=True)
    async with connected(make_bot(intents), fake_discord, sync_commands=True) as bot:
        assert (
            await fake_discord.slash(staff, "grant", member=alice, role=admin)
        ).content == "forbidden 50013"
        assert (await fake_discord.slash(staff, "grant", member=alice, role=verified)).content == "granted"
        assert verified.id in alice.role_ids and admin.id not in alice.role_ids

        fake_discord.edit_role(fake_discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        helper = fake_discord.add_role("Helper")
        assert (
            await fake_discord.slash(staff, "grant", member=alice, role=helper)
        ).content == "forbidden 50013"

        # The GUILD_MEMBER_UPDATE reached the bot's cache.
        member = bot.get_guild(fake_discord.guild.id).get_member(alice.id)  # type: ignore[union-attr]
        assert member is not None and [r.name for r in member.roles[1:]] == ["Verified"]


async def test_scheduled_events_need_manage_events(fake_discord: FakeDiscord) -> None:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    async with connected(make_bot(), fake_discord) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        event = await guild.create_scheduled_event(
            name="Demo day",
            start_time=start,
            end_time=start + dt.timedelta(hours=2),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Hall A",
        )
        edited = await event.edit(name="Demo day 2")
        assert edited.name == "Demo day 2"
        assert [e.name for e in await guild.fetch_scheduled_events()] == ["Demo day 2"]

        fake_discord.edit_role(fake_discord.bot_role, permissions=Perm.VIEW_CHANNEL)
        with pytest.raises(discord.Forbidden) as info:
            await event.delete()
        assert info.value.code == 50013
        with pytest.raises(discord.Forbidden):
            await guild.create_scheduled_event(
                name="Nope",
                start_time=start,
                end_time=start,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location="x",
            )
    assert [e["name"] for e in fake_discord.guild.scheduled_events.values()] == ["Demo day 2"]


# -- messages ---------------------------------------------------------------------------------------------


async def test_allowed_mentions_decide_who_is_pinged(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    bob = fake_discord.add_member("bob", roles=["Team"])
    team = fake_discord.role("Team")
    fake_discord.edit_role(team, mentionable=True)
    text = f"{alice.mention} {team.mention} @everyone"
    async with connected(make_bot(), fake_discord) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send(text)  # no allowed_mentions: everything parsed, but no MENTION_EVERYONE
        await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        await channel.send(text, allowed_mentions=discord.AllowedMentions(users=[alice], roles=False))
        fake_discord.edit_role(fake_discord.bot_role, permissions=Perm.ALL)
        await channel.send(text)
    default, none, only_alice, everyone = fake_discord.messages_in("general")
    assert default.pinged == {alice.id, bob.id} and not default.mention_everyone
    assert none.pinged == set()
    assert only_alice.pinged == {alice.id}
    assert everyone.mention_everyone and {alice.id, bob.id, fake_discord.owner.id} <= everyone.pinged


async def test_nonce_with_enforce_nonce_is_deduplicated(fake_discord: FakeDiscord) -> None:
    async with connected(make_bot(), fake_discord) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("report #1", nonce="report-1")
        again = await channel.send("report #1", nonce="report-1")
        other = await channel.send("report #2", nonce="report-2")
    assert first.id == again.id != other.id
    assert [m.content for m in fake_discord.messages_in("general")] == ["report #1", "report #2"]


async def test_attachment_over_upload_limit_is_413(fake_discord: FakeDiscord) -> None:
    fake_discord.guild.upload_limit = 1024
    async with connected(make_bot(), fake_discord) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send(file=discord.File(__import__("io").BytesIO(b"x" * 1024), "ok.bin"))
        with pytest.raises(discord.HTTPException) as info:
            await channel.send(file=discord.File(__import__("io").BytesIO(b"x" * 1025), "big.bin"))
    assert (info.value.status, info.value.code) == (413, 40005)
    (sent,) = fake_discord.messages_in("general")
    assert sent.files == [("ok.bin", b"x" * 1024)]


async def test_sending_needs_channel_permissions(fake_discord: FakeDiscord) -> None:
    secret = fake_discord.add_channel("secret")
    quiet = fake_discord.add_channel("quiet")
    fake_discord.set_permissions(secret, fake_discord.guild.everyone, deny=Perm.VIEW_CHANNEL)
    fake_discord.set_permissions(quiet, fake_discord.bot_role, deny=Perm.SEND_MESSAGES)
    status, body, _ = await call(fake_discord, "POST", f"/channels/{secret.id}/messages", {"content": "x"})
    assert (status, body["code"]) == (403, 50001)
    status, body, _ = await call(fake_discord, "POST", f"/channels/{quiet.id}/messages", {"content": "x"})
    assert (status, body["code"]) == (403, 50013)
    fake_discord.set_permissions(quiet, fake_discord.bot_member, allow=Perm.SEND_MESSAGES)
    status, _, _ = await call(fake_discord, "POST", f"/channels/{quiet.id}/messages", {"content": "x"})
    assert status == 200


async def test_unknown_routes_and_entities(fake_discord: FakeDiscord) -> None:
    assert (await call(fake_discord, "GET", "/nope"))[:2] == (404, {"message": "404: Not Found", "code": 0})
    assert (await call(fake_discord, "GET", "/channels/123"))[1]["code"] == 10003
    general = fake_discord.channel("general").id
    assert (await call(fake_discord, "GET", f"/channels/{general}/messages/1"))[1]["code"] == 10008
    assert (await call(fake_discord, "GET", f"/guilds/{fake_discord.guild.id}/members/1"))[1]["code"] == 10007
    assert (await call(fake_discord, "GET", "/users/@me", auth=False))[0] == 401
