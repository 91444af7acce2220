"""The park directory: seeding, search, listing, statistics, which parks count as CISIP member parks
in a server, staff curation and CSV import/export.

The database is the source of truth; the service keeps an in-memory search index of the parks
(:class:`~bot.services.park_search.ParkIndex`) that it rebuilds after every change it makes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import babel
from sqlalchemy import insert, select

from bot.db.database import Database
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.i18n import (
    DEFAULT_LANGUAGE,
    Listing,
    Message,
    _,
    available_languages,
    country_name,
    half_width,
    translate,
)
from bot.scheduler import Clock
from bot.services.membership import LinkedMember, MembershipService
from bot.services.park_search import FUZZY, ParkDoc, ParkIndex, normalise

SEED_CSV = Path(__file__).resolve().parents[2] / "data" / "parks.csv"

COLUMNS = (
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
)
# Marked for translation: shown translated on cards and in choices, stored in English.
REGIONS = (
    _("East Asia"),
    _("South-East Asia"),
    _("South Asia"),
    _("Central Asia"),
    _("Middle East"),
    _("Russia"),
    _("Central and Eastern Europe"),
    _("Western Europe"),
    _("Africa"),
    _("North America"),
    _("Latin America"),
    _("Oceania"),
)
FOCUS_VOCABULARY = (
    _("ICT"),
    _("Software"),
    _("AI"),
    _("Electronics"),
    _("Semiconductors"),
    _("Biotechnology"),
    _("Life Sciences"),
    _("Advanced Manufacturing"),
    _("New Materials"),
    _("Energy"),
    _("Clean Tech"),
    _("Aerospace"),
    _("Automotive"),
    _("Agritech"),
    _("Fintech"),
    _("Logistics"),
    _("Photonics"),
    _("Nanotechnology"),
    _("Chemicals"),
    _("Creative Industries"),
    _("Defence"),
)
MAX_QUERY = 100
THREADED_REBUILD = 2000  # above this many parks the index is rebuilt off the event loop
CONFIDENT = 88.0  # a name typed into /park info without autocomplete: a fuzzy hit must be this close
MIN_YEAR = 1900
MAX_NAME, MAX_SLUG, MAX_DESCRIPTION = 200, 80, 1000  # characters
_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_NON_COUNTRY = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
COUNTRY_CODES: frozenset[str] = frozenset(
    str(code)
    for code in babel.Locale("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NON_COUNTRY
)


# -- words in every language ------------------------------------------------------------------------


def names_of(label: str) -> frozenset[str]:
    """A source string as typed in any language we speak, normalised ('Biotechnology', '生物技术')."""
    return _names_in(label, available_languages())


@cache
def _names_in(label: str, languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise(translate(label, language)) for language in languages)


def canonical(text: str, labels: Iterable[str]) -> str | None:
    """The source string among ``labels`` that ``text`` names in some language, if any."""
    key = normalise(text)
    return next((label for label in labels if key in names_of(label)), None)


def resolve_focus(text: str) -> str:
    """'ICT；人工智能' -> 'ICT; AI': focus industries are stored in English; unknown ones are kept."""
    items = split_list(half_width(text).replace(",", ";"))  # commas or semicolons, any keyboard
    return "; ".join(canonical(item, FOCUS_VOCABULARY) or item for item in items)


# -- countries -------------------------------------------------------------------------------------


def flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code ('CN' -> 🇨🇳)."""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code.upper()) if len(code) == 2 else ""


def search_countries(text: str, language: str = "en", limit: int = 25) -> list[tuple[str, str]]:
    """(code, name) of countries whose name (in ``language`` or English) or code matches ``text``."""
    q = normalise(text)
    scored: list[tuple[int, str, str]] = []
    for code in COUNTRY_CODES:
        name = country_name(code, language)
        english = country_name(code)
        names = [normalise(name), normalise(english)]
        if not q:
            rank = 2
        elif q == code.lower() or q in names:
            rank = 0
        elif any(n.startswith(q) for n in names):
            rank = 1
        elif any(q in n for n in names):
            rank = 2
        else:
            continue
        scored.append((rank, name, code))
    scored.sort()
    return [(code, name) for _rank, name, code in scored[:limit]]


def resolve_country(text: str) -> str:
    """An ISO code from a code or a country name in any language we speak; DomainError if unknown."""
    value = text.strip()
    if value.upper() in COUNTRY_CODES:
        return value.upper()
    q = normalise(value)
    for language in available_languages():
        for code in COUNTRY_CODES:
            if q and normalise(country_name(code, language)) == q:
                return code
    raise DomainError(
        _("Unknown country '{country}': pick one from the list or use a two-letter code such as CN."),
        country=value[:60],
    )


def resolve_region(text: str) -> str:
    """A region's source name from its name in any language we speak; DomainError if unknown."""
    region = canonical(text, REGIONS)
    if region is None:
        raise DomainError(
            _("Unknown region '{region}'. Regions: {regions}."),
            region=text[:60],
            regions=Listing.labels(REGIONS),
        )
    return region


# -- records ---------------------------------------------------------------------------------------


def split_list(value: str) -> tuple[str, ...]:
    """'a; b' or 'a；b' (a Chinese keyboard's semicolon) -> ('a', 'b')."""
    return tuple(item.strip() for item in re.split(r"[;；]", value) if item.strip())


@dataclass(frozen=True)
class ParkRecord:
    slug: str
    name: str
    country: str
    region: str
    local_name: str = ""
    aliases: tuple[str, ...] = ()
    city: str = ""
    established: int | None = None
    focus: tuple[str, ...] = ()
    website: str = ""
    description: str = ""
    source: str = ""
    cisip_member: bool = False

    @classmethod
    def from_row(cls, row: Park) -> ParkRecord:
        return cls(
            slug=row.slug,
            name=row.name,
            country=row.country,
            region=row.region,
            local_name=row.local_name,
            aliases=split_list(row.aliases),
            city=row.city,
            established=row.established,
            focus=split_list(row.focus),
            website=row.website,
            description=row.description,
            source=row.source,
            cisip_member=row.cisip_member,
        )

    def csv_row(self) -> dict[str, str]:
        return {
            "slug": self.slug,
            "name": self.name,
            "local_name": self.local_name,
            "aliases": ";".join(self.aliases),
            "country": self.country,
            "city": self.city,
            "region": self.region,
            "established": "" if self.established is None else str(self.established),
            "focus": ";".join(self.focus),
            "website": self.website,
            "description": self.description,
            "source": self.source,
        }

    def apply_to(self, row: Park) -> None:
        for key, value in self.csv_row().items():
            if key != "established":
                setattr(row, key, value)
        row.established = self.established
        row.cisip_member = self.cisip_member

    def doc(self) -> ParkDoc:
        return ParkDoc(
            slug=self.slug,
            name=self.name,
            local_name=self.local_name,
            aliases=self.aliases,
            country=self.country,
            region=self.region,
            focus=self.focus,
            context=" ".join(
                (
                    self.city,
                    *(country_name(self.country, lang) for lang in available_languages()),
                    self.description,
                )
            ),
        )


def slugify(name: str) -> str:
    slug = "-".join(re.sub(r"[^a-z0-9]+", " ", normalise(name)).split())
    return slug[:80] or "park"


def _is_url(value: str) -> bool:
    parsed = urllib.parse.urlparse(value)
    return parsed.scheme in {"http", "https"} and "." in parsed.netloc and " " not in value


@dataclass
class ParkDraft:
    """What staff typed, before validation (every field a string)."""

    name: str
    country: str
    region: str
    slug: str = ""
    local_name: str = ""
    aliases: str = ""
    city: str = ""
    established: str = ""
    focus: str = ""
    website: str = ""
    description: str = ""
    source: str = ""
    cisip_member: bool = False

    @classmethod
    def of(cls, record: ParkRecord) -> ParkDraft:
        """A park as staff see it in the edit form."""
        return cls(
            slug=record.slug,
            name=record.name,
            local_name=record.local_name,
            aliases="; ".join(record.aliases),
            focus="; ".join(record.focus),
            description=record.description,
            country=record.country,
            region=record.region,
            city=record.city,
            established=str(record.established or ""),
            website=record.website,
            source=record.source,
            cisip_member=record.cisip_member,
        )


def problems_of(draft: ParkDraft, this_year: int) -> list[Message]:
    """Every reason ``draft`` is not a valid park, to be read in any language (English in the CLI)."""
    problems: list[Message] = []
    if not draft.name.strip():
        problems.append(Message.of(_("name is empty")))
    elif len(draft.name) > MAX_NAME:
        problems.append(Message.of(_("name is longer than {limit:n} characters"), limit=MAX_NAME))
    if len(draft.slug) > MAX_SLUG:
        problems.append(Message.of(_("slug is longer than {limit:n} characters"), limit=MAX_SLUG))
    elif draft.slug and not _SLUG_RE.fullmatch(draft.slug):
        problems.append(
            Message.of(_("slug '{slug}' must be lower-case letters, digits and hyphens"), slug=draft.slug)
        )
    if draft.country.strip().upper() not in COUNTRY_CODES:
        problems.append(
            Message.of(_("country '{country}' is not an ISO 3166-1 alpha-2 code"), country=draft.country)
        )
    if draft.region not in REGIONS:
        problems.append(
            Message.of(
                _("region '{region}' is not one of: {regions}"),
                region=draft.region,
                regions=Listing.labels(REGIONS),
            )
        )
    year = draft.established.strip()
    if year and not (year.isdigit() and MIN_YEAR <= int(year) <= this_year):
        problems.append(
            Message.of(
                _("established '{year}' is not a year between {first} and {last}"),
                year=year,
                first=MIN_YEAR,
                last=this_year,
            )
        )
    unknown = [f for f in split_list(draft.focus) if f not in FOCUS_VOCABULARY]
    if unknown:
        problems.append(
            Message.of(
                _("unknown focus {focus} (known: {known})"),
                focus=Listing.of(unknown),
                known=Listing.labels(FOCUS_VOCABULARY),
            )
        )
    website, source = draft.website.strip(), draft.source.strip()
    if website and not _is_url(website):
        problems.append(Message.of(_("website '{url}' is not an http(s) URL"), url=website))
    if source and not _is_url(source):
        problems.append(Message.of(_("source '{url}' is not an http(s) URL"), url=source))
    if len(draft.description) > MAX_DESCRIPTION:
        problems.append(
            Message.of(_("description is longer than {limit:n} characters"), limit=MAX_DESCRIPTION)
        )
    return problems


def record_of(draft: ParkDraft) -> ParkRecord:
    """A validated draft as a record (call :func:`problems_of` first)."""
    return ParkRecord(
        slug=draft.slug or slugify(draft.name),
        name=draft.name.strip(),
        country=draft.country.strip().upper(),
        region=draft.region,
        local_name=draft.local_name.strip(),
        aliases=split_list(draft.aliases),
        city=draft.city.strip(),
        established=int(draft.established) if draft.established.strip() else None,
        focus=split_list(draft.focus),
        website=draft.website.strip(),
        description=draft.description.strip(),
        source=draft.source.strip(),
        cisip_member=draft.cisip_member,
    )


@dataclass
class CsvCheck:
    records: list[ParkRecord] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def read_csv(text: str, this_year: int, *, progress: Any = None) -> CsvCheck:
    """Validate a whole CSV file: every row's problems with its line number, or the records."""
    check = CsvCheck()
    try:
        reader = csv.reader(io.StringIO(text), strict=True)
        header = next(reader, None)
        if header is None:
            check.problems.append((1, "the file is empty"))
            return check
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            check.problems.append((1, f"missing columns: {', '.join(missing)}"))
            return check
        seen: dict[str, int] = {}
        for record in reader:
            line = reader.line_num
            if progress is not None:
                progress()
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                check.problems.append((line, f"{len(record)} fields, expected {len(header)}"))
                continue
            row = dict(zip(header, record, strict=True))
            draft = ParkDraft(name="", country="", region="")
            for column in COLUMNS:
                setattr(draft, column, row[column])
            problems = [p.localize(DEFAULT_LANGUAGE) for p in problems_of(draft, this_year)]
            slug = draft.slug or slugify(draft.name)
            if slug in seen:
                problems.append(f"slug {slug!r} is already on line {seen[slug]}")
            seen.setdefault(slug, line)
            check.problems.extend((line, p) for p in problems)
            if not problems:
                check.records.append(record_of(draft))
    except csv.Error as exc:
        check.problems.append((reader.line_num, f"malformed CSV: {exc}"))
    return check


def write_csv(records: Iterable[ParkRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record.csv_row())
    return out.getvalue()


# -- the service -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    added: int
    updated: int
    kept: int  # edited or removed by staff: left alone


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


@dataclass(frozen=True)
class MemberParks:
    """A park is a CISIP member park when the directory marks it so, or a member organization of
    the server runs it."""

    run_by_members: frozenset[str]

    def includes(self, record: ParkRecord) -> bool:
        return record.cisip_member or record.slug in self.run_by_members


@dataclass(frozen=True)
class ParkCard:
    """What a park's card shows in one server."""

    park: ParkRecord
    member: bool = False  # a CISIP member park (see MemberParks)
    linked: tuple[LinkedMember, ...] = ()  # verified members whose organization runs it


@dataclass(frozen=True)
class Place:
    """A country and/or a region of the directory, named in the reader's language ("🇨🇳 China · East Asia")."""

    country: str | None = None  # an ISO code
    region: str | None = None  # a region's source name

    def localize(self, language: str) -> str:
        names = []
        if self.country is not None:
            names.append(f"{flag(self.country)} {country_name(self.country, language)}")
        if self.region is not None:
            names.append(translate(self.region, language))
        return " · ".join(names)


@dataclass(frozen=True)
class ParkList:
    place: Place
    parks: list[ParkRecord]


class ParkService:
    def __init__(self, db: Database, clock: Clock, *, memberships: MembershipService | None = None) -> None:
        self.db = db
        self.clock = clock
        # Member organizations link parks to verified members (the membership capability).
        self.memberships = memberships
        self.records: dict[str, ParkRecord] = {}
        self.index = ParkIndex()
        self._loading = asyncio.Lock()

    # -- loading and seeding ----------------------------------------------------------------------

    async def load(self) -> None:
        """Read every park and rebuild the search index (in a thread when the directory is large)."""
        async with self._loading:
            async with self.db.session() as session:
                rows = (await session.scalars(select(Park).where(Park.removed_at.is_(None)))).all()
            records = [ParkRecord.from_row(row) for row in rows]
            if len(records) > THREADED_REBUILD:
                self.records, self.index = await asyncio.to_thread(self._build, records)
            else:
                self.records, self.index = self._build(records)

    @staticmethod
    def _build(records: list[ParkRecord]) -> tuple[dict[str, ParkRecord], ParkIndex]:
        by_slug = {r.slug: r for r in sorted(records, key=lambda r: r.name.casefold())}
        return by_slug, ParkIndex(r.doc() for r in by_slug.values())

    async def seed(self, path: Path = SEED_CSV) -> SeedResult:
        """Add the shipped parks; refresh the ones staff never touched; never undo a staff change."""
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        check = read_csv(text, self.clock.now().year)
        if check.problems:
            line, reason = check.problems[0]
            raise ValueError(f"{path}: line {line}: {reason}")
        now = self.clock.now()
        added = updated = kept = 0
        async with self.db.transaction() as session:
            existing = {row.slug: row for row in (await session.scalars(select(Park))).all()}
            for record in check.records:
                row = existing.get(record.slug)
                if row is None:
                    row = Park(slug=record.slug, origin="seed", created_at=now, updated_at=now)
                    record.apply_to(row)
                    session.add(row)
                    added += 1
                elif row.staff_edited or row.removed_at is not None:
                    kept += 1
                elif ParkRecord.from_row(row) != replace(record, cisip_member=row.cisip_member):
                    record = replace(record, cisip_member=row.cisip_member)
                    record.apply_to(row)
                    row.updated_at = now
                    updated += 1
        await self.load()
        return SeedResult(added, updated, kept)

    # -- reading ----------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        country: str | None = None,
        region: str | None = None,
        focus: str | None = None,
        limit: int = 50,
    ) -> list[ParkRecord]:
        """Parks matching ``query`` best first; "No park matches" with suggestions when none do."""
        query = query.strip()
        if not query:
            raise DomainError(_("Type part of a park's name to search for."))
        if len(query) > MAX_QUERY:
            raise DomainError(
                _("That search is too long: use at most {limit:n} characters."), limit=MAX_QUERY
            )
        code = resolve_country(country) if country else None
        region = resolve_region(region) if region else None
        focus_key = normalise(focus) if focus else None

        def where(doc: ParkDoc) -> bool:
            return (
                (code is None or doc.country == code)
                and (region is None or doc.region == region)
                and (focus_key is None or any(focus_key in name for f in doc.focus for name in names_of(f)))
            )

        filtered = code is not None or region is not None or focus_key is not None
        hits = self.index.search(query, limit=limit, where=where if filtered else None)
        if not hits:
            suggestions = [self.records[s].name for s in self.index.suggest(query)]
            if suggestions:
                raise NotFound(
                    _("No park matches '{query}'. Closest: {suggestions}."),
                    query=query,
                    suggestions=Listing.of(suggestions, separator=_("; ")),
                )
            raise NotFound(_("No park matches '{query}'."), query=query)
        return [self.records[hit.slug] for hit in hits]

    def autocomplete(self, text: str, limit: int = 25) -> list[ParkRecord]:
        text = text.strip()[:MAX_QUERY]
        if not text:
            return list(self.records.values())[:limit]
        return [self.records[hit.slug] for hit in self.index.search(text, limit=limit)]

    def get(self, name_or_slug: str) -> ParkRecord:
        """A park by slug (what autocomplete sends) or else by the best search result."""
        found = self.records.get(name_or_slug.strip())
        if found is not None:
            return found
        best = self.search(name_or_slug, limit=1)[0]
        hit = self.index.search(name_or_slug, limit=1)[0]
        if hit.tier == FUZZY and hit.score < CONFIDENT:
            raise NotFound(
                _("No park matches '{query}'. Closest: {suggestions}."),
                query=name_or_slug.strip(),
                suggestions=best.name,
            )
        return best

    def in_place(self, country: str | None, region: str | None) -> list[ParkRecord]:
        """The parks of a country (ISO code) and/or a region (source name), as listed."""
        return [
            record
            for record in self.records.values()
            if (country is None or record.country == country) and (region is None or record.region == region)
        ]

    def listing(self, country: str | None, region: str | None) -> ParkList:
        """/park list: the parks of a country (a code or a name in any language we speak) and/or a
        region; refused when neither is given or the directory has no park there."""
        if country is None and region is None:
            raise DomainError(_("Choose a country or a region to list."))
        place = Place(
            resolve_country(country) if country is not None else None,
            resolve_region(region) if region is not None else None,
        )
        parks = self.in_place(place.country, place.region)
        if not parks:
            raise DomainError(_("The directory has no parks in {place} yet."), place=place)
        return ParkList(place, parks)

    def focus_values(self) -> list[str]:
        return sorted({f for r in self.records.values() for f in r.focus})

    def country_choices(self, text: str, language: str, limit: int = 25) -> list[tuple[str, str]]:
        """(code, name in ``language``) of the countries ``text`` names, those with parks first."""
        present = {r.country for r in self.records.values()}
        found = search_countries(text, language, limit=300)
        found.sort(key=lambda item: item[0] not in present)  # stable: best match first within each
        return found[:limit]

    def focus_choices(self, text: str, language: str, limit: int = 25) -> list[tuple[str, str]]:
        """(focus, its name in ``language``) of the focus industries in use (the whole vocabulary
        while none is) that contain ``text`` in English or in ``language``."""
        q = text.casefold().strip()
        named = [(f, translate(f, language)) for f in self.focus_values() or FOCUS_VOCABULARY]
        return [(f, name) for f, name in named if q in f.casefold() or q in name.casefold()][:limit]

    def stats(self) -> tuple[Counter[str], Counter[str], Counter[int]]:
        """Parks per country code, per region and per founding decade; refused when there is no park."""
        records = list(self.records.values())
        if not records:
            raise DomainError(_("The directory is empty."))
        return (
            Counter(r.country for r in records),
            Counter(r.region for r in records),
            Counter(r.established // 10 * 10 for r in records if r.established),
        )

    async def linked_members(self, guild_id: int | None, slug: str) -> list[LinkedMember]:
        """Verified members whose organization (by email domain) runs this park (the membership
        service decides who is verified)."""
        if guild_id is None or self.memberships is None:
            return []
        return await self.memberships.linked_members(guild_id, slug)

    async def member_parks(self, guild_id: int | None) -> MemberParks:
        """Which parks count as CISIP members in this server (one query for a whole result list)."""
        if guild_id is None or self.memberships is None:
            return MemberParks(frozenset())
        return MemberParks(await self.memberships.member_parks(guild_id))

    async def card(self, guild_id: int | None, record: ParkRecord) -> ParkCard:
        """A park's card in this server: the member badge and the verified members linked to it."""
        members = await self.member_parks(guild_id)
        linked = await self.linked_members(guild_id, record.slug)
        return ParkCard(record, members.includes(record), tuple(linked))

    # -- staff changes ----------------------------------------------------------------------------

    def validate(self, draft: ParkDraft) -> ParkRecord:
        """A staff draft as a record, or a DomainError naming what is wrong."""
        draft.country = resolve_country(draft.country)
        draft.region = resolve_region(draft.region)
        draft.focus = resolve_focus(draft.focus)
        problems = problems_of(draft, self.clock.now().year)
        if problems:
            raise DomainError(
                _("This park cannot be saved:\n{problems}"), problems=Listing.of(problems, bullets=True)
            )
        return record_of(draft)

    def check_options(self, draft: ParkDraft) -> None:
        """Refuse a draft's command options before the form opens (the form asks for the name)."""
        self.validate(replace(draft, name=draft.name or "-"))

    async def add(self, draft: ParkDraft) -> ParkRecord:
        record = self.validate(draft)
        now = self.clock.now()
        async with self.db.transaction() as session:
            rows = (await session.scalars(select(Park))).all()
            names = {normalise(r.name): r for r in rows if r.removed_at is None}
            if normalise(record.name) in names:
                raise DomainError(_("A park named '{name}' is already listed."), name=record.name)
            taken = {r.slug: r for r in rows}
            slug, n = record.slug, 2
            while slug in taken and taken[slug].removed_at is None:
                slug, n = f"{record.slug}-{n}", n + 1
            record = replace(record, slug=slug)
            row = taken.get(slug) or Park(slug=slug, created_at=now)
            record.apply_to(row)
            row.origin, row.staff_edited, row.removed_at, row.updated_at = "staff", True, None, now
            session.add(row)
        await self.load()
        return record

    async def edit(self, slug: str, draft: ParkDraft) -> ParkRecord:
        current = self.get(slug)
        draft.slug = current.slug
        record = self.validate(draft)
        async with self.db.transaction() as session:
            row = await session.scalar(select(Park).where(Park.slug == current.slug))
            if row is None or row.removed_at is not None:
                raise NotFound(_("No park matches '{query}'."), query=slug)
            others = (await session.scalars(select(Park.name).where(Park.removed_at.is_(None)))).all()
            if normalise(record.name) != normalise(row.name) and normalise(record.name) in {
                normalise(n) for n in others
            }:
                raise DomainError(_("A park named '{name}' is already listed."), name=record.name)
            record.apply_to(row)
            row.staff_edited, row.updated_at = True, self.clock.now()
        await self.load()
        return record

    async def remove(self, slug: str) -> ParkRecord:
        record = self.get(slug)
        async with self.db.transaction() as session:
            row = await session.scalar(select(Park).where(Park.slug == record.slug))
            if row is None or row.removed_at is not None:
                raise NotFound(_("No park matches '{query}'."), query=slug)
            now = self.clock.now()
            row.removed_at, row.staff_edited, row.updated_at = now, True, now
        await self.load()
        return record

    async def import_records(self, records: Sequence[ParkRecord], *, progress: Any = None) -> ImportResult:
        """Add or replace every record in one transaction (all or nothing); staff-owned afterwards."""
        now = self.clock.now()
        fresh: list[dict[str, Any]] = []
        updated = 0
        async with self.db.transaction() as session:
            existing = {row.slug: row for row in (await session.scalars(select(Park))).all()}
            for record in records:
                row = existing.get(record.slug)
                if row is None:
                    fresh.append(
                        {
                            **record.csv_row(),
                            "established": record.established,
                            "cisip_member": False,
                            "origin": "import",
                            "staff_edited": True,
                            "removed_at": None,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                else:
                    replace(record, cisip_member=row.cisip_member).apply_to(row)
                    row.staff_edited, row.removed_at, row.updated_at = True, None, now
                    updated += 1
                if progress is not None:
                    progress()
            for start in range(0, len(fresh), 5000):  # new parks in batches, one executemany each
                await session.execute(insert(Park), fresh[start : start + 5000])
        await self.load()
        return ImportResult(len(fresh), updated)

    async def export_csv(self) -> str:
        await self.load()
        return write_csv(sorted(self.records.values(), key=lambda r: r.slug))
