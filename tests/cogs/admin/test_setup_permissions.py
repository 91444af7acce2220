"""/setup show names the server permissions the bot's roles lack, with what each enables."""

from __future__ import annotations

import pytest

from tests.cogs.admin.test_setup_and_status import field
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

EVERYTHING = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_NICKNAMES
    | Perm.MANAGE_EVENTS
    | Perm.MENTION_EVERYONE
)
MENTION = "Mention @everyone, @here and All Roles"


def staff(cisip: BotHarness) -> Member:
    discord = cisip.discord
    return discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])


async def server_permissions(cisip: BotHarness, admin: Member) -> str:
    reply = await cisip.discord.slash(admin, "setup show")
    assert reply.ephemeral
    return field(reply.embeds[0], "Server permissions")


async def test_setup_show_names_each_missing_permission_with_what_it_enables(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    # The emulator's bot role has everything but Mention @everyone: optional, so no warning.
    shown = await server_permissions(cisip, admin)
    assert shown == (
        f"• missing {MENTION} (optional): "
        "ping a role that is not mentionable in calendar posts and workshop announcements"
    )

    # @everyone gives View Channel, Send Messages, Embed Links and Attach Files in the emulator.
    discord.edit_role(discord.guild.roles[discord.guild.id], permissions=0)
    discord.edit_role(discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    lines = (await server_permissions(cisip, admin)).splitlines()
    assert lines == [
        "⚠️ missing Attach Files: attach the report PDF to its announcement",
        "⚠️ missing Manage Roles: give and take the verified, unverified and member-type roles",
        "⚠️ missing Manage Nicknames: set approved members' nicknames when nicknames are on, "
        "and reset them when data is erased",
        "⚠️ missing Manage Events: create and update the Discord event of each workshop",
        f"• missing {MENTION} (optional): "
        "ping a role that is not mentionable in calendar posts and workshop announcements",
    ]


async def test_create_events_serves_for_manage_events_and_everything_shows_as_granted(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    discord.edit_role(discord.bot_role, permissions=(EVERYTHING & ~Perm.MANAGE_EVENTS) | Perm.CREATE_EVENTS)
    assert await server_permissions(cisip, admin) == "✅ the bot has every permission it asks for"

    discord.edit_role(discord.bot_role, permissions=Perm.ADMINISTRATOR)
    assert await server_permissions(cisip, admin) == "✅ the bot has every permission it asks for"


async def test_setup_show_reads_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = discord.add_member(
        "li", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)], locale="zh-CN"
    )
    reply = await discord.slash(admin, "setup show")
    assert field(reply.embeds[0], "服务器权限") == (
        "• 缺少“提及 @everyone、@here 和所有身份组”（可选）：用于在日历消息和研讨会公告中提及不可提及的身份组"
    )
