"""/park end to end: the real bot, seeded with bot/seed/parks.csv, through the loopback Discord."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import AuditEntry
from bot.db.models_parks import Park
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm

pytestmark = pytest.mark.e2e


def field(embed: dict[str, Any], name: str) -> str:
    for item in embed.get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {[f['name'] for f in embed.get('fields', [])]}")


def labels(reply: Any) -> list[str]:
    return [b.get("label") for b in reply.buttons]


async def park_count(cisip: BotHarness) -> int:
    async with cisip.bot.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Park)) or 0)


async def audit_actions(cisip: BotHarness) -> list[str]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


def staff(cisip: BotHarness) -> Any:
    discord = cisip.discord
    return discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])


async def test_the_directory_is_seeded_once_and_registered(cisip: BotHarness) -> None:
    assert cisip.bot.failed_extensions == {}
    assert await park_count(cisip) == 166
    registered = {c["name"]: c for c in cisip.discord.commands()}
    assert {o["name"] for o in registered["park"]["options"]} == {"search", "info", "list", "stats"}
    assert {o["name"] for o in registered["park-admin"]["options"]} == {"add", "edit", "remove"}
    await cisip.restart()
    assert await park_count(cisip) == 166


async def test_search_forgives_a_typo_and_pages_privately_then_shares(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    reply = await discord.slash(alice, "park search", query="zhonguancun")
    assert reply.ephemeral
    card = reply.embeds[0]
    assert card["title"] == "🇨🇳 Zhongguancun Science Park"
    assert field(card, "City") == "Beijing"
    assert field(card, "Founded") == "1988"
    assert card["footer"]["text"].startswith("Result 1 of ")
    assert "Share" in labels(reply)

    science = await discord.slash(alice, "park search", query="science park", region="East Asia")
    first = science.embeds[0]["title"]
    following = await discord.click(alice, science, label="Next")
    assert following.embeds[0]["title"] != first
    assert following.embeds[0]["footer"]["text"].startswith("Result 2 of ")

    shared = await discord.click(alice, reply, label="Share")
    assert not shared.ephemeral
    assert shared.embeds[0]["title"] == "🇨🇳 Zhongguancun Science Park"
    assert shared.content == f"<@{alice.user.id}> shared a park from the directory."
    assert shared.pinged == set()
    assert discord.messages_in("general")[-1].embeds[0]["title"] == "🇨🇳 Zhongguancun Science Park"


async def test_search_by_chinese_name_alias_and_filters(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    assert (
        (await discord.slash(alice, "park search", query="张江"))
        .embeds[0]["title"]
        .endswith("Zhangjiang Hi-Tech Park")
    )
    assert (
        (await discord.slash(alice, "park search", query="SIP"))
        .embeds[0]["title"]
        .endswith("Suzhou Industrial Park")
    )
    filtered = await discord.slash(alice, "park search", query="technopark", country="MA")
    assert filtered.embeds[0]["title"] == "🇲🇦 Technopark Casablanca"
    assert "Result 1 of 1 " in filtered.embeds[0]["footer"]["text"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"query": "   "}, "The search cannot be empty."),
        ({"query": "\u200b\u200d\u3164"}, "The search cannot be empty."),
        ({"query": "park", "focus": "\u200b"}, "The focus industry cannot be empty."),
        ({"query": "park", "country": "Atlantis"}, "Unknown country 'Atlantis'"),
        ({"query": "qqqqqq wwwwww"}, "No park matches 'qqqqqq wwwwww'"),
    ],
)
async def test_bad_searches_get_a_clear_private_message(
    cisip: BotHarness, options: dict[str, str], expected: str
) -> None:
    reply = await cisip.discord.slash(cisip.discord.add_member("alice"), "park search", **options)
    assert reply.ephemeral
    assert reply.content.startswith(expected)
    assert reply.embeds == []


async def test_no_match_suggests_the_closest_parks(cisip: BotHarness) -> None:
    reply = await cisip.discord.slash(cisip.discord.add_member("alice"), "park search", query="hogwarts")
    assert reply.content.startswith("No park matches 'hogwarts'. Closest: ")
    assert len(reply.content.split("Closest: ")[1].split("; ")) == 3


async def test_info_autocompletes_and_shows_a_card(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    choices = await discord.autocomplete(alice, "park info", "name", "hsinchu")
    assert choices[0]["value"] == "hsinchu-science-park"
    assert len(await discord.autocomplete(alice, "park info", "name", "")) == 25
    reply = await discord.slash(alice, "park info", name="hsinchu-science-park")
    card = reply.embeds[0]
    assert card["title"] == "🇹🇼 Hsinchu Science Park"
    assert field(card, "Source").startswith("https://")
    assert reply.ephemeral
    # A name typed without picking from the list still finds the park.
    assert (
        (await discord.slash(alice, "park info", name="Sophia Antipolis"))
        .embeds[0]["title"]
        .endswith("Sophia Antipolis")
    )


async def test_country_options_autocomplete_on_country_names(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    choices = await discord.autocomplete(alice, "park search", "country", "kaz", query="park")
    assert choices[0]["value"] == "KZ"
    assert "Kazakhstan" in choices[0]["name"]


async def test_list_by_country_and_region(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    reply = await discord.slash(alice, "park list", country="CN")
    assert reply.embeds[0]["title"] == "Parks in 🇨🇳 China"
    assert reply.embeds[0]["description"].startswith("🇨🇳 **Caohejing Hi-Tech Park** — Shanghai")
    assert "page 1 of" in reply.embeds[0]["footer"]["text"]
    second = await discord.click(alice, reply, label="Next")
    assert "page 2 of" in second.embeds[0]["footer"]["text"]
    africa = await discord.slash(alice, "park list", region="Africa")
    assert "Konza Technopolis" in africa.embeds[0]["description"]
    nothing = await discord.slash(alice, "park list")
    assert nothing.content == "Choose a country or a region to list."


async def test_stats_attaches_a_png_chart(cisip: BotHarness) -> None:
    reply = await cisip.discord.slash(cisip.discord.add_member("alice"), "park stats")
    assert reply.content.startswith("166 parks in ")
    (name, data), *_ = reply.files
    assert name == "park-directory.png"
    assert data.startswith(b"\x89PNG")


async def test_members_cannot_curate(cisip: BotHarness) -> None:
    discord = cisip.discord
    mallory = discord.add_member("mallory")
    reply = await discord.slash(mallory, "park-admin remove", name="zhongguancun")
    assert reply.content.startswith("Only CISIP staff can do this")
    assert reply.modal is None
    add = await discord.slash(mallory, "park-admin add", country="CN", region="East Asia")
    assert add.modal is None and add.content.startswith("Only CISIP staff")


async def test_only_staff_get_park_names_for_edit_and_remove(cisip: BotHarness) -> None:
    discord = cisip.discord
    mallory, sam = discord.add_member("mallory"), staff(cisip)
    assert await discord.autocomplete(mallory, "park-admin edit", "name", "hsinchu") == []
    assert await discord.autocomplete(mallory, "park-admin remove", "name", "hsinchu") == []
    assert (await discord.autocomplete(mallory, "park info", "name", "hsinchu"))[0]["value"] == (
        "hsinchu-science-park"
    )
    for command in ("park-admin edit", "park-admin remove"):
        choices = await discord.autocomplete(sam, command, "name", "hsinchu")
        assert choices[0]["value"] == "hsinchu-science-park"


async def test_staff_add_edit_and_remove_a_park_audited(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam = staff(cisip)
    opened = await discord.slash(
        sam, "park-admin add", country="Kazakhstan", region="Central Asia", city="Almaty"
    )
    assert opened.modal is not None
    added = await discord.submit_modal(
        sam, opened.modal, {"park:name": "Almaty Test Tech Park", "park:focus": "ICT; AI"}
    )
    assert added.content == "Almaty Test Tech Park was added to the directory."
    assert added.embeds[0]["title"] == "🇰🇿 Almaty Test Tech Park"
    found = await discord.slash(discord.add_member("alice"), "park search", query="almaty tst tech")
    assert found.embeds[0]["title"] == "🇰🇿 Almaty Test Tech Park"

    edit = await discord.slash(sam, "park-admin edit", name="almaty-test-tech-park", established=2020)
    assert edit.modal is not None
    assert edit.modal.inputs["park:name"]["value"] == "Almaty Test Tech Park"
    edited = await discord.submit_modal(sam, edit.modal, {"park:description": "A test park."})
    assert edited.content == "Almaty Test Tech Park was updated."
    assert field(edited.embeds[0], "Founded") == "2020"

    ask = await discord.slash(sam, "park-admin remove", name="almaty-test-tech-park")
    assert ask.content == "Remove Almaty Test Tech Park from the directory?"
    done = await discord.click(sam, ask, label="Remove")
    assert done.content == "Almaty Test Tech Park was removed from the directory."
    gone = await discord.slash(sam, "park info", name="almaty-test-tech-park")
    assert gone.content.startswith("No park matches")
    assert await audit_actions(cisip) == ["park.add", "park.edit", "park.remove"]


async def test_a_staff_edit_survives_reseeding(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam = staff(cisip)
    edit = await discord.slash(sam, "park-admin edit", name="zhongguancun", city="Haidian, Beijing")
    assert edit.modal is not None
    await discord.submit_modal(sam, edit.modal, {})
    ask = await discord.slash(sam, "park-admin remove", name="tuspark")
    await discord.click(sam, ask, label="Remove")
    await cisip.restart()
    card = (await discord.slash(sam, "park info", name="zhongguancun")).embeds[0]
    assert field(card, "City") == "Haidian, Beijing"
    gone = await discord.slash(sam, "park search", query="tuspark")
    assert "TusPark" not in (gone.embeds[0]["title"] if gone.embeds else "")


async def test_bad_staff_input_is_refused_before_anything_is_written(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam = staff(cisip)
    bad_country = await discord.slash(sam, "park-admin add", country="Narnia", region="Africa")
    assert bad_country.modal is None
    assert bad_country.content.startswith("This park cannot be saved:\n• Unknown country 'Narnia'")
    bad_site = await discord.slash(sam, "park-admin add", country="KE", region="Africa", website="not a url")
    assert bad_site.modal is None
    assert "website 'not a url' is not an http(s) URL" in bad_site.content
    opened = await discord.slash(sam, "park-admin add", country="KE", region="Africa")
    assert opened.modal is not None
    dup = await discord.submit_modal(sam, opened.modal, {"park:name": "Konza Technopolis"})
    assert dup.content == "A park named 'Konza Technopolis' is already listed."
    focus = await discord.slash(sam, "park-admin add", country="KE", region="Africa")
    assert focus.modal is not None
    wrong = await discord.submit_modal(sam, focus.modal, {"park:name": "New Park", "park:focus": "Magic"})
    assert "unknown focus Magic" in wrong.content
    assert await park_count(cisip) == 166
    assert await audit_actions(cisip) == []


async def test_info_shows_the_member_badge_and_the_verified_members_of_the_park(cisip: BotHarness) -> None:
    from bot.db.models_members import MemberOrganization, Membership

    discord = cisip.discord
    alice, bob = discord.add_member("alice"), discord.add_member("bob")
    now = cisip.clock.now()
    async with cisip.bot.db.transaction() as session:
        session.add(
            MemberOrganization(
                guild_id=discord.guild.id,
                name="ZGC Group",
                domain="zgc.example.cn",
                park_slug="zhongguancun",
                created_at=now,
            )
        )
        for member, status in ((alice, "approved"), (bob, "pending")):
            session.add(
                Membership(
                    guild_id=discord.guild.id,
                    user_id=member.user.id,
                    status=status,
                    full_name=member.user.username,
                    organization="ZGC Group",
                    email=f"{member.user.username}@zgc.example.cn",
                    country="CN",
                    member_type="park",
                    applied_at=now,
                )
            )
    card = (await discord.slash(bob, "park info", name="zhongguancun")).embeds[0]
    assert card["description"].startswith("🏅 **CISIP member park**")
    assert field(card, "Verified members") == f"<@{alice.user.id}> (ZGC Group)"
    other = (await discord.slash(bob, "park info", name="skolkovo")).embeds[0]
    assert "CISIP member" not in other.get("description", "")
    assert "Verified members" not in [f["name"] for f in other["fields"]]


async def test_search_asks_once_which_parks_are_members_and_badges_them(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.db.models_members import MemberOrganization

    discord = cisip.discord
    async with cisip.bot.db.transaction() as session:
        session.add(
            MemberOrganization(
                guild_id=discord.guild.id,
                name="ZGC Group",
                domain="zgc.example.cn",
                park_slug="zhongguancun",
                created_at=cisip.clock.now(),
            )
        )
    memberships = cisip.bot.services.memberships
    asked: list[int] = []
    member_parks = memberships.member_parks

    async def counted(guild_id: int) -> frozenset[str]:
        asked.append(guild_id)
        return await member_parks(guild_id)

    monkeypatch.setattr(memberships, "member_parks", counted)
    alice = discord.add_member("alice")
    reply = await discord.slash(alice, "park search", query="science park")
    assert reply.embeds[0]["footer"]["text"] == "Result 1 of 24 for 'science park'"
    assert asked == [discord.guild.id]  # one lookup for all 24 results, not one per park
    found = await discord.slash(alice, "park search", query="zhongguancun")
    assert found.embeds[0]["description"].startswith("🏅 **CISIP member park**")
    assert len(asked) == 2


async def test_share_still_works_after_a_restart(cisip: BotHarness) -> None:
    discord = cisip.discord
    alice = discord.add_member("alice")
    reply = await discord.slash(alice, "park info", name="skolkovo")
    await cisip.restart()
    shared = await discord.click(alice, reply, label="Share")
    assert not shared.ephemeral
    assert "Skolkovo" in shared.embeds[0]["title"]


async def test_a_chinese_reader_gets_chinese_labels_and_country_names(cisip: BotHarness) -> None:
    discord = cisip.discord
    li = discord.add_member("li", locale="zh-CN")
    card = (await discord.slash(li, "park search", query="中关村")).embeds[0]
    assert field(card, "国家/地区") == "🇨🇳 中国"
    assert field(card, "区域") == "东亚"
    assert "信息通信技术" in field(card, "重点产业")
    bad = await discord.slash(li, "park search", query="hogwarts")
    assert bad.content.startswith("没有与“hogwarts”匹配的园区。最接近的是：")
