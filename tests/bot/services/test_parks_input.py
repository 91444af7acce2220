"""Hostile input to the park service (no Discord): every text it accepts, from a staff form or a CSV
file, is cleaned by its field (``bot.fields``) before any rule looks at it; years are checked; what
is refused stores nothing; a park option's text of any size names a park or answers "No park
matches"; search and autocomplete answer any text. The CLI and imports call the service too, so
nothing here relies on Discord or on the cog having checked first."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.db.database import Database
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.fields import PARK_CITY, PARK_NAME, PARK_QUERY, canonical_text
from bot.i18n import translate
from bot.scheduler import MovableClock
from bot.services.park_search import ParkDoc, ParkIndex
from bot.services.parks import (
    COLUMNS,
    ParkDraft,
    ParkRecord,
    ParkService,
    check_draft,
    clean,
    quoted,
    read_csv,
)
from tests.bot.services.test_parks import NOW

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
HANGUL_FILLER = "\u3164\u3164\u3164"
BIDI = "\u202e\u2066"
NUL = "\x00"
LONG = "x" * 6000
HUGE = "9" * 40

GOOD = ParkDraft(name="Nairobi Test Park", country="KE", region="Africa")


def english(error: DomainError) -> str:
    return translate(error.message, "en", **error.params)


def changed(**fields: Any) -> ParkDraft:
    """The good draft with ``fields`` typed instead."""
    return replace(GOOD, **fields)


def problems(draft: ParkDraft) -> list[str]:
    return [p.localize("en") for p in check_draft(draft, 2027).problems]


@pytest.fixture
async def service(database: Database) -> ParkService:
    parks = ParkService(database, MovableClock(NOW))
    await parks.seed()
    return parks


async def rows(database: Database) -> list[Park]:
    async with database.session() as session:
        return list((await session.scalars(select(Park).order_by(Park.id))).all())


async def count(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Park)) or 0)


# -- every field of a draft ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "   ", ZERO_WIDTH, HANGUL_FILLER, BIDI, NUL * 5, f"{ZERO_WIDTH}\n\t{NUL}"]
)
def test_a_name_with_nothing_visible_is_refused_with_the_fields_message(name: str) -> None:
    assert problems(replace(GOOD, name=name)) == ["The park name cannot be empty."]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "The park name can be at most 200 characters long, not 6,000."),
        ("local_name", "The local name can be at most 200 characters long, not 6,000."),
        ("aliases", "The aliases can be at most 400 characters long, not 6,000."),
        ("city", "The city can be at most 100 characters long, not 6,000."),
        ("description", "The description can be at most 1,000 characters long, not 6,000."),
        ("website", "The website can be at most 500 characters long, not 6,000."),
        ("source", "The source can be at most 500 characters long, not 6,000."),
        ("country", "The country can be at most 60 characters long, not 6,000."),
        ("region", "The region can be at most 64 characters long, not 6,000."),
        ("focus", "The focus industries can be at most 400 characters long, not 6,000."),
    ],
)
def test_six_thousand_characters_are_refused_in_every_field(field: str, message: str) -> None:
    assert message in problems(changed(**{field: LONG}))


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("local_name", "The local name cannot be empty."),
        ("aliases", "The aliases cannot be empty."),
        ("city", "The city cannot be empty."),
        ("description", "The description cannot be empty."),
        ("website", "The website cannot be empty."),
        ("focus", "The focus industries cannot be empty."),
    ],
)
def test_an_optional_field_is_blank_or_visible(field: str, message: str) -> None:
    """Left blank it is nothing; filled with invisible characters only it is refused."""
    assert problems(changed(**{field: " \t "})) == []
    for invisible in (ZERO_WIDTH, HANGUL_FILLER, NUL):
        assert problems(changed(**{field: invisible})) == [message]


def test_nul_bidi_overrides_and_zero_width_characters_never_reach_a_record() -> None:
    draft = ParkDraft(
        name=f"Nul{NUL} Park{BIDI}",
        local_name=f"中关村{ZERO_WIDTH}",
        aliases=f"A{NUL}; {ZERO_WIDTH}; {HANGUL_FILLER}；B",
        country=f" ke{NUL} ",
        region=f"Africa{ZERO_WIDTH}",
        city=f"  Nairobi{NUL}  ",
        established=f"２０１０{ZERO_WIDTH}",  # a Chinese keyboard's digits
        focus=f"ict{NUL}, 人工智能",
        website=f"https://nul.example{ZERO_WIDTH}",
        source=f"https://src.example{BIDI}",
        description=f"One{NUL}\r\n\r\n\r\n\r\nTwo{ZERO_WIDTH}.",
    )
    record = check_draft(draft, 2027).record
    assert record == ParkRecord(
        slug="nul-park",
        name="Nul Park",
        local_name="中关村",
        aliases=("A", "B"),
        country="KE",
        region="Africa",
        city="Nairobi",
        established=2010,
        focus=("ICT", "AI"),
        website="https://nul.example",
        source="https://src.example",
        description="One\n\nTwo.",
    )


@pytest.mark.parametrize(
    "year", ["1899", "2028", "2101", "-1990", "1990.5", "1e3", "²⁰²⁰", "MMX", HUGE, "9" * 5000, LONG]
)
def test_a_founding_year_is_a_whole_year_from_1900_to_this_year(year: str) -> None:
    (problem,) = problems(replace(GOOD, established=year))
    assert problem.startswith("established '")
    assert problem.endswith("' is not a year between 1900 and 2027")
    assert len(problem) < 120  # the typed value is quoted cut


def test_a_year_left_empty_or_invisible_is_no_year() -> None:
    for year in ("", "  ", ZERO_WIDTH):
        record = check_draft(replace(GOOD, established=year), 2027).record
        assert record is not None and record.established is None


def test_echoed_values_are_cut_and_cleaned() -> None:
    assert quoted(f"{BIDI}abc{NUL}") == "abc"
    assert len(quoted(LONG)) == 100 and quoted(LONG).endswith("…")
    (problem,) = problems(replace(GOOD, website="ftp://" + "y" * 400))
    assert len(problem) < 150


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300))
@settings(max_examples=300, deadline=None)
def test_the_plain_ascii_shortcut_agrees_with_the_field(text: str) -> None:
    for field in (PARK_NAME, PARK_CITY, PARK_QUERY):
        try:
            expected = field.clean(text, required=False)
        except DomainError as error:
            with pytest.raises(DomainError) as refused:
                clean(field, text, required=False)
            assert english(refused.value) == english(error)
        else:
            assert clean(field, text, required=False) == expected == canonical_text(text)


# -- staff changes store nothing on a refusal ----------------------------------------------------


async def test_a_refused_add_or_edit_stores_nothing(service: ParkService, database: Database) -> None:
    before = [(row.slug, row.name, row.city, row.updated_at) for row in await rows(database)]
    for draft in (
        replace(GOOD, name=ZERO_WIDTH),
        replace(GOOD, name=HANGUL_FILLER),
        replace(GOOD, city=LONG),
        replace(GOOD, description=LONG),
        replace(GOOD, country=ZERO_WIDTH),
        replace(GOOD, established=HUGE),
    ):
        with pytest.raises(DomainError, match="This park cannot be saved"):
            await service.add(replace(draft))
        with pytest.raises(DomainError, match="This park cannot be saved"):
            await service.edit("zhongguancun", replace(draft))
    after = [(row.slug, row.name, row.city, row.updated_at) for row in await rows(database)]
    assert after == before
    assert await count(database) == 166


async def test_what_staff_add_is_stored_clean(service: ParkService, database: Database) -> None:
    added = await service.add(
        replace(GOOD, name=f"{BIDI}Nairobi{NUL} Test{ZERO_WIDTH} Park", city=f"{NUL}Nairobi")
    )
    assert (added.name, added.city) == ("Nairobi Test Park", "Nairobi")
    row = next(row for row in await rows(database) if row.slug == added.slug)
    stored = [row.name, row.local_name, row.aliases, row.city, row.focus, row.description]
    assert not any(ch in text for text in stored for ch in NUL + ZERO_WIDTH + BIDI)
    # The same name with invisible characters in it is the same name.
    with pytest.raises(DomainError, match="already listed"):
        await service.add(replace(GOOD, name=f"Nairobi{ZERO_WIDTH} Test Park"))


# -- a park option: slug, typed name, or "No park matches" ---------------------------------------


async def test_find_takes_a_slug_a_typed_name_local_name_or_alias(service: ParkService) -> None:
    assert service.find("hsinchu-science-park").slug == "hsinchu-science-park"
    assert service.find("  Hsinchu Science Park ").slug == "hsinchu-science-park"
    assert service.find(f"hsinchu{ZERO_WIDTH} science{NUL} park").slug == "hsinchu-science-park"
    assert service.find("中关村科技园区").slug == "zhongguancun"
    assert service.find("Z-Park").slug == "zhongguancun"
    assert service.find("sophia antipollis").slug == "sophia-antipolis"  # a typo, close enough


@pytest.mark.parametrize("typed", [HUGE, str(2**64), "#12 x", "12", "hogwarts", "１２３"])
async def test_find_answers_no_park_matches_for_anything_else(service: ParkService, typed: str) -> None:
    with pytest.raises(NotFound) as refused:
        service.find(typed)
    assert english(refused.value).startswith(f"No park matches '{typed}'.")


async def test_find_keeps_the_closest_names_for_a_near_miss(service: ParkService) -> None:
    with pytest.raises(NotFound) as refused:
        service.find("hogwarts science")
    assert english(refused.value).startswith("No park matches 'hogwarts science'. Closest: ")


async def test_find_answers_text_of_any_size(service: ParkService) -> None:
    with pytest.raises(NotFound) as refused:
        service.find(LONG)
    message = english(refused.value)
    assert message.startswith("No park matches 'xxx") and len(message) < 150
    for invisible in (ZERO_WIDTH, HANGUL_FILLER, NUL * 6000, ""):
        with pytest.raises(DomainError) as empty:
            service.find(invisible)
        assert english(empty.value) == "The park cannot be empty."


async def test_get_takes_only_a_listed_slug(service: ParkService) -> None:
    assert service.get("skolkovo").name.startswith("Skolkovo")
    await service.remove("skolkovo")
    for slug in ("skolkovo", "Skolkovo Innovation Centre", LONG):
        with pytest.raises(NotFound, match="No park matches"):
            service.get(slug)


# -- search and autocomplete answer any text -----------------------------------------------------


async def test_search_cleans_its_query_and_filters(service: ParkService) -> None:
    assert service.search(f"hsin{NUL}chu{ZERO_WIDTH}")[0].slug == "hsinchu-science-park"
    assert service.search("science park", country=f"tw{ZERO_WIDTH}")[0].country == "TW"
    for query, message in (
        (LONG, "The search can be at most 100 characters long, not 6,000."),
        (ZERO_WIDTH, "The search cannot be empty."),
        (NUL * 6000, "The search cannot be empty."),
        (HANGUL_FILLER, "The search cannot be empty."),
    ):
        with pytest.raises(DomainError) as refused:
            service.search(query)
        assert english(refused.value) == message
    filters: tuple[tuple[dict[str, Any], str], ...] = (
        ({"country": ZERO_WIDTH}, "The country cannot be empty."),
        ({"country": LONG}, "The country can be at most 60 characters long, not 6,000."),
        ({"focus": NUL}, "The focus industry cannot be empty."),
        ({"focus": LONG}, "The focus industry can be at most 100 characters long, not 6,000."),
        ({"region": LONG}, "The region can be at most 64 characters long, not 6,000."),
    )
    for options, message in filters:
        with pytest.raises(DomainError) as refused:
            service.search("park", **options)
        assert english(refused.value) == message
    with pytest.raises(DomainError) as listing:
        service.listing(BIDI, None)
    assert english(listing.value) == "The country cannot be empty."


@pytest.mark.parametrize("typed", [LONG, NUL * 6000, ZERO_WIDTH, HANGUL_FILLER, BIDI + "hsinchu", "🏞️" * 2000])
async def test_autocomplete_answers_any_text(service: ParkService, typed: str) -> None:
    assert len(service.autocomplete(typed)) <= 25
    assert len(service.country_choices(typed, "zh-CN")) <= 25
    assert len(service.focus_choices(typed, "en")) <= 25
    if typed == BIDI + "hsinchu":
        assert service.autocomplete(typed)[0].slug == "hsinchu-science-park"


def test_the_index_answers_any_text() -> None:
    index = ParkIndex([ParkDoc("a", "Nova Park", local_name="新园", aliases=("NP",))])
    for query in ("\ud800nova\x00", LONG, NUL, ZERO_WIDTH, "🏞️" * 500, "新\u200b园", "%_*"):
        assert isinstance(index.search(query), list)
        assert isinstance(index.suggest(query), list)
    assert index.search("\ud800nova\x00")[0].slug == "a"


# -- CSV files: the same rules as a form ----------------------------------------------------------


def csv_text(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return out.getvalue()


def test_a_csv_row_is_checked_like_a_staff_form() -> None:
    base = {"name": "Good Park", "country": "KE", "region": "Africa"}
    check = read_csv(
        csv_text(
            {**base, "slug": "invisible", "name": ZERO_WIDTH + HANGUL_FILLER},
            {**base, "slug": "long-city", "city": LONG},
            {**base, "slug": "nul", "name": f"Nul{NUL} Park", "city": f"Nai{NUL}robi", "country": "Kenya"},
            {**base, "slug": "Bad Slug!"},
            {**base, "slug": "year", "name": "Year Park", "established": HUGE},
        ),
        2027,
    )
    assert check.problems[:2] == [
        (2, "The park name cannot be empty."),
        (3, "The city can be at most 100 characters long, not 6,000."),
    ]
    assert check.problems[2] == (5, "slug 'Bad Slug!' must be lower-case letters, digits and hyphens")
    assert check.problems[3][0] == 6 and check.problems[3][1].startswith("established '9999")
    (record,) = check.records
    assert (record.slug, record.name, record.city, record.country) == ("nul", "Nul Park", "Nairobi", "KE")
