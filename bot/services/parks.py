"""The park directory: seeding, search, listing, statistics, which parks count as CISIP member parks
in a server, staff curation and CSV import/export.

The database is the source of truth; the service keeps an in-memory search index of the parks
(:class:`~bot.services.park_search.ParkIndex`) that it rebuilds after every change it makes.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.resources
import io
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any, TypeGuard

import babel
from sqlalchemy import insert, select

from bot.db.database import Database, hold
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.fields import (
    COUNTRY_TEXT,
    FOCUS_TEXT,
    PARK_ALIASES,
    PARK_CITY,
    PARK_DESCRIPTION,
    PARK_ESTABLISHED,
    PARK_FOCUS,
    PARK_LOCAL_NAME,
    PARK_NAME,
    PARK_QUERY,
    PARK_REFERENCE,
    REGION_TEXT,
    WEB_ADDRESS,
    TextField,
    canonical_text,
)
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

# The shipped directory: package data (pyproject's package-data), so an installed copy carries it.
SEED_CSV: Traversable = importlib.resources.files("bot") / "seed" / "parks.csv"
# Held by every write that reads the directory to decide (a free name, a free slug, new or known):
# two processes seeding, importing or adding at once take turns instead of inserting a slug twice.
DIRECTORY = "parks"

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
THREADED_REBUILD = 2000  # above this many parks the index is rebuilt off the event loop
CONFIDENT = 88.0  # a name typed into /park info without autocomplete: a fuzzy hit must be this close
MAX_SLUG = 80  # characters
ECHO = 100  # characters of a typed value quoted back in a refusal
# The two web addresses of a park, named apart in refusals (bounds: bot.fields.WEB_ADDRESS).
WEBSITE = replace(WEB_ADDRESS, label=_("website"))
SOURCE = replace(WEB_ADDRESS, label=_("source"))
# A region as typed (a CSV cell; /park offers them as choices). Not in bot.fields yet.
_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_YEAR_RE = re.compile(r"[0-9]{1,4}")
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


def canonical(text: str, labels: tuple[str, ...]) -> str | None:
    """The source string among ``labels`` that ``text`` names in some language, if any."""
    return _labels_by_name(labels, available_languages()).get(normalise(text))


@cache
def _labels_by_name(labels: tuple[str, ...], languages: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for label in labels:
        for name in _names_in(label, languages):
            found.setdefault(name, label)
    return found


def resolve_focus(text: str) -> str:
    """'ICT；人工智能' -> 'ICT; AI': focus industries are stored in English; unknown ones are kept."""
    items = typed_list(half_width(text).replace(",", ";"))  # commas or semicolons, any keyboard
    return "; ".join(canonical(item, FOCUS_VOCABULARY) or item for item in items)


def clean(field: TextField, value: str, *, required: bool = True) -> str:
    """``field.clean(value)``, answered at once for the usual case of plain ASCII text that fits.

    Printable ASCII has nothing for :func:`bot.fields.canonical_text` to remove or normalise but
    runs of spaces, so a CSV of 100,000 parks is not read one character at a time; anything else,
    and every refusal, goes through the field itself.
    """
    if _plain(value):
        text = " ".join(value.split())
        if (not text and not required) or field.min_length <= len(text) <= field.max_length:
            return text
    return field.clean(value, required=required)


def _plain(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.isascii() and value.isprintable()


def one_line(value: str) -> str:
    """:func:`bot.fields.canonical_text` of one line (the plain-ASCII shortcut of :func:`clean`)."""
    if _plain(value):
        return " ".join(value.split())
    return canonical_text(value) if isinstance(value, str) else ""


def quoted(text: str, limit: int = ECHO) -> str:
    """Typed ``text`` as a refusal quotes it: canonical (nothing invisible), cut with an ellipsis."""
    text = canonical_text(text[: limit * 4]) if isinstance(text, str) else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- countries -------------------------------------------------------------------------------------


def flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code ('CN' -> 🇨🇳)."""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code.upper()) if len(code) == 2 else ""


def search_countries(text: str, language: str = "en", limit: int = 25) -> list[tuple[str, str]]:
    """(code, name) of countries whose name (in ``language`` or English) or code matches ``text``."""
    q = normalise(typing(text, COUNTRY_TEXT))
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
    value = clean(COUNTRY_TEXT, text)
    if value.upper() in COUNTRY_CODES:
        return value.upper()
    q = normalise(value)
    for language in available_languages():
        for code in COUNTRY_CODES:
            if q and normalise(country_name(code, language)) == q:
                return code
    raise DomainError(
        _("Unknown country '{country}': pick one from the list or use a two-letter code such as CN."),
        country=value,
    )


def resolve_region(text: str) -> str:
    """A region's source name from its name in any language we speak; DomainError if unknown."""
    value = clean(REGION_TEXT, text)
    region = canonical(value, REGIONS)
    if region is None:
        raise DomainError(
            _("Unknown region '{region}'. Regions: {regions}."),
            region=value,
            regions=Listing.labels(REGIONS),
        )
    return region


# -- records ---------------------------------------------------------------------------------------


def split_list(value: str) -> tuple[str, ...]:
    """'a; b' or 'a；b' (a Chinese keyboard's semicolon) -> ('a', 'b'), for stored lists."""
    return tuple(item.strip() for item in re.split(r"[;；]", value) if item.strip())


def typed_list(value: str) -> tuple[str, ...]:
    """:func:`split_list` of typed text: each item canonical, items with nothing visible dropped."""
    items = (one_line(item) for item in re.split(r"[;；]", value))
    return tuple(item for item in items if item)


def typing(text: str, field: TextField) -> str:
    """What is being typed into an autocompleted option, made canonical and cut to the field's
    length: never refused (autocomplete always answers)."""
    if not isinstance(text, str):
        return ""
    return canonical_text(text[: field.max_length * 4])[: field.max_length]


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
    return slug[:MAX_SLUG].rstrip("-") or "park"


def _is_url(value: str) -> bool:
    parsed = urllib.parse.urlparse(value)
    return parsed.scheme in {"http", "https"} and "." in parsed.netloc and " " not in value


@dataclass
class ParkDraft:
    """What staff typed, before validation (every field a string, as in a CSV row)."""

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


@dataclass(frozen=True)
class DraftCheck:
    """A draft checked: the park to keep, or every reason it cannot be kept."""

    record: ParkRecord | None
    problems: tuple[Message, ...] = ()


def check_draft(draft: ParkDraft, this_year: int) -> DraftCheck:
    """Every field of ``draft`` cleaned by its ``bot.fields`` declaration (canonical text, nothing
    invisible, within its length), countries, regions and focus industries understood in any
    language we speak, then every rule of a park. One path for staff forms and CSV files; the
    problems read in any language (English in the CLI)."""
    problems: list[Message] = []

    def refused(error: DomainError) -> None:
        problems.append(Message.of(error.message, **error.params))

    def text(field: TextField, value: str, *, required: bool = False) -> str:
        # An optional field left blank is nothing; one filled with only invisible characters is
        # refused like a required one (as bot.fields' ``clean_optional``).
        if not required and (value is None or (isinstance(value, str) and not value.strip())):
            return ""
        try:
            return clean(field, value)
        except DomainError as error:
            refused(error)
            return ""

    def resolved(resolve: Any, value: str) -> str:
        try:
            return str(resolve(value))
        except DomainError as error:
            refused(error)
            return ""

    name = text(PARK_NAME, draft.name, required=True)
    slug = one_line(draft.slug[: MAX_SLUG * 4]) if isinstance(draft.slug, str) else ""
    if len(slug) > MAX_SLUG:
        problems.append(Message.of(_("slug is longer than {limit:n} characters"), limit=MAX_SLUG))
    elif slug and not _SLUG_RE.fullmatch(slug):
        problems.append(
            Message.of(_("slug '{slug}' must be lower-case letters, digits and hyphens"), slug=quoted(slug))
        )
    local_name = text(PARK_LOCAL_NAME, draft.local_name)
    aliases = typed_list(text(PARK_ALIASES, draft.aliases))
    country = resolved(resolve_country, draft.country)
    region = resolved(resolve_region, draft.region)
    city = text(PARK_CITY, draft.city)
    established = _year(draft.established, this_year, problems)
    # Focus industries: typed in any language, kept in English; the English list must fit too.
    focus = typed_list(text(PARK_FOCUS, resolve_focus(text(PARK_FOCUS, draft.focus))))
    unknown = [item for item in focus if item not in FOCUS_VOCABULARY]
    if unknown:
        problems.append(
            Message.of(
                _("unknown focus {focus} (known: {known})"),
                focus=Listing.of(quoted(item) for item in unknown),
                known=Listing.labels(FOCUS_VOCABULARY),
            )
        )
    website, source = text(WEBSITE, draft.website), text(SOURCE, draft.source)
    if website and not _is_url(website):
        problems.append(Message.of(_("website '{url}' is not an http(s) URL"), url=quoted(website)))
    if source and not _is_url(source):
        problems.append(Message.of(_("source '{url}' is not an http(s) URL"), url=quoted(source)))
    description = text(PARK_DESCRIPTION, draft.description)
    if problems:
        return DraftCheck(None, tuple(problems))
    record = ParkRecord(
        slug=slug or slugify(name),
        name=name,
        country=country,
        region=region,
        local_name=local_name,
        aliases=aliases,
        city=city,
        established=established,
        focus=focus,
        website=website,
        description=description,
        source=source,
        cisip_member=bool(draft.cisip_member),
    )
    return DraftCheck(record)


def _year(typed: str, this_year: int, problems: list[Message]) -> int | None:
    """The founding year typed (None when left empty), checked by bot.fields.PARK_ESTABLISHED and
    no later than this year."""
    year = one_line(half_width(typed[:40])) if isinstance(typed, str) else ""
    if not year:
        return None
    last = min(this_year, PARK_ESTABLISHED.max_value)
    value: int | None = None
    if _YEAR_RE.fullmatch(year):
        try:
            value = PARK_ESTABLISHED.check(int(year))
        except DomainError:
            value = None
    if value is not None and value <= last:
        return value
    problems.append(
        Message.of(
            _("established '{year}' is not a year between {first} and {last}"),
            year=quoted(year, 40),
            first=PARK_ESTABLISHED.min_value,
            last=last,
        )
    )
    return None


@dataclass
class CsvCheck:
    records: list[ParkRecord] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def read_csv(text: str, this_year: int, *, progress: Any = None) -> CsvCheck:
    """Validate a whole CSV file the way staff input is validated (:func:`check_draft`): every
    row's problems with its line number, or the records."""
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
            checked = check_draft(draft, this_year)
            problems = [p.localize(DEFAULT_LANGUAGE) for p in checked.problems]
            if checked.record is not None:
                slug = checked.record.slug
                if slug in seen:
                    problems.append(f"slug {slug!r} is already on line {seen[slug]}")
                seen.setdefault(slug, line)
            check.problems.extend((line, p) for p in problems)
            if not problems and checked.record is not None:
                check.records.append(checked.record)
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

    async def seed(self, path: Traversable = SEED_CSV) -> SeedResult:
        """Add the shipped parks; refresh the ones staff never touched; never undo a staff change."""
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        check = read_csv(text, self.clock.now().year)
        if check.problems:
            line, reason = check.problems[0]
            raise ValueError(f"{path}: line {line}: {reason}")
        now = self.clock.now()
        added = updated = kept = 0
        async with self.db.transaction() as session:
            await hold(session, DIRECTORY)
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

    async def seed_once(self) -> SeedResult | None:
        """:meth:`seed` a directory that was never seeded (no park ever came from the shipped file,
        even one staff removed since). None when it was seeded before."""
        async with self.db.session() as session:
            seeded = await session.scalar(select(Park.slug).where(Park.origin == "seed").limit(1))
        return await self.seed() if seeded is None else None

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
        """Parks matching ``query`` best first; "No park matches" with suggestions when none do.
        Every text is cleaned by its field (``bot.fields``) first."""
        query = clean(PARK_QUERY, query)
        code = resolve_country(country) if country is not None else None
        region = resolve_region(region) if region is not None else None
        focus_text = FOCUS_TEXT.clean_optional(focus)
        focus_key = normalise(focus_text) if focus_text is not None else None

        def where(doc: ParkDoc) -> bool:
            return (
                (code is None or doc.country == code)
                and (region is None or doc.region == region)
                and (focus_key is None or any(focus_key in name for f in doc.focus for name in names_of(f)))
            )

        filtered = code is not None or region is not None or focus_key is not None
        hits = self.index.search(query, limit=limit, where=where if filtered else None)
        if not hits:
            raise self._no_match(query)
        return [self.records[hit.slug] for hit in hits]

    def _no_match(self, query: str) -> NotFound:
        """ "No park matches 'X'", with the closest names when there are any."""
        suggestions = [self.records[s].name for s in self.index.suggest(query)]
        if suggestions:
            return NotFound(
                _("No park matches '{query}'. Closest: {suggestions}."),
                query=quoted(query),
                suggestions=Listing.of(suggestions, separator=_("; ")),
            )
        return NotFound(_("No park matches '{query}'."), query=quoted(query))

    def autocomplete(self, text: str, limit: int = 25) -> list[ParkRecord]:
        """The parks to offer for what is being typed (any text: never refused)."""
        text = typing(text, PARK_REFERENCE)
        if not text:
            return list(self.records.values())[:limit]
        return [self.records[hit.slug] for hit in self.index.search(text, limit=limit)]

    def get(self, slug: str) -> ParkRecord:
        """A listed park by its slug (a Share button's, a staff change's)."""
        found = self.records.get(slug) if isinstance(slug, str) else None
        if found is None:
            raise NotFound(_("No park matches '{query}'."), query=quoted(str(slug)))
        return found

    def find(self, typed: str) -> ParkRecord:
        """The park a /park option names, whatever was sent: a slug (what autocomplete sends), a
        name, local name or alias typed without picking, or a name close enough to one; else
        "No park matches 'X'. Closest: ..." (text of any size: it is cleaned and quoted cut)."""
        raw = typed if isinstance(typed, str) else str(typed)
        found = self.records.get(raw.strip())
        if found is not None:
            return found
        text = canonical_text(raw[: PARK_REFERENCE.max_length * 4])
        if not text:
            PARK_REFERENCE.clean(text)  # "The park cannot be empty."
        if len(text) > PARK_REFERENCE.max_length:
            raise NotFound(_("No park matches '{query}'."), query=quoted(text))
        found = self.records.get(text)
        if found is not None:
            return found
        hits = self.index.search(text, limit=1)
        if hits and (hits[0].tier != FUZZY or hits[0].score >= CONFIDENT):
            return self.records[hits[0].slug]
        raise self._no_match(text)

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
        q = typing(text, FOCUS_TEXT).casefold()
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
        """A staff draft as a record (every field cleaned, see :func:`check_draft`), or a DomainError
        listing everything that is wrong."""
        checked = check_draft(draft, self.clock.now().year)
        if checked.record is None:
            raise DomainError(
                _("This park cannot be saved:\n{problems}"),
                problems=Listing.of(checked.problems, bullets=True),
            )
        return checked.record

    def check_options(self, draft: ParkDraft) -> None:
        """Refuse a draft's command options before the form opens (the form asks for the name)."""
        self.validate(replace(draft, name=draft.name or "-"))

    def with_options(
        self,
        draft: ParkDraft,
        *,
        country: str | None = None,
        region: str | None = None,
        city: str | None = None,
        established: int | None = None,
        website: str | None = None,
        source: str | None = None,
        cisip_member: bool | None = None,
    ) -> ParkDraft:
        """``draft`` with the slash command's options that were given (not None) in place of its
        fields, checked before the form opens: an option given with nothing visible in it is
        refused (it never clears a field), as is anything :meth:`validate` refuses."""
        changed = replace(draft)
        for name, value, text_field in (
            ("country", country, COUNTRY_TEXT),
            ("region", region, REGION_TEXT),
            ("city", city, PARK_CITY),
            ("website", website, WEBSITE),
            ("source", source, SOURCE),
        ):
            if value is not None:
                setattr(changed, name, clean(text_field, value))
        if established is not None:
            changed.established = str(PARK_ESTABLISHED.check(established))
        if cisip_member is not None:
            changed.cisip_member = cisip_member
        self.check_options(changed)
        return changed

    async def add(self, draft: ParkDraft) -> ParkRecord:
        record = self.validate(draft)
        now = self.clock.now()
        async with self.db.transaction() as session:
            await hold(session, DIRECTORY)
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
            await hold(session, DIRECTORY)
            row = await session.scalar(select(Park).where(Park.slug == current.slug))
            if row is None or row.removed_at is not None:
                raise NotFound(_("No park matches '{query}'."), query=quoted(slug))
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
                raise NotFound(_("No park matches '{query}'."), query=quoted(slug))
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
            await hold(session, DIRECTORY)
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
