"""Validation of the seed data file ``bot/seed/parks.csv`` (science and technology parks)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import urllib.parse
from collections import Counter

import babel
import pytest

from bot.services.parks import SEED_CSV

PARKS_CSV = SEED_CSV  # the packaged file, as the bot reads it

COLUMNS = [
    "slug",
    "name",
    "local_name",
    "aliases",
    "country",
    "city",
    "region",
    "established",
    "focus",
    "website",
    "description",
    "source",
]

REGIONS = frozenset(
    {
        "East Asia",
        "South-East Asia",
        "South Asia",
        "Central Asia",
        "Middle East",
        "Russia",
        "Central and Eastern Europe",
        "Western Europe",
        "Africa",
        "North America",
        "Latin America",
        "Oceania",
    }
)

# Regions that are *not* counted as Belt & Road for the weighting check.
NON_BRI_REGIONS = frozenset({"Western Europe", "North America", "Latin America", "Oceania"})

FOCUS_VOCABULARY = frozenset(
    {
        "ICT",
        "Software",
        "AI",
        "Electronics",
        "Semiconductors",
        "Biotechnology",
        "Life Sciences",
        "Advanced Manufacturing",
        "New Materials",
        "Energy",
        "Clean Tech",
        "Aerospace",
        "Automotive",
        "Agritech",
        "Fintech",
        "Logistics",
        "Photonics",
        "Nanotechnology",
        "Chemicals",
        "Creative Industries",
        "Defence",
    }
)

# Two-letter codes in CLDR's territory list that are not ISO 3166-1 alpha-2 country codes
# (unions, groupings, "unknown", pseudo-locales, user-assigned or exceptionally reserved codes).
NON_COUNTRY_CODES = frozenset(
    {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)
COUNTRY_CODES = frozenset(
    code
    for code in babel.Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in NON_COUNTRY_CODES
)

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
REQUIRED = ("name", "country", "region", "source", "description")


def _rows() -> list[dict[str, str]]:
    with PARKS_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, strict=True))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return _rows()


def _is_url(value: str) -> bool:
    parsed = urllib.parse.urlparse(value)
    return parsed.scheme in {"http", "https"} and "." in parsed.netloc and " " not in value


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(";")] if value else []


def test_header_is_exact() -> None:
    with PARKS_CSV.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == COLUMNS


def test_every_row_has_all_columns() -> None:
    with PARKS_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        next(reader)
        for lineno, record in enumerate(reader, start=2):
            assert len(record) == len(COLUMNS), f"line {lineno}: {len(record)} fields"


def test_row_count(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 120


def test_slugs_unique_and_well_formed(rows: list[dict[str, str]]) -> None:
    slugs = [row["slug"] for row in rows]
    bad = [slug for slug in slugs if not SLUG_RE.fullmatch(slug)]
    assert not bad, bad
    dupes = [slug for slug, n in Counter(slugs).items() if n > 1]
    assert not dupes, dupes


def test_names_unique(rows: list[dict[str, str]]) -> None:
    dupes = [name for name, n in Counter(row["name"].casefold() for row in rows).items() if n > 1]
    assert not dupes, dupes


def test_required_fields(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for field in REQUIRED:
            assert row[field].strip(), f"{row['slug']}: empty {field}"


def test_no_surrounding_whitespace(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for field, value in row.items():
            assert value == value.strip(), f"{row['slug']}: whitespace around {field}"


def test_country_codes(rows: list[dict[str, str]]) -> None:
    bad = [(row["slug"], row["country"]) for row in rows if row["country"] not in COUNTRY_CODES]
    assert not bad, bad


def test_regions(rows: list[dict[str, str]]) -> None:
    bad = [(row["slug"], row["region"]) for row in rows if row["region"] not in REGIONS]
    assert not bad, bad


def test_established(rows: list[dict[str, str]]) -> None:
    this_year = dt.datetime.now(tz=dt.UTC).year
    for row in rows:
        value = row["established"]
        if not value:
            continue
        assert re.fullmatch(r"\d{4}", value), f"{row['slug']}: {value!r}"
        assert 1950 <= int(value) <= this_year, f"{row['slug']}: {value}"


def test_urls(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert _is_url(row["source"]), f"{row['slug']}: source {row['source']!r}"
        if row["website"]:
            assert _is_url(row["website"]), f"{row['slug']}: website {row['website']!r}"


def test_aliases(rows: list[dict[str, str]]) -> None:
    for row in rows:
        items = _split(row["aliases"])
        assert all(items), f"{row['slug']}: empty alias in {row['aliases']!r}"
        assert len(items) == len(set(items)), f"{row['slug']}: duplicate alias"
        assert row["name"] not in items, f"{row['slug']}: alias repeats the name"


def test_focus_vocabulary(rows: list[dict[str, str]]) -> None:
    for row in rows:
        items = _split(row["focus"])
        assert all(items), f"{row['slug']}: empty focus item"
        assert len(items) == len(set(items)), f"{row['slug']}: duplicate focus item"
        unknown = set(items) - FOCUS_VOCABULARY
        assert not unknown, f"{row['slug']}: unknown focus {sorted(unknown)}"


def test_belt_and_road_weighting(rows: list[dict[str, str]]) -> None:
    bri = sum(1 for row in rows if row["region"] not in NON_BRI_REGIONS)
    assert bri / len(rows) >= 0.60, f"{bri}/{len(rows)} rows in Belt & Road regions"


def test_chinese_parks(rows: list[dict[str, str]]) -> None:
    chinese = [row for row in rows if row["country"] == "CN"]
    assert len(chinese) >= 25
    missing = [row["slug"] for row in chinese if not CJK_RE.search(row["local_name"])]
    assert not missing, missing
