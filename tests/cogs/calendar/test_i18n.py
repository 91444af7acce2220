"""/calendar in Chinese: staff read it in their Discord's language, the server reads its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Channel, Member

pytestmark = pytest.mark.e2e


def stamp(when: datetime, style: str = "F") -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def staff(cisip: BotHarness, name: str = "wang", locale: str = "zh-CN") -> Member:
    discord = cisip.discord
    return discord.add_member(
        name, locale=locale, roles=[discord.add_role(f"Admins {name}", permissions=Perm.MANAGE_GUILD)]
    )


async def audit_line(cisip: BotHarness, audit: Channel, count: int) -> str:
    """The audit channel's last line once it has ``count`` (handlers answer first, audit after)."""

    async def written() -> bool:
        return len(cisip.discord.messages_in(audit)) >= count

    await cisip.eventually(written)
    return cisip.discord.messages_in(audit)[-1].content


async def add_spring(cisip: BotHarness, who: Member) -> str:
    options = {
        "name": "Spring",
        "month": 3,
        "day": 15,
        "time": "09:00",
        "timezone": "Europe/Berlin",
        "channel": "general",
    }
    reply = await cisip.discord.slash(who, "calendar add", options=options)
    assert reply.modal is not None, reply.content
    done = await cisip.discord.submit_modal(who, reply.modal, {"message": "Spring {year}"})
    return done.content


async def test_chinese_staff_add_and_list_in_chinese_with_chinese_dates(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = staff(cisip)
    general = discord.channel("general")
    due = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 in Berlin

    opened = await discord.slash(
        wang,
        "calendar add",
        options={"name": "Spring", "month": 3, "day": 15, "time": "09:00", "channel": "general"},
    )
    assert opened.modal is not None
    assert opened.modal.title == "“Spring”的消息"
    field = opened.modal.inputs["message"]
    assert field["label"] == "消息"
    assert field["value"] == "{server}，{year} 年周年快乐！这是第 {edition} 届。"

    answer = await add_spring(cisip, wang)
    assert answer == (
        f"已添加“Spring”：3月15日 09:00（Europe/Berlin），发布到 <#{general.id}>，"
        f"下次 {stamp(due)} ({stamp(due, 'R')})。"
    )

    listed = await discord.slash(wang, "calendar list")
    embed = listed.embeds[0]
    assert embed["description"].startswith(
        f"**Spring** — 3月15日 09:00（Europe/Berlin） → <#{general.id}> · 下次 {stamp(due)}"
    )
    cycles = embed["fields"][0]["value"]
    assert embed["fields"][0]["name"] == "内置周期"
    assert "⏸ **成立周年纪念** (`anniversary`) — 5月26日 09:00（UTC） · 已关闭" in cycles
    assert "⏸ **会员续期检查** (`membership-renewal`) — 每天 03:00（UTC） · 已关闭" in cycles

    # The same list for an English reader: English month abbreviations, the daily cycle said so.
    english = await discord.slash(staff(cisip, "sam", "en-US"), "calendar list")
    assert english.embeds[0]["description"].startswith("**Spring** — Mar 15 09:00 Europe/Berlin → ")
    assert "(`membership-renewal`) — daily at 03:00 UTC · off" in english.embeds[0]["fields"][0]["value"]

    preview = await discord.slash(wang, "calendar preview", name="Spring")
    assert preview.content == f"“Spring”的预览（下次 {stamp(due)}，发布到 <#{general.id}>）："
    assert preview.embeds[0]["description"] == "Spring 2027"


async def test_audit_lines_follow_the_server_language_and_are_stored_in_english(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = staff(cisip)
    audit = discord.add_channel("audit-log")
    await discord.slash(wang, "setup channel", purpose="audit", channel=audit)

    await audit_line(cisip, audit, 1)  # setup.channel
    await add_spring(cisip, wang)  # a Chinese reader, an English server
    assert await audit_line(cisip, audit, 2) == (
        f"`calendar.add` by <@{wang.user.id}>: Spring: Mar 15 09:00 Europe/Berlin → #general"
    )

    await discord.slash(wang, "setup language", language="zh-CN")
    await audit_line(cisip, audit, 3)
    await discord.slash(wang, "calendar edit", name="Spring", time="18:30", no_role=True)
    assert await audit_line(cisip, audit, 4) == (
        f"<@{wang.user.id}> 执行了 `calendar.edit`：Spring：发布时间和不再提及身份组"
    )
    await discord.slash(wang, "calendar builtin", name="membership-renewal", enabled=True)
    assert await audit_line(cisip, audit, 5) == (
        f"<@{wang.user.id}> 执行了 `calendar.builtin`：会员续期检查 已开启：每天 03:00（UTC）"
    )

    async with cisip.bot.db.session() as session:
        summaries = (
            await session.scalars(
                select(AuditEntry.summary)
                .where(AuditEntry.action.in_(["calendar.edit", "calendar.builtin"]))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert summaries == [
        "Spring: schedule and no role",
        "Membership renewal sweep on (daily at 03:00 UTC)",
    ]


async def test_scheduled_posts_speak_the_servers_language_not_the_staffs(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = staff(cisip)
    news = discord.add_channel("news")
    await discord.slash(wang, "setup channel", purpose="announcements", channel=news)
    await discord.slash(wang, "calendar builtin", name="anniversary", enabled=True)

    cisip.clock.set(datetime(2027, 5, 26, 9, tzinfo=UTC))
    await cisip.bot.scheduler.run_due()
    assert discord.messages_in(news)[-1].content.startswith("🎉 Today CISIP turns 8!")

    await discord.slash(wang, "setup language", language="zh-CN")
    sam = staff(cisip, "sam", "en-US")
    posted = await discord.slash(sam, "calendar builtin", name="anniversary", enabled=True)
    assert posted.content.startswith("✅ **Founding anniversary** (`anniversary`) — May 26 09:00 UTC · next")
    cisip.clock.set(datetime(2028, 5, 26, 9, tzinfo=UTC))
    await cisip.bot.scheduler.run_due()
    assert discord.messages_in(news)[-1].content.startswith("🎉 今天是 CISIP 成立 9 周年！")


async def test_calendar_commands_have_chinese_names(cisip: BotHarness) -> None:
    calendar = next(c for c in cisip.discord.commands() if c["name"] == "calendar")
    names = {sub["name"]: sub["name_localizations"]["zh-CN"] for sub in calendar["options"]}
    assert names["run-now"] == "立即发布"
    assert names["builtin"] == "内置周期"
    edit = next(sub for sub in calendar["options"] if sub["name"] == "edit")
    options = {option["name"]: option["name_localizations"]["zh-CN"] for option in edit["options"]}
    assert options["name"] == "名称" and options["new_name"] == "新名称"


async def test_a_cycle_whose_channel_was_unset_fails_saying_so_in_the_servers_language(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    sam = staff(cisip, "sam", "en-US")
    news, audit = discord.add_channel("news"), discord.add_channel("audit-log")
    await discord.slash(sam, "setup channel", purpose="announcements", channel=news)
    await discord.slash(sam, "setup channel", purpose="audit", channel=audit)
    await discord.slash(sam, "calendar builtin", name="anniversary", enabled=True)
    await discord.slash(sam, "setup language", language="zh-CN")
    await discord.slash(sam, "setup clear", setting="channel:announcements")
    await audit_line(cisip, audit, 4)

    cisip.clock.set(datetime(2027, 5, 26, 9, tzinfo=UTC))
    await cisip.bot.scheduler.run_due()

    assert discord.messages_in(news) == []
    assert await audit_line(cisip, audit, 5) == (
        f"<@{discord.bot_user.id}> 执行了 `calendar.failed`："
        "成立周年纪念：请先用 /setup channel 设置公告频道：此周期会在那里发帖。"
    )
    async with cisip.bot.db.session() as session:
        summary = await session.scalar(
            select(AuditEntry.summary).where(AuditEntry.action == "calendar.failed")
        )
    assert summary == (
        "Founding anniversary: Set the Announcements channel with /setup channel first: "
        "this cycle posts there."
    )


async def test_a_refusal_names_missing_permissions_in_the_readers_language(cisip: BotHarness) -> None:
    """The server reads English; Chinese staff get the whole refusal in Chinese, permissions too."""
    discord = cisip.discord
    wang = staff(cisip)
    await add_spring(cisip, wang)
    general = discord.channel("general")
    discord.set_permissions(general, discord.bot_member, deny=Perm.SEND_MESSAGES)

    refused = await discord.slash(wang, "calendar run-now", name="Spring")

    assert refused.ephemeral
    assert (
        refused.content
        == f"我无法在 <#{general.id}> 发帖：缺少发送消息和嵌入链接。请在该频道授予我这些权限后重试。"
    )
