"""Reports in the reader's language: replies in the interaction's, the announcement in the server's,
each report DM in its subscriber's last seen language and the progress DM in the publisher's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cogs.conftest import BotHarness
from tests.cogs.reports.test_reports import FAST as FAST_ENGINE
from tests.cogs.reports.test_reports import (
    delivered,
    publish,
    reply_buttons,
    report_dms,
    reports_channel,
    staff,
    stored_report,
    subscribe,
    use_engine,
    verified,
)
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def fast_engine(cisip: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    use_engine(monkeypatch, FAST_ENGINE)


async def seen_in(cisip: BotHarness, member: Member, locale: str) -> None:
    """Wait until the bot has recorded the language of ``member``'s last interaction."""

    async def recorded() -> bool:
        return await cisip.bot.services.user_locales.get(member.id) == locale

    await cisip.eventually(recorded)


async def subscribe_without_using_the_bot(cisip: BotHarness, *members: Member) -> None:
    """Subscribed (as if before languages were recorded): the bot has never seen their locale."""
    await verified(cisip, *members)
    service = cisip.bot.services.reports
    for member in members:
        await service.subscribe(cisip.discord.guild.id, member.id)


def fields(message: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


def button_labels(message: Any) -> list[str]:
    return [str(b.get("label")) for b in reply_buttons(message)]


async def test_each_report_dm_is_in_its_subscribers_last_seen_language(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip, "wu")  # an English-speaking server; its staff member's Discord is in English
    channel = await reports_channel(cisip, admin)
    wang = discord.add_member("wang", locale="zh-CN")
    alice = discord.add_member("alice")
    ghost = discord.add_member("ghost")  # never used the bot: the server's language
    await subscribe(cisip, alice)
    await verified(cisip, wang)
    reply = await discord.slash(wang, "report subscribe")
    assert reply.content.startswith("订阅成功")
    await subscribe_without_using_the_bot(cisip, ghost)
    await seen_in(cisip, wang, "zh-CN")

    await publish(cisip, admin, url="https://cisip.org/reports/2026.pdf")
    await delivered(cisip)

    chinese = report_dms(cisip, wang)
    assert len(chinese) == 1
    assert chinese[0].embeds[0]["title"] == "Science Park Development Report (2026)"
    assert list(fields(chinese[0]))[:2] == ["语言", "可见范围"]
    assert fields(chinese[0])["语言"] == "英文"
    assert fields(chinese[0])["可见范围"] == "仅限会员"
    assert button_labels(chinese[0]) == ["阅读报告", "取消订阅"]
    for member in (alice, ghost):
        (dm,) = report_dms(cisip, member)
        assert fields(dm)["Language"] == "English"
        assert button_labels(dm) == ["Read the report", "Unsubscribe"]
    # The announcement is the server's, in English.
    announcement = discord.messages_in(channel)[-1]
    assert announcement.content == "A new CISIP report is out."
    assert button_labels(announcement) == ["Subscribe", "Read the report"]
    # The Unsubscribe button of the Chinese DM works, and answers in Chinese.
    reply = await discord.click(wang, chinese[0], label="取消订阅")
    assert reply.content == "已取消订阅：您将不再收到报告私信。"


async def test_in_a_chinese_server_a_member_never_seen_gets_chinese_and_english_speakers_english(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    await discord.slash(admin, "setup language", language="zh-CN")
    alice, ghost = discord.add_member("alice"), discord.add_member("ghost")
    await subscribe(cisip, alice)
    await subscribe_without_using_the_bot(cisip, ghost)
    await seen_in(cisip, alice, "en-US")

    await publish(cisip, admin, file=("report.pdf", b"%PDF-1.7\n" + b"x" * 100))
    await delivered(cisip)

    announcement = discord.messages_in(channel)[-1]
    assert announcement.content == "CISIP 发布了一份新报告。"
    assert button_labels(announcement) == ["订阅"]
    (dm,) = report_dms(cisip, ghost)
    assert fields(dm)["语言"] == "英文"
    assert button_labels(dm) == ["打开公告", "取消订阅"]
    (dm,) = report_dms(cisip, alice)
    assert fields(dm)["Language"] == "English"
    assert button_labels(dm) == ["Open the announcement", "Unsubscribe"]


async def test_a_chinese_publisher_gets_chinese_replies_and_progress_while_the_server_reads_english(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip, "wu")
    channel = await reports_channel(cisip, admin)
    li = discord.add_member("li", roles=["Admins"], locale="zh-CN")  # staff, with Discord in Chinese
    ok, closed = discord.add_member("ok"), discord.add_member("closed", dms_open=False)
    await subscribe(cisip, ok, closed)
    await discord.slash(li, "report list")
    await seen_in(cisip, li, "zh-CN")

    reply = await publish(cisip, li, url="https://cisip.org/r.pdf")
    assert reply.content == (
        f"已在 <#{channel.id}> 发布 Science Park Development Report。"
        "正在发送给 2 位订阅者；我会通过私信告诉您进度。"
    )
    await delivered(cisip)
    assert discord.messages_in(channel)[-1].content == "A new CISIP report is out."
    progress = [m for m in discord.dms_to(li) if m.content.startswith("**")]
    assert [m.content for m in progress] == [
        "**Science Park Development Report**：发送完成。已送达 1 · 私信关闭 1 · 失败 0 · 跳过 0"
    ]

    report = await stored_report(cisip)
    reply = await discord.slash(li, "report-admin deliveries", report=str(report.id))
    embed = reply.embeds[0]
    assert embed["title"] == "Science Park Development Report 的发送情况"
    assert fields(reply) == {
        "订阅者": "2",
        "已送达": "1",
        "私信已关闭": "1",
        "失败": "0",
        "已跳过": "0",
        "等待中": "0",
    }
    assert embed["footer"]["text"] == "发送已完成。"
    reply = await discord.slash(li, "report-admin withdraw", report=str(report.id))
    assert reply.content == "Science Park Development Report 已撤回；尚未发送的 0 条私信将不再发送。"


async def test_members_browse_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    for year in range(2020, 2027):
        await publish(cisip, admin, title=f"Report {year}", year=year, url=f"https://cisip.org/{year}.pdf")
    wang = discord.add_member("wang", locale="zh-CN")
    await verified(cisip, wang)  # the reports are members-only

    reply = await discord.slash(wang, "report list")
    embed = reply.embeds[0]
    assert embed["title"] == "CISIP 报告"
    assert embed["fields"][0]["value"].startswith("仅限会员 · 英文\n")
    assert embed["footer"]["text"] == "第 1 页，共 2 页 · 使用 /report get 获取报告"
    assert button_labels(reply.message) == ["上一页", "下一页"]
    reply = await discord.slash(wang, "report latest")
    assert reply.embeds[0]["title"] == "Report 2026 (2026)"
    assert [f["name"] for f in reply.embeds[0]["fields"]] == ["语言", "可见范围", "发布日期"]
    assert button_labels(reply.message) == ["阅读报告"]


def test_counts_are_written_the_readers_way() -> None:
    from functools import partial

    from bot.services.delivery import DeliveryCounts
    from bot.ui.text import translate_in
    from cogs.reports.views import counts_embed, progress_text

    counts = DeliveryCounts(total=12_345, sent=10_234, dms_closed=1_001, failed=7, skipped=3)
    english, chinese = partial(translate_in, "en"), partial(translate_in, "zh-CN")
    assert (
        progress_text(english, "R", counts, final=False)
        == "**R**: delivered 10,234 / 12,345 · 1,001 DMs closed"
    )
    assert progress_text(chinese, "R", counts, final=True) == (
        "**R**：发送完成。已送达 10,234 · 私信关闭 1,001 · 失败 7 · 跳过 3"
    )
    # A language whose numbers differ (Russian, with no catalog yet): the numbers follow it already.
    russian = partial(translate_in, "ru")
    assert progress_text(russian, "R", counts, final=False).startswith(
        "**R**: delivered 10\xa0234 / 12\xa0345"
    )

    class Running:
        title, delivery_state = "R", "running"

    embed = counts_embed(chinese, Running(), counts)  # type: ignore[arg-type]
    assert {f.name: f.value for f in embed.fields}["订阅者"] == "12,345"
    assert embed.footer.text == "发送进行中。"
