"""/setup, /status and the shared error handler in Chinese, end to end."""

from __future__ import annotations

from typing import Any

import discord as dpy
import pytest
from discord import app_commands

from bot.i18n import translate
from bot.services import status as status_service
from bot.services.status import Health
from bot.ui.permissions import permission_list
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e


def field(embed: dict[str, Any], name: str) -> str:
    return next(str(item["value"]) for item in embed["fields"] if item["name"] == name)


def chinese_admin(cisip: BotHarness) -> Member:
    discord = cisip.discord
    return discord.add_member(
        "wang", locale="zh-CN", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)]
    )


def test_permissions_are_named_as_discord_names_them_in_each_language() -> None:
    missing = permission_list(["manage_roles", "send_messages", "embed_links"])
    assert translate("{p}", "en", p=missing) == "Manage Roles, Send Messages, and Embed Links"
    assert translate("{p}", "zh-CN", p=missing) == "管理身份组、发送消息和嵌入链接"
    # A permission nobody labelled still reads as words, not as an attribute name.
    assert translate("{p}", "en", p=permission_list(["pin_messages"])) == "Pin Messages"


async def test_status_in_chinese_writes_numbers_the_readers_way(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def busy(*args: object) -> Health:
        return Health("0.1.0", "sqlite", True, 1234.5, "head", "head", 12345, None)

    monkeypatch.setattr(status_service, "collect", busy)
    wang = cisip.discord.add_member("wang", locale="zh-CN")
    embed = (await cisip.discord.slash(wang, "status")).embeds[0]
    assert embed["title"] == "CISIP 机器人状态"
    assert field(embed, "计划任务") == "12,345 项待执行；下一项 暂无计划"
    assert field(embed, "数据库") == "sqlite，架构版本 head（最新），1,234.5 毫秒"
    assert field(embed, "网关延迟").endswith(" 毫秒")

    english = (await cisip.discord.slash(cisip.discord.add_member("alice"), "status")).embeds[0]
    assert field(english, "Scheduled") == "12,345 pending; next nothing scheduled"


async def test_setup_in_chinese_names_purposes_and_missing_permissions_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = chinese_admin(cisip)
    closed = discord.add_channel("closed")
    discord.set_permissions(closed, discord.bot_member, deny=Perm.SEND_MESSAGES | Perm.EMBED_LINKS)

    refused = await discord.slash(wang, "setup channel", purpose="reports", channel=closed)
    assert refused.content == (
        f"我无法使用 <#{closed.id}>：缺少发送消息和嵌入链接。请在该频道授予我这些权限后重试。"
    )

    done = await discord.slash(wang, "setup channel", purpose="welcome", channel=discord.channel("general"))
    assert done.content == f"欢迎频道已设为 <#{discord.channel('general').id}>。"
    embed = done.embeds[0]
    assert embed["title"] == "CISIP Test 的 CISIP 机器人设置"
    assert f"• 欢迎: <#{discord.channel('general').id}> ✅" in field(embed, "频道")
    assert "• 公告: 未设置" in field(embed, "频道")

    cleared = await discord.slash(wang, "setup clear", setting="channel:welcome")
    assert cleared.content == "已取消欢迎的设置。"


async def test_without_manage_roles_a_chinese_reader_is_told_what_is_missing(cisip: BotHarness) -> None:
    discord = cisip.discord
    discord.edit_role(discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    newcomer = discord.add_role("Newcomer")
    reply = await discord.slash(chinese_admin(cisip), "setup role", purpose="unverified", role=newcomer)
    assert reply.content == f"我无法使用 <@&{newcomer.id}>：缺少“管理身份组”权限。请修正后重试。"


async def test_missing_permissions_are_listed_by_their_translated_names(cisip: BotHarness) -> None:
    @app_commands.command(name="needs-roles", description="A command that needs Manage Roles")
    @app_commands.checks.bot_has_permissions(manage_roles=True, manage_events=True)
    async def needs_roles(interaction: dpy.Interaction[Any]) -> None:
        await interaction.response.send_message("ran")

    discord = cisip.discord
    discord.edit_role(discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    cisip.bot.tree.add_command(needs_roles)
    await cisip.bot.sync_commands(force=True)

    chinese = await discord.slash(discord.add_member("wang", locale="zh-CN"), "needs-roles")
    assert chinese.content == "我在这里缺少权限：管理身份组和管理活动。"
    english = await discord.slash(discord.add_member("alice"), "needs-roles")
    assert english.content == "I am missing permissions here: Manage Roles and Manage Events."


async def test_languages_are_offered_under_their_own_names_in_every_locale(cisip: BotHarness) -> None:
    setup = next(c for c in cisip.discord.commands() if c["name"] == "setup")
    language = next(sub for sub in setup["options"] if sub["name"] == "language")
    assert language["name_localizations"]["zh-CN"] == "语言"
    choices = {c["value"]: c for c in language["options"][0]["choices"]}
    assert choices["en"]["name"] == "English"
    assert choices["en"]["name_localizations"]["zh-CN"] == "English"
    assert choices["zh-CN"]["name_localizations"]["zh-CN"] == choices["zh-CN"]["name"] == "中文 (简体, 中国)"

    wang = chinese_admin(cisip)
    done = await cisip.discord.slash(wang, "setup language", language="zh-CN")
    assert done.content == "语言已设为 中文 (简体, 中国)。"
    assert field(done.embeds[0], "语言") == "中文 (简体, 中国)"
