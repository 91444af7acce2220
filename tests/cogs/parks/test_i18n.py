"""/park in the reader's language: Chinese replies, channel posts in the server's language, Babel numbers."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

import bot.services.park_chart
from bot.services.park_chart import DEFAULT_FAMILY, directory_chart, font_families, stats_chart
from bot.services.parks import ParkRecord
from tests.cogs.conftest import BotHarness
from tests.cogs.parks.test_parks import field, labels
from tests.fakediscord import Perm

pytestmark = pytest.mark.e2e


def chinese_staff(cisip: BotHarness) -> Any:
    discord = cisip.discord
    admins = discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)
    return discord.add_member("wang", roles=[admins], locale="zh-CN")


async def test_a_chinese_member_pages_a_list_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    li = discord.add_member("li", locale="zh-CN")
    reply = await discord.slash(li, "park list", country="CN")
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "🇨🇳 中国的园区"
    assert re.fullmatch(r"共 \d+ 个园区 · 第 1/\d+ 页 · 用 /park info 查看卡片", embed["footer"]["text"])
    assert labels(reply) == ["上一页", "下一页"]
    second = await discord.click(li, reply, label="下一页")
    assert "第 2/" in second.embeds[0]["footer"]["text"]
    africa = await discord.slash(li, "park list", region="Africa")
    assert africa.embeds[0]["title"] == "非洲的园区"
    none = await discord.slash(li, "park list", country="冰岛")  # typed, not picked from the list
    assert none.content == "名录中还没有🇮🇸 冰岛的园区。"


async def test_a_shared_card_is_posted_in_the_server_language_whoever_shares_it(cisip: BotHarness) -> None:
    discord = cisip.discord
    li = discord.add_member("li", locale="zh-CN")
    info = await discord.slash(li, "park info", name="zhongguancun")
    card = info.embeds[0]
    assert field(card, "国家/地区") == "🇨🇳 中国"
    assert field(card, "区域") == "东亚"
    assert field(card, "成立年份") == "1988"
    assert "、" in field(card, "重点产业") or "和" in field(card, "重点产业")
    assert "分享" in labels(info)

    posted = await discord.click(li, info, label="分享")
    assert not posted.ephemeral
    assert posted.content == f"<@{li.user.id}> shared a park from the directory."
    assert field(posted.embeds[0], "Country") == "🇨🇳 China"

    # A Chinese-speaking server: an English member reads English privately, the post is Chinese.
    await discord.slash(chinese_staff(cisip), "setup language", language="zh-CN")
    alice = discord.add_member("alice")
    english = await discord.slash(alice, "park info", name="skolkovo")
    assert field(english.embeds[0], "Country") == "🇷🇺 Russia"
    posted = await discord.click(alice, english, label="Share")
    assert posted.content == f"<@{alice.user.id}> 分享了名录中的一个园区。"
    assert field(posted.embeds[0], "国家/地区") == "🇷🇺 俄罗斯"


async def test_countries_autocomplete_and_resolve_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    li = discord.add_member("li", locale="zh-CN")
    choices = await discord.autocomplete(li, "park search", "country", "哈萨克", query="park")
    assert choices[0] == {"name": "🇰🇿 哈萨克斯坦 (KZ)", "value": "KZ"}
    english = await discord.autocomplete(discord.add_member("alice"), "park list", "country", "kaz")
    assert english[0]["name"] == "🇰🇿 Kazakhstan (KZ)"
    focus = await discord.autocomplete(li, "park search", "focus", "生物", query="park")
    assert {"name": "生物技术", "value": "Biotechnology"} in focus
    # A country typed out rather than picked is understood in Chinese too.
    found = await discord.slash(li, "park search", query="technopark", country="摩洛哥")
    assert found.embeds[0]["title"] == "🇲🇦 Technopark Casablanca"
    assert found.embeds[0]["footer"]["text"] == "“technopark”的第 1 条结果，共 1 条"


async def test_staff_type_focus_industries_in_their_language_and_read_problems_in_it(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    wang = chinese_staff(cisip)
    opened = await discord.slash(wang, "park-admin add", country="KE", region="Africa")
    assert opened.modal is not None
    assert opened.modal.title == "添加园区"
    assert opened.modal.inputs["park:focus"]["placeholder"] == "信息通信技术; 人工智能; 生物技术"
    wrong = await discord.submit_modal(
        wang, opened.modal, {"park:name": "Nairobi Test Park", "park:focus": "魔法"}
    )
    assert wrong.content.startswith("无法保存该园区：\n• 未知的重点产业：魔法（可选：信息通信技术、")

    opened = await discord.slash(wang, "park-admin add", country="KE", region="Africa", website="不是网址")
    assert opened.modal is None
    assert opened.content == "无法保存该园区：\n• 网站“不是网址”不是 http(s) 网址"

    opened = await discord.slash(wang, "park-admin add", country="KE", region="Africa")
    added = await discord.submit_modal(
        wang, opened.modal, {"park:name": "Nairobi Test Park", "park:focus": "人工智能；生物技术"}
    )
    assert added.content == "Nairobi Test Park 已添加到名录。"
    assert field(added.embeds[0], "重点产业") == "人工智能和生物技术"
    # Stored in English: an English reader reads it in English, the edit form shows Chinese again.
    alice = discord.add_member("alice")
    card = (await discord.slash(alice, "park info", name="nairobi-test-park")).embeds[0]
    assert field(card, "Focus") == "AI and Biotechnology"
    edit = await discord.slash(wang, "park-admin edit", name="nairobi-test-park")
    assert edit.modal is not None
    assert edit.modal.inputs["park:focus"]["value"] == "人工智能; 生物技术"


async def test_counts_are_written_the_readers_way(cisip: BotHarness) -> None:
    await cisip.bot.services.parks.import_records(
        [
            ParkRecord(slug=f"test-park-{i}", name=f"Test Park {i}", country="NZ", region="Oceania")
            for i in range(1200)
        ]
    )
    discord = cisip.discord
    alice, li = discord.add_member("alice"), discord.add_member("li", locale="zh-CN")
    stats = await discord.slash(alice, "park stats")
    assert stats.content.startswith("1,366 parks in ")
    assert (await discord.slash(li, "park stats")).content.startswith("共 1,366 个园区，")
    listed = await discord.slash(alice, "park list", country="NZ")
    assert re.match(r"1,2\d\d parks · page 1 of \d\d ·", listed.embeds[0]["footer"]["text"])


def test_the_chart_is_labelled_in_the_readers_language_when_a_font_can_draw_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[dict[str, Any]] = []

    def capture(*_counts: Any, **labels: Any) -> bytes:
        drawn.append(labels)
        return b"\x89PNG"

    monkeypatch.setattr(bot.services.park_chart, "directory_chart", capture)
    counts = (Counter({"CN": 2, "KZ": 1}), Counter({"East Asia": 2, "Central Asia": 1}), Counter({1980: 3}))

    monkeypatch.setattr(
        bot.services.park_chart, "font_families", lambda _texts: ["DejaVu Sans", "Noto Sans CJK SC"]
    )
    stats_chart(*counts, "zh-CN")
    chinese = drawn.pop()
    assert chinese["title"] == "CISIP 园区名录：共 3 个园区"
    assert chinese["labels"][1] == "各区域园区数"
    assert chinese["country_names"] == {"CN": "中国", "KZ": "哈萨克斯坦"}
    assert chinese["region_names"]["Central Asia"] == "中亚"
    assert chinese["decade_names"] == {1980: "1980年代"}
    assert chinese["fonts"] == ["DejaVu Sans", "Noto Sans CJK SC"]

    # No installed font draws Chinese: an English chart rather than a chart of empty boxes.
    monkeypatch.setattr(
        bot.services.park_chart, "font_families", lambda texts: None if "中国" in texts else ["DejaVu Sans"]
    )
    stats_chart(*counts, "zh-CN")
    english = drawn.pop()
    assert english["title"] == "CISIP park directory: 3 parks"
    assert english["country_names"]["KZ"] == "Kazakhstan"
    assert english["decade_names"] == {1980: "1980s"}


def test_font_families_say_whether_the_installed_fonts_draw_every_label() -> None:
    assert font_families(["Parks per region", "Россия", "1980s"]) == [DEFAULT_FAMILY]
    assert font_families(["\U000f0000"]) is None  # a private-use character: no font draws it
    chinese = font_families(["中国"])
    assert chinese is None or len(chinese) == 2  # depends on whether a CJK font is installed
    png = directory_chart(
        Counter({"RU": 1}),
        Counter({"Russia": 1}),
        Counter({2010: 1}),
        title="Каталог",
        labels=("a", "b", "c"),
        country_names={"RU": "Россия"},
        fonts=font_families(["Каталог", "Россия"]),
    )
    assert png.startswith(b"\x89PNG")
