"""Park directory benchmark: search and autocomplete latency, CSV import time.

    python bench/parks_bench.py [--sizes 1000,10000,100000] [--queries 400] [--database-url URL]

For the real directory (bot/seed/parks.csv) and for 1,000 / 10,000 / 100,000 synthetic parks (plus the
real ones mixed in), it imports a CSV the way ``cisip-bot parks import`` does (validate, write in one
transaction, rebuild the index), then times ``ParkService.search`` (what /park search runs) and
``ParkService.autocomplete`` (what every keystroke in /park info runs) per query: exact names,
prefixes, typos, aliases, words inside names, Chinese names and misses (which also compute
suggestions). Target (DESIGN.md): p95 at most 10 ms per query at 100,000 parks.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.errors import NotFound
from bot.scheduler import Clock
from bot.services.parks import (
    FOCUS_VOCABULARY,
    REGIONS,
    SEED_CSV,
    ParkRecord,
    ParkService,
    read_csv,
    slugify,
    write_csv,
)

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "zhu",
    "an",
    "tek",
    "no",
    "sa",
    "vi",
    "ra",
    "bel",
    "gor",
    "dun",
    "shan",
    "hai",
    "qing",
    "ta",
    "ri",
    "po",
    "len",
    "mar",
    "sol",
    "ven",
    "tor",
    "kas",
    "bor",
    "lin",
    "fe",
    "du",
    "ro",
    "na",
    "ki",
    "ya",
    "mo",
    "he",
    "wu",
    "xi",
    "jin",
    "tai",
    "lu",
    "ban",
    "chi",
    "dor",
    "nik",
    "ast",
    "ul",
    "ber",
    "gen",
    "sk",
    "al",
    "om",
]
KINDS = (
    "Science Park",
    "Technopark",
    "Innovation Centre",
    "Hi-Tech Zone",
    "Research Park",
    "Technology Park",
    "Innovation District",
    "Technopolis",
    "Software Park",
    "Digital Valley",
)
HANZI = "中关村张江高新技术产业园区科学城创新谷软件数字光电生物医药东西南北湖山海港"
COUNTRIES = ("CN", "KZ", "UZ", "RU", "TH", "MY", "ID", "VN", "TR", "PL", "HU", "EG", "KE", "AE", "IR", "RS")


def place(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic(n: int, rng: random.Random, taken: set[str]) -> list[ParkRecord]:
    records = []
    while len(records) < n:
        city = place(rng)
        words = [city] + ([place(rng)] if rng.random() < 0.3 else [])
        name = " ".join(words) + " " + rng.choice(KINDS)
        slug = slugify(name)
        if slug in taken or normalise_name(name) in taken:
            continue
        taken.update({slug, normalise_name(name)})
        initials = "".join(w[0] for w in name.split()).upper()
        records.append(
            ParkRecord(
                slug=slug,
                name=name,
                country=rng.choice(COUNTRIES),
                region=rng.choice(REGIONS),
                local_name="".join(rng.choice(HANZI) for _ in range(rng.randint(4, 8)))
                if rng.random() < 0.3
                else "",
                aliases=(initials, f"{city} Park") if rng.random() < 0.5 else (),
                city=city,
                established=rng.randint(1950, 2024),
                focus=tuple(rng.sample(FOCUS_VOCABULARY, 2)),
                website=f"https://{slug[:40]}.example.org/",
                description=f"A technology park in {city}.",
                source=f"https://{slug[:40]}.example.org/about",
            )
        )
    return records


def normalise_name(name: str) -> str:
    return name.casefold()


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 5:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]  # deletion
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposition
    return text[:i] + rng.choice("aeiourstn") + text[i + 1 :]  # substitution


def queries(records: list[ParkRecord], count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        park = rng.choice(records)
        kind = rng.randrange(7)
        if kind == 0:
            out.append(park.name)
        elif kind == 1:
            out.append(park.name[: max(3, len(park.name) * 3 // 5)])
        elif kind == 2:
            out.append(typo(park.name.lower(), rng))
        elif kind == 3:
            out.append(park.aliases[0] if park.aliases else park.city)
        elif kind == 4:
            out.append(" ".join(park.name.split()[1:]) or park.name)
        elif kind == 5:
            out.append(park.local_name[:3] if park.local_name else typo(park.city, rng))
        else:
            out.append(place(rng) + " " + place(rng) + " xq")  # mostly misses
    return out


def timed(fn: Callable[[str], object], items: list[str]) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        with contextlib.suppress(NotFound):
            fn(item)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):6.2f} ms  p95 {p95:6.2f} ms  max {ordered[-1]:6.2f} ms"


async def database_for(url: str | None, workdir: Path, label: str) -> Database:
    if url is None:
        database = Database(f"sqlite+aiosqlite:///{workdir / f'bench-{label}.sqlite3'}")
    else:
        from sqlalchemy import text

        database = Database(normalise_database_url(url, workdir))
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(database)
    return database


async def run_one(
    label: str, records: list[ParkRecord], n_queries: int, url: str | None, workdir: Path
) -> None:
    rng = random.Random(7)
    csv_text = write_csv(records)
    database = await database_for(url, workdir, label)
    service = ParkService(database, Clock())
    start = time.perf_counter()
    check = read_csv(csv_text, 2026)
    validated = time.perf_counter()
    assert not check.problems, check.problems[:3]
    await service.import_records(check.records)  # writes in one transaction, then rebuilds the index
    imported = time.perf_counter()
    await service.load()
    loaded = time.perf_counter()
    await database.dispose()
    print(
        f"{label:>8} parks={len(service.records):>6}  import: validate {validated - start:5.2f} s, "
        f"write+index {imported - validated:5.2f} s, total {imported - start:5.2f} s; "
        f"reload+index at start-up {loaded - imported:5.2f} s"
    )
    items = queries(records, n_queries, rng)
    for q in items[:20]:  # warm-up
        with contextlib.suppress(NotFound):
            service.search(q)
    print(f"{'':>8} search       ({len(items)} queries)  {summary(timed(service.search, items))}")
    typed = []
    for q in items:
        typed.extend(q[:k] for k in range(1, min(len(q), 12) + 1, 3))
    print(f"{'':>8} autocomplete ({len(typed)} keystrokes) {summary(timed(service.autocomplete, typed))}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    real = read_csv(SEED_CSV.read_text(encoding="utf-8"), 2026).records
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        await run_one("real", list(real), args.queries, args.database_url, workdir)
        for size in (int(s) for s in args.sizes.split(",") if s):
            rng = random.Random(size)
            taken = {r.slug for r in real} | {normalise_name(r.name) for r in real}
            records = [*real, *synthetic(size, rng, taken)]
            await run_one(str(size), records, args.queries, args.database_url, workdir)


if __name__ == "__main__":
    asyncio.run(main())
