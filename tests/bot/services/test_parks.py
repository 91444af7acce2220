"""The park service: search quality on the real directory, seeding, staff changes, CSV checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.config import Settings
from bot.db.database import Database
from bot.db.models_members import MemberOrganization, Membership
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.i18n import Listing, translate
from bot.scheduler import MovableClock
from bot.services.container import Services
from bot.services.membership import LinkedMember
from bot.services.park_search import ParkDoc, ParkIndex, normalise
from bot.services.parks import (
    FOCUS_VOCABULARY,
    SEED_CSV,
    ParkDraft,
    ParkService,
    Place,
    check_draft,
    read_csv,
    resolve_country,
    resolve_focus,
    resolve_region,
    search_countries,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GUILD = 1001


def read(error: DomainError, language: str) -> str:
    return translate(error.message, language, **error.params)


@pytest.fixture(scope="module")
def index() -> ParkIndex:
    check = read_csv(SEED_CSV.read_text(encoding="utf-8"), 2027)
    assert check.problems == []
    return ParkIndex(record.doc() for record in check.records)


# (query, expected first result): typos, partial names, native script, aliases, word order, cities.
QUERIES = [
    ("zhonguancun", "zhongguancun"),
    ("Zhongguancun Science Park", "zhongguancun"),
    ("bangkok scince park", "thailand-science-park"),
    ("中关村", "zhongguancun"),
    ("张江", "zhangjiang-hi-tech-park"),
    ("苏州工业园区", "suzhou-industrial-park"),
    ("ZGC", "zhongguancun"),
    ("Z-Park", "zhongguancun"),
    ("SIP", "suzhou-industrial-park"),
    ("hsinchu", "hsinchu-science-park"),
    ("hsinchu sceince park", "hsinchu-science-park"),
    ("science park hsinchu", "hsinchu-science-park"),
    ("skolkovo", "skolkovo"),
    ("skolkovo innovation centre", "skolkovo"),
    ("sklkovo", "skolkovo"),
    ("Sophia Antipolis", "sophia-antipolis"),
    ("sophia antipollis", "sophia-antipolis"),
    ("daedeok", "daedeok-innopolis"),
    ("innopolis", "innopolis"),
    ("cambridge science", "cambridge-science-park"),
    ("tsukuba", "tsukuba-science-city"),
    ("one north", "one-north"),
    ("cyberjaya", "cyberjaya"),
    ("tashkent", "it-park-uzbekistan"),
    ("dubai silicon oasis", "dubai-silicon-oasis"),
    ("masdar", "masdar-city"),
    ("research triangle", "research-triangle-park"),
    ("stanford reserch park", "stanford-research-park"),
    ("Kista", "kista-science-city"),
    ("adlershof", "adlershof"),
    ("technopark casablanca", "technopark-casablanca"),
    ("konza", "konza-technopolis"),
    ("hong kong science park", "hong-kong-science-park"),
    ("shenzen hi tech", "shenzhen-hi-tech-industrial-park"),
    ("wuhan east lake", "wuhan-east-lake"),
    ("Optics Valley", "wuhan-east-lake"),
    ("teda", "teda"),
    ("astana hub", "astana-hub"),
    ("belarus hi-tech", "belarus-hi-tech-park"),
    ("Hi-Tech Park Belarus", "belarus-hi-tech-park"),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_the_right_park_comes_first(index: ParkIndex, query: str, expected: str) -> None:
    hits = index.search(query, limit=5)
    assert hits, f"nothing for {query!r}"
    assert hits[0].slug == expected, f"{query!r}: {[(h.slug, h.tier_name, h.score) for h in hits]}"


def test_ranking_is_exact_then_prefix_then_alias_then_fuzzy() -> None:
    index = ParkIndex(
        [
            ParkDoc("a", "Nova Park"),
            ParkDoc("b", "Nova Park West"),
            ParkDoc("c", "Other Place", aliases=("Nova Park",)),
            ParkDoc("d", "Nova Prak"),
        ]
    )
    hits = index.search("nova park")
    assert [(h.slug, h.tier_name) for h in hits] == [
        ("a", "exact"),
        ("b", "prefix"),
        ("c", "alias"),
        ("d", "fuzzy"),
    ]


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("  Parc Científic  de Barcelona!") == "parc cientific de barcelona"
    assert normalise("Hi-Tech") == "hi tech"


def test_nonsense_matches_nothing_but_still_gets_suggestions(index: ParkIndex) -> None:
    assert index.search("hogwarts") == []
    assert len(index.suggest("hogwarts")) == 3


def test_countries_resolve_from_codes_and_names_in_english_and_chinese() -> None:
    assert resolve_country("cn") == "CN"
    assert resolve_country("Kazakhstan") == "KZ"
    assert resolve_country("哈萨克斯坦") == "KZ"
    with pytest.raises(DomainError, match="Unknown country 'Atlantis'"):
        resolve_country("Atlantis")
    assert search_countries("kaz")[0] == ("KZ", "Kazakhstan")
    assert search_countries("中国", "zh-CN")[0][0] == "CN"


def test_regions_and_focus_industries_are_understood_in_chinese_and_stored_in_english() -> None:
    assert resolve_region("东亚") == resolve_region("east asia") == "East Asia"
    assert resolve_focus("人工智能；生物技术、ict, Magic") == "AI; Biotechnology; ICT; Magic"
    with pytest.raises(DomainError) as refused:
        resolve_region("火星")
    assert translate(refused.value.message, "zh-CN", **refused.value.params) == (
        "未知的区域“火星”。可选区域：东亚、东南亚、南亚、中亚、中东、俄罗斯、中东欧、西欧、非洲、北美、拉丁美洲和大洋洲。"
    )


def test_the_problems_of_a_draft_read_in_any_language() -> None:
    draft = ParkDraft(name="", country="KE", region="Africa", established="2100", website="ftp://x")
    checked = check_draft(draft, 2027)
    assert checked.record is None
    assert [p.localize("en") for p in checked.problems] == [
        "The park name cannot be empty.",
        "established '2100' is not a year between 1900 and 2027",
        "website 'ftp://x' is not an http(s) URL",
    ]
    assert [p.localize("zh-CN") for p in checked.problems] == [
        "园区名称不能为空。",
        "成立年份“2100”不在 1900 年至 2027 年之间",
        "网站“ftp://x”不是 http(s) 网址",
    ]
    assert Listing.labels(["ICT", "AI", "Energy"]).localize("en") == "ICT, AI, and Energy"
    assert Listing.labels(["ICT", "AI", "Energy"]).localize("zh-CN") == "信息通信技术、人工智能和能源"


# -- the database side -------------------------------------------------------------------------


async def count(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Park)) or 0)


async def test_seeding_is_idempotent_and_keeps_staff_changes(database: Database) -> None:
    clock = MovableClock(NOW)
    service = ParkService(database, clock)
    first = await service.seed()
    assert (first.added, first.updated, first.kept) == (166, 0, 0)
    again = await service.seed()
    assert (again.added, again.updated, again.kept) == (0, 0, 0)
    assert await count(database) == 166

    draft = ParkDraft(name="Zhongguancun Science Park (Z-Park)", country="CN", region="East Asia")
    draft.city = "Haidian"
    await service.edit("zhongguancun", draft)
    await service.remove("tuspark")
    # A fresh process seeds again: the edit and the removal stay.
    fresh = ParkService(database, clock)
    result = await fresh.seed()
    assert (result.added, result.updated, result.kept) == (0, 0, 2)
    assert fresh.get("zhongguancun").city == "Haidian"
    assert "tuspark" not in fresh.records
    assert await count(database) == 166


async def test_seed_once_seeds_only_a_directory_never_seeded(database: Database) -> None:
    """What `cisip-bot parks export` runs first: the shipped file once, even when staff have since
    removed every park it seeded."""
    service = ParkService(database, MovableClock(NOW))
    first = await service.seed_once()
    assert first is not None and (first.added, len(service.records)) == (166, 166)
    async with database.transaction() as session:  # staff removed every one of them
        await session.execute(update(Park).values(removed_at=NOW, staff_edited=True))
    assert await ParkService(database, MovableClock(NOW)).seed_once() is None
    await service.load()
    assert service.records == {}


async def test_seeding_refreshes_untouched_rows_from_a_newer_file(database: Database, tmp_path: Path) -> None:
    service = ParkService(database, MovableClock(NOW))
    await service.seed()
    text = SEED_CSV.read_text(encoding="utf-8").replace(
        ",Beijing,East Asia,1988,", ",Beijing (Haidian),East Asia,1988,"
    )
    newer = tmp_path / "parks.csv"
    newer.write_text(text, encoding="utf-8")
    result = await service.seed(newer)
    assert (result.added, result.updated) == (0, 1)
    assert service.get("zhongguancun").city == "Beijing (Haidian)"


async def test_bad_staff_input_writes_nothing(database: Database) -> None:
    service = ParkService(database, MovableClock(NOW))
    await service.seed()
    with pytest.raises(DomainError, match="established '1066' is not a year"):
        await service.add(
            ParkDraft(name="Old Park", country="GB", region="Western Europe", established="1066")
        )
    with pytest.raises(DomainError, match="already listed"):
        await service.add(ParkDraft(name="konza technopolis", country="KE", region="Africa"))
    with pytest.raises(NotFound, match="No park matches 'hogwarts'"):
        await service.remove("hogwarts")
    assert await count(database) == 166


async def test_search_filters_and_limits(database: Database) -> None:
    service = ParkService(database, MovableClock(NOW))
    await service.seed()
    assert {p.country for p in service.search("science park", country="Taiwan")} == {"TW"}
    assert {p.region for p in service.search("park", region="Africa")} == {"Africa"}
    assert all("Biotechnology" in p.focus for p in service.search("park", focus="biotech"))
    assert service.search("park", focus="生物") == service.search("park", focus="biotech")
    with pytest.raises(DomainError, match=r"The search can be at most 100 characters long, not 101\."):
        service.search("x" * 101)
    with pytest.raises(DomainError, match=r"The search cannot be empty\."):
        service.search("  ")
    with pytest.raises(NotFound, match="No park matches 'konza'"):
        service.search("konza", country="CN")


def test_csv_problems_name_their_lines() -> None:
    header = "slug,name,local_name,aliases,country,city,region,established,focus,website,description,source"
    text = "\n".join(
        [
            header,
            "good-park,Good Park,,,KE,Nairobi,Africa,2010,ICT,https://good.example,Fine.,https://src.example",
            "bad-park,Bad Park,,,XX,Nowhere,Mars,3000,Magic,not a url,,",
            "good-park,Good Park Two,,,KE,Nairobi,Africa,,,,,",
            "short,row",
        ]
    )
    check = read_csv(text, 2027)
    lines = {line for line, _ in check.problems}
    assert lines == {3, 4, 5}
    reasons = " | ".join(reason for line, reason in check.problems if line == 3)
    assert "Unknown country 'XX'" in reasons and "Unknown region 'Mars'" in reasons
    assert "established '3000'" in reasons
    assert "unknown focus Magic" in reasons and "website 'not a url'" in reasons
    assert "already on line 2" in dict(check.problems)[4]
    line, reason = read_csv("name,country\nX,CN\n", 2027).problems[0]
    assert line == 1
    assert reason.startswith("missing columns: slug, local_name, aliases, city, region, established")


# -- the rules /park used to decide in the cog -----------------------------------------------------


async def seeded_services(database: Database, tmp_path: Path) -> Services:
    settings = Settings(discord_token=None, database_url="sqlite://", data_dir=tmp_path)
    services = Services.build(settings, database, MovableClock(NOW))
    await services.parks.seed()
    return services


async def test_member_parks_are_marked_in_the_directory_or_run_by_a_member_organization(
    database: Database, tmp_path: Path
) -> None:
    services = await seeded_services(database, tmp_path)
    parks = services.parks
    draft = ParkDraft.of(parks.get("skolkovo"))
    draft.cisip_member = True
    await parks.edit("skolkovo", draft)
    async with database.transaction() as session:
        session.add(
            MemberOrganization(
                guild_id=GUILD,
                name="ZGC Group",
                domain="zgc.example.cn",
                park_slug="zhongguancun",
                created_at=NOW,
            )
        )
        for user_id, status in ((7, "approved"), (8, "pending")):
            session.add(
                Membership(
                    guild_id=GUILD,
                    user_id=user_id,
                    status=status,
                    full_name=f"User {user_id}",
                    organization="ZGC Group",
                    email=f"user{user_id}@zgc.example.cn",
                    country="CN",
                    member_type="park",
                    applied_at=NOW,
                )
            )
    zgc, skolkovo, konza = (parks.get(slug) for slug in ("zhongguancun", "skolkovo", "konza-technopolis"))
    members = await parks.member_parks(GUILD)
    assert [members.includes(p) for p in (zgc, skolkovo, konza)] == [True, True, False]
    # Another server, or no server: only the directory's own mark counts.
    for elsewhere in (await parks.member_parks(GUILD + 1), await parks.member_parks(None)):
        assert [elsewhere.includes(p) for p in (zgc, skolkovo, konza)] == [False, True, False]
    # The card asks the same rule, and the membership service for who is verified.
    card = await parks.card(GUILD, zgc)
    assert (card.member, card.linked) == (True, (LinkedMember(7, "ZGC Group"),))
    assert (await parks.card(None, zgc)).linked == ()
    assert (await parks.card(GUILD, konza)).member is False


async def test_a_list_needs_a_place_that_has_parks(database: Database) -> None:
    service = ParkService(database, MovableClock(NOW))
    await service.seed()
    with pytest.raises(DomainError) as nowhere:
        service.listing(None, None)
    assert read(nowhere.value, "en") == "Choose a country or a region to list."
    assert read(nowhere.value, "zh-CN") == "请选择要列出的国家或区域。"
    with pytest.raises(DomainError) as empty:
        service.listing("冰岛", None)  # a country typed in Chinese rather than picked
    assert empty.value.params["place"] == Place("IS")
    assert read(empty.value, "en") == "The directory has no parks in 🇮🇸 Iceland yet."
    assert read(empty.value, "zh-CN") == "名录中还没有🇮🇸 冰岛的园区。"
    with pytest.raises(DomainError, match="Unknown country 'Atlantis'"):
        service.listing("Atlantis", None)
    listed = service.listing("Kenya", "Africa")
    assert listed.place == Place("KE", "Africa")
    assert translate(listed.place, "zh-CN") == "🇰🇪 肯尼亚 · 非洲"
    assert {(p.country, p.region) for p in listed.parks} == {("KE", "Africa")}
    assert [p.slug for p in service.listing(None, "东亚").parks] == [
        p.slug for p in service.in_place(None, "East Asia")
    ]


async def test_stats_refuse_an_empty_directory(database: Database) -> None:
    service = ParkService(database, MovableClock(NOW))
    with pytest.raises(DomainError) as empty:
        service.stats()
    assert read(empty.value, "zh-CN") == "名录是空的。"
    await service.seed()
    by_country, by_region, _by_decade = service.stats()
    assert sum(by_country.values()) == sum(by_region.values()) == 166


async def test_choices_put_countries_with_parks_first_and_match_focus_in_the_readers_language(
    database: Database,
) -> None:
    service = ParkService(database, MovableClock(NOW))
    # An empty directory offers the whole focus vocabulary, and countries in the order they match.
    assert [f for f, _name in service.focus_choices("", "en", limit=100)] == list(FOCUS_VOCABULARY)
    assert [code for code, _name in service.country_choices("ma", "en")][:3] == ["MA", "MO", "MG"]
    await service.seed()
    assert [code for code, _name in service.country_choices("ma", "en")][:3] == ["MA", "MY", "MU"]
    assert ("Biotechnology", "生物技术") in service.focus_choices("生物", "zh-CN")
    assert ("Biotechnology", "生物技术") in service.focus_choices("biotech", "zh-CN")
    assert service.focus_choices("biotech", "en") == [("Biotechnology", "Biotechnology")]


async def test_command_options_are_checked_before_the_form_and_an_unchanged_park_validates(
    database: Database,
) -> None:
    service = ParkService(database, MovableClock(NOW))
    await service.seed()
    service.check_options(ParkDraft(name="", country="Kazakhstan", region="中亚"))  # the form asks the name
    with pytest.raises(DomainError) as refused:
        service.check_options(ParkDraft(name="", country="KE", region="Africa", website="not a url"))
    assert read(refused.value, "en") == (
        "This park cannot be saved:\n• website 'not a url' is not an http(s) URL"
    )
    for slug in ("zhongguancun", "skolkovo", "technopark-casablanca"):
        park = service.get(slug)
        assert service.validate(ParkDraft.of(park)) == park
