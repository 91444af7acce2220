"""/status and /setup end to end: the real bot through the loopback Discord."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.migrate import head_revision
from bot.db.models import AuditEntry, GuildSettings
from bot.services import status as status_service
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e


def field(embed: dict[str, Any], name: str) -> str:
    for item in embed.get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {[f['name'] for f in embed.get('fields', [])]}")


async def stored_settings(cisip: BotHarness) -> GuildSettings | None:
    async with cisip.bot.db.session() as session:
        return await session.get(GuildSettings, cisip.discord.guild.id)


async def audit_actions(cisip: BotHarness) -> list[str]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


async def test_the_bot_reaches_ready_and_registers_its_commands(cisip: BotHarness) -> None:
    names = {command["name"] for command in cisip.discord.commands()}
    assert {"setup", "status"} <= names
    assert cisip.bot.failed_extensions == {}
    assert cisip.bot.synced_commands is True
    setup = next(c for c in cisip.discord.commands() if c["name"] == "setup")
    assert int(setup["default_member_permissions"]) == Perm.MANAGE_GUILD
    assert setup["contexts"] == [0]  # guild only


async def test_commands_are_synced_again_only_when_they_changed(cisip: BotHarness) -> None:
    puts = len(cisip.discord.em.requests_to("PUT", "/applications/{application_id}/commands"))
    await cisip.restart()
    assert cisip.bot.synced_commands is False
    assert len(cisip.discord.em.requests_to("PUT", "/applications/{application_id}/commands")) == puts


async def joined(cisip: BotHarness, name: str) -> Member:
    """A member who joined and was welcomed (the welcome is scheduled work: it shows in /status
    until it has gone out)."""
    member = cisip.discord.add_member(name)

    async def welcomed() -> bool:
        return bool(cisip.discord.dms_to(member)) and await cisip.bot.scheduler.pending_count() == 0

    await cisip.eventually(welcomed)
    return member


async def test_status_answers_anyone_privately(cisip: BotHarness) -> None:
    alice = await joined(cisip, "alice")
    reply = await cisip.discord.slash(alice, "status")

    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "CISIP bot status"
    assert field(embed, "Version") == "0.1.0"
    assert field(embed, "Database").startswith(f"sqlite, schema {head_revision()} (current)")
    assert field(embed, "Scheduled") == "0 pending; next nothing scheduled"
    assert field(embed, "Up since").startswith("<t:")
    assert field(embed, "Gateway latency").endswith(" ms")


async def test_status_shows_the_next_scheduled_job_as_a_timestamp(cisip: BotHarness) -> None:
    due = cisip.clock.now().replace(microsecond=0)
    alice = await joined(cisip, "alice")
    await cisip.bot.scheduler.schedule("nobody-handles-this", due.replace(year=2028))
    reply = await cisip.discord.slash(alice, "status")
    assert (
        field(reply.embeds[0], "Scheduled")
        == f"1 pending; next <t:{int(due.replace(year=2028).timestamp())}:R>"
    )


async def test_setup_refuses_a_member_without_the_staff_role(cisip: BotHarness) -> None:
    # Server admins can make /setup visible to anyone; the bot still checks on its side.
    mallory = cisip.discord.add_member("mallory")
    reply = await cisip.discord.slash(
        mallory, "setup channel", purpose="welcome", channel=cisip.discord.channel("general")
    )
    assert reply.ephemeral
    assert reply.content.startswith("Only CISIP staff can do this")
    assert await stored_settings(cisip) is None
    assert await audit_actions(cisip) == []


async def test_staff_set_a_channel_and_it_is_audited_without_pinging(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    audit = discord.add_channel("audit-log")
    await discord.slash(admin, "setup channel", purpose="audit", channel=audit)

    reply = await discord.slash(admin, "setup channel", purpose="welcome", channel=discord.channel("general"))

    assert reply.ephemeral
    assert reply.content == f"Welcome channel set to <#{discord.channel('general').id}>."
    assert "✅" in field(reply.embeds[0], "Channels")
    row = await stored_settings(cisip)
    assert row is not None and row.welcome_channel_id == discord.channel("general").id

    async def both_audited() -> bool:  # the handler answers first and audits after
        return len(discord.messages_in(audit)) == 2

    await cisip.eventually(both_audited)
    assert await audit_actions(cisip) == ["setup.channel", "setup.channel"]
    line = discord.messages_in(audit)[-1]
    assert line.content == f"`setup.channel` by <@{admin.user.id}>: Welcome = #general"
    assert line.pinged == set()  # type: ignore[attr-defined]


async def test_a_channel_the_bot_cannot_post_in_is_refused_naming_what_is_missing(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    closed = discord.add_channel("closed")
    discord.set_permissions(closed, discord.bot_member, deny=Perm.SEND_MESSAGES | Perm.EMBED_LINKS)

    reply = await discord.slash(admin, "setup channel", purpose="reports", channel=closed)

    assert reply.ephemeral
    assert reply.content == (
        f"I cannot use <#{closed.id}>: missing Send Messages and Embed Links. "
        "Give me these permissions there and try again."
    )
    assert await stored_settings(cisip) is None


async def test_a_role_above_the_bot_is_refused_and_one_below_accepted(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    high = discord.add_role("Board", above_bot=True)
    low = discord.add_role("Verified")

    refused = await discord.slash(admin, "setup role", purpose="verified", role=high)
    assert refused.content.startswith(
        f"I cannot use <@&{high.id}>: my highest role (CISIP Bot) must be above Board"
    )
    assert await stored_settings(cisip) is None

    accepted = await discord.slash(admin, "setup role", purpose="verified", role=low)
    assert accepted.content == f"Verified member role set to <@&{low.id}>."
    row = await stored_settings(cisip)
    assert row is not None and row.verified_role_id == low.id


async def test_without_manage_roles_the_bot_says_so(cisip: BotHarness) -> None:
    discord = cisip.discord
    discord.edit_role(discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    reply = await discord.slash(admin, "setup role", purpose="unverified", role=discord.add_role("Newcomer"))
    assert "the Manage Roles permission" in reply.content
    assert await stored_settings(cisip) is None


async def test_the_staff_role_opens_setup_to_its_members(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    staff = discord.add_role("CISIP Staff")
    helper = discord.add_member("hana", roles=[staff])

    assert (await discord.slash(helper, "setup show")).content.startswith("Only CISIP staff")
    await discord.slash(admin, "setup role", purpose="staff", role=staff)
    shown = await discord.slash(helper, "setup show")
    assert shown.embeds[0]["title"] == "CISIP bot settings for CISIP Test"
    assert f"<@&{staff.id}> ✅" in field(shown.embeds[0], "Roles")


async def test_time_zone_is_validated_and_autocompleted(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])

    choices = await discord.autocomplete(admin, "setup timezone", "zone", "shang")
    assert choices[0]["value"] == "Asia/Shanghai"

    bad = await discord.slash(admin, "setup timezone", zone="Mars/Base")
    assert bad.ephemeral
    assert (
        bad.content
        == "Unknown time zone 'Mars/Base': use an IANA name such as Asia/Shanghai or Europe/Berlin."
    )
    assert await stored_settings(cisip) is None

    good = await discord.slash(admin, "setup timezone", zone="asia/bangkok")
    assert good.content == "Time zone set to Asia/Bangkok."
    assert field(good.embeds[0], "Time zone") == "Asia/Bangkok"


async def test_an_unexpected_error_gives_a_reference_and_logs_it(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(status_service, "collect", broken)
    with caplog.at_level(logging.ERROR):
        reply = await cisip.discord.slash(cisip.discord.add_member("alice"), "status")

    assert reply.ephemeral
    assert reply.content.startswith("Something went wrong (ref ")
    ref = reply.content.split("(ref ")[1][:6]
    assert "disk on fire" not in reply.content
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_a_member_whose_discord_is_in_chinese_is_answered_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = discord.add_member("wang", locale="zh-CN")
    reply = await discord.slash(wang, "setup show")
    assert reply.content.startswith("只有 CISIP 工作人员可以执行此操作")

    status = await discord.slash(wang, "status")
    assert status.embeds[0]["title"] == "CISIP 机器人状态"

    setup = next(c for c in discord.commands() if c["name"] == "setup")
    assert setup["name_localizations"]["zh-CN"] == "设置"
    assert setup["description_localizations"]["zh-CN"] == "设置机器人的频道、身份组、时区和语言"
