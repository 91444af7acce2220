"""Workshops in Chinese and English: replies in the reader's language, DMs in each member's last
used language, the announcement in the server's, numbers written the reader's way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_workshops import (
    FORM,
    START_UTC,
    World,
    dms,
    eventually,
    field,
    reminders,
    seats,
)
from tests.fakediscord import Perm
from tests.fakediscord.dsl import Reply
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

TITLE = "Science Park Management Workshop 2027"


@pytest.fixture
async def w(cisip: BotHarness) -> World:
    world = World(cisip)
    await world.configure()
    return world


async def seen(cisip: BotHarness, member: Member, locale: str) -> None:
    """Wait until the bot has recorded the locale of the member's last interaction."""

    async def recorded() -> bool:
        return await cisip.bot.services.user_locales.get(member.user.id) == locale

    await cisip.eventually(recorded)


def labels(reply: Reply | Any) -> list[str]:
    return [b["label"] for row in reply.components for b in row["components"]]


async def test_a_chinese_member_reads_workshops_in_chinese_and_the_post_stays_english(
    cisip: BotHarness, w: World
) -> None:
    d = cisip.discord
    await w.create(capacity=1234)
    post = w.announcement()
    assert field(post.embeds[0], "Seats") == "0 / 1,234"
    assert labels(post) == ["Register", "Leave"]

    wang = w.member("wang", locale="zh-CN")
    listed = await d.slash(wang, "workshop list")
    assert listed.embeds[0]["title"] == "即将举行的研讨会"
    assert listed.embeds[0]["fields"][0]["value"].endswith("· Tianjin, TEDA · 名额 0 / 1,234")

    info = await d.slash(wang, "workshop info", workshop="1")
    card = info.embeds[0]
    assert field(card, "名额") == "0 / 1,234"
    assert field(card, "地点") == "Tianjin, TEDA"
    assert card["footer"]["text"] == "研讨会 #1 · 时间按您所在时区显示 · 仅限已认证会员"
    assert labels(info) == ["报名", "退出"]

    registered = await d.click(wang, post, label="Register")
    assert registered.content.startswith(f"您已成功报名 **{TITLE}**，时间 <t:")
    await eventually(lambda: seats(w) == "1 / 1,234")  # the channel post: the server's language
    assert labels(w.announcement()) == ["Register", "Leave"]

    mine = await d.slash(wang, "workshop mine")
    assert mine.content.startswith(f"• #1 **{TITLE}**：<t:")
    assert mine.content.endswith("（已报名）")
    refused = await d.slash(wang, "workshop info", workshop="soon")
    assert refused.content == "没有与“soon”匹配的研讨会。"


async def test_the_waitlist_and_its_numbers_read_in_chinese(cisip: BotHarness, w: World) -> None:
    d = cisip.discord
    await w.create(capacity=1)
    post = w.announcement()
    await d.click(w.member("alice"), post, label="Register")
    wang = w.member("wang", locale="zh-CN")
    waiting = await d.click(wang, post, label="Register")
    assert waiting.content.startswith(f"**{TITLE}** 名额已满：您在候补名单第 1 位。")
    again = await d.click(wang, post, label="Register")
    assert again.content == f"您已在 **{TITLE}** 的候补名单上，第 1 位。"
    await eventually(lambda: seats(w) == "1 / 1 (1 on the waitlist)")
    info = await d.slash(wang, "workshop info", workshop="1")
    assert field(info.embeds[0], "名额") == "1 / 1（候补 1 人）"
    mine = await d.slash(wang, "workshop mine")
    assert mine.content.endswith("（候补第 1 位）")


async def test_dms_follow_each_members_last_used_language(cisip: BotHarness, w: World) -> None:
    d = cisip.discord
    await w.create(capacity=2, reminders="1d")
    post = w.announcement()
    wang, carol = w.member("wang", locale="zh-CN"), w.member("carol", locale="zh-CN")
    alice, dave = w.member("alice"), w.member("dave")
    for member in (wang, alice, carol, dave):  # two seats; carol and dave wait
        await d.click(member, post, label="Register")
    await seen(cisip, dave, "en-US")

    await d.click(wang, post, label="Leave")  # carol is promoted: told in Chinese
    await eventually(lambda: len(dms(d.dms_to(carol), "好消息：有名额空出")) == 1)

    # One batch of reminders, each member in their own language; the channel post in the server's.
    await w.run_at(START_UTC - timedelta(days=1) + timedelta(seconds=5))
    (chinese,) = dms(d.dms_to(carol), "提醒：")
    assert chinese.content.startswith(f"提醒：**{TITLE}** 将于 <t:")
    assert chinese.content.endswith("开始（Tianjin, TEDA）。")
    assert len(reminders(d.dms_to(alice))) == 1
    assert len(dms(d.messages_in(w.channel), "Workshop reminder:")) == 1

    # The server switches to Chinese: a member never seen gets the server's language, a member
    # last seen in English still gets English.
    await cisip.bot.services.user_locales.forget(dave.user.id)
    await cisip.bot.services.guild_settings.set_language(d.guild.id, "zh-CN")
    cancelled = await d.slash(w.staff, "workshop-admin cancel", workshop="1", reason="Venue flooded")
    assert cancelled.content == "Workshop #1 is cancelled. 3 of 3 registrants were told by direct message."
    for member in (carol, dave):
        (last,) = dms(d.dms_to(member), f"**{TITLE}**（")
        assert last.content.endswith("已取消。\n原因：Venue flooded")
    (english,) = dms(d.dms_to(alice), f"**{TITLE}** (")
    assert english.content.endswith("is cancelled.\nReason: Venue flooded")
    await eventually(lambda: w.announcement().embeds[0]["title"] == f"已取消：{TITLE}")


async def test_a_chinese_staff_member_creates_a_workshop_in_chinese(cisip: BotHarness, w: World) -> None:
    d = cisip.discord
    li = d.add_member("li", roles=[d.role("Admins")], locale="zh-CN")
    too_small = await w.unchecked(li, "workshop-admin create", capacity=0)
    assert too_small.content == "选项 `名额` 需要 1 到 10,000 之间的数字。"
    blank = await w.create({"title": "\u200b"})
    assert blank.content == "The title cannot be empty."  # sam reads English
    opened = await d.slash(li, "workshop-admin create", capacity=30)
    blank = await d.submit_modal(li, opened.modal, {**FORM, "title": "\u200b\u3164"})
    assert blank.content == "标题不能为空。"

    opened = await d.slash(li, "workshop-admin create", capacity=30)
    assert opened.modal is not None and opened.modal.title == "新建研讨会"
    form = {
        "title": TITLE,
        "starts": "2027年2月30日 上午9点",
        "ends": "2027年4月20日 下午5点",
        "location": "Tianjin, TEDA",
    }
    impossible = await d.submit_modal(li, opened.modal, form)
    assert impossible.content == "2027年二月没有 30 日。"

    opened = await d.slash(li, "workshop-admin create", capacity=30)
    created = await d.submit_modal(li, opened.modal, {**form, "starts": "2027年4月20日 上午9点"})
    assert created.content == f"研讨会 #1 已创建：{TITLE}。"
    post = w.announcement()  # the server's language, English
    assert field(post.embeds[0], "Starts").startswith(f"<t:{int(START_UTC.timestamp())}:F>")
    assert field(post.embeds[0], "Seats") == "0 / 30"

    d.edit_role(d.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    opened = await d.slash(li, "workshop-admin edit", workshop="1")
    edited = await d.submit_modal(li, opened.modal, {"location": "Tianjin"})
    assert edited.content == (
        "研讨会 #1 已更新。\n未创建 Discord 活动：我需要“管理活动”权限。没有它研讨会也能照常进行。"
    )
