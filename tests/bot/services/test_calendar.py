"""The calendar service and message templates, on every database backend."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.db.database import Database
from bot.errors import DomainError, NotFound
from bot.scheduler import JobContext, MovableClock, Scheduler
from bot.services.calendar import (
    BUILTINS,
    ENTRY_KIND,
    CalendarService,
    check_schedule,
    entry_key,
    parse_time,
)
from bot.services.templates import check_template, placeholders_in, render

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ALLOWED = ("year", "edition", "server", "date")


def test_templates_accept_known_placeholders_and_literal_braces() -> None:
    text = check_template("  {server} turns {edition} in {year} {{not a placeholder}}  ", ALLOWED)
    assert placeholders_in(text) == ["server", "edition", "year"]
    assert render(text, {"server": "CISIP", "edition": 8, "year": 2027}) == (
        "CISIP turns 8 in 2027 {not a placeholder}"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{name}", "Unknown placeholder {name}: you can use {date}, {edition}, {server}, and {year}."),
        ("{year} {a} {b}", "Unknown placeholder {a} and {b}: you can use"),
        ("oops {", "The message has an unmatched brace."),
        ("oops }", "The message has an unmatched brace."),
        ("{}", "'{}' is not a placeholder"),
        ("{0}", "'{0}' is not a placeholder"),
        ("{year!r}", "'{year!r}' is not a placeholder"),
        ("{year:>9}", "'{year:>9}' is not a placeholder"),
        ("{server.__class__}", "'{server.__class__}' is not a placeholder"),
        ("   ", "The message is empty."),
    ],
)
def test_bad_templates_are_refused_with_a_clear_message(template: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_template(template, ALLOWED)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(("text", "expected"), [("09:30", (9, 30)), ("9:05", (9, 5)), (" 23.59 ", (23, 59))])
def test_times_are_parsed(text: str, expected: tuple[int, int]) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "noon", "0930", "", "9:5"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(DomainError, match="is not a time of day"):
        parse_time(text)


def test_schedules_refuse_impossible_dates_and_unknown_zones() -> None:
    with pytest.raises(DomainError, match="February has no day 30"):
        check_schedule(2, 30, "09:00", "UTC")
    with pytest.raises(DomainError, match="Unknown time zone"):
        check_schedule(2, 28, "09:00", "Europe/Atlantis")
    schedule = check_schedule(2, 29, "09:00", "asia/shanghai").describe()
    assert schedule.localize("en") == "Feb 29 09:00 Asia/Shanghai"


def test_schedules_are_described_in_the_readers_language() -> None:
    schedule = check_schedule(3, 15, "9:05", "Europe/Berlin").describe()
    assert schedule.localize("en") == "Mar 15 09:05 Europe/Berlin"
    assert schedule.localize("zh-CN") == "3月15日 09:05（Europe/Berlin）"


def test_the_built_in_cycles() -> None:
    assert list(BUILTINS) == [
        "anniversary",
        "membership-renewal",
        "workshop-call",
        "report-call",
        "report-release",
    ]
    assert (BUILTINS["anniversary"].month, BUILTINS["anniversary"].day) == (5, 26)
    assert BUILTINS["membership-renewal"].kind == "membership.sweep"
    assert BUILTINS["membership-renewal"].daily


async def service_on(database: Database, clock: MovableClock) -> CalendarService:
    return CalendarService(database, Scheduler(database, clock), clock)


async def test_add_edit_and_remove_keep_the_recurrence_in_step(database: Database) -> None:
    clock = MovableClock(START, ticking=False)
    service = await service_on(database, clock)
    schedule = check_schedule(3, 20, "09:00", "Europe/Berlin")
    entry = await service.add(1, name="  Spring   day ", schedule=schedule, channel_id=5, template="{year}")
    assert entry.name == "Spring day" and entry.first_year == 2027
    assert await service.next_at(entry) == datetime(2027, 3, 20, 8, tzinfo=UTC)  # CET

    with pytest.raises(DomainError, match="already a calendar entry called 'SPRING DAY'"):
        await service.add(1, name="SPRING DAY", schedule=schedule, channel_id=5, template="x")
    await service.add(2, name="Spring day", schedule=schedule, channel_id=5, template="x")  # other server

    moved = await service.edit(1, "spring day", schedule=check_schedule(4, 2, "09:00", "Europe/Berlin"))
    assert await service.next_at(moved) == datetime(2027, 4, 2, 7, tzinfo=UTC)  # CEST
    assert await service.names(1, "spr") == ["Spring day"]

    await service.set_enabled(1, "Spring day", False)
    assert await service.next_at(moved) is None
    await service.set_enabled(1, "Spring day", True)
    assert await service.next_at(moved) == datetime(2027, 4, 2, 7, tzinfo=UTC)

    await service.remove(1, "Spring day")
    with pytest.raises(NotFound):
        await service.get(1, "Spring day")
    assert await service.scheduler.next_occurrence(entry_key(1, entry.id)) is None
    assert [view.entry.guild_id for view in await service.entries(2)] == [2]


async def test_two_processes_on_one_database_deliver_each_occurrence_once(database: Database) -> None:
    """Two bot processes (two engines, two schedulers) race for the same occurrences."""
    clock = MovableClock(START, ticking=False)
    setup = await service_on(database, clock)
    for guild in range(1, 21):
        await setup.add(
            guild,
            name="Anniversary",
            schedule=check_schedule(5, 26, "09:00", "Asia/Shanghai"),
            channel_id=guild * 10,
            template="{server} {year} #{edition}",
        )
    delivered: Counter[tuple[str, str]] = Counter()
    other = Database(database.url)
    processes = []
    try:
        for name, db in (("first", database), ("second", other)):
            scheduler = Scheduler(db, clock, instance_id=name)
            service = CalendarService(db, scheduler, clock)

            async def handler(context: JobContext, service: CalendarService = service) -> None:
                delivery = await service.delivery_for(context, f"guild {context.payload['guild_id']}")
                assert delivery is not None
                delivered[(render(delivery.template, delivery.values), context.payload["occurrence"])] += 1
                await asyncio.sleep(0)

            scheduler.register(ENTRY_KIND, handler)
            processes.append(scheduler)
        for year in (2027, 2028):
            clock.set(datetime(year, 5, 26, 1, 0, 30, tzinfo=UTC))  # 09:00:30 in Shanghai
            # Both start up (re-creating missing occurrences) and run what is due, at once.
            await asyncio.gather(*(p.sync_recurrences() for p in processes))
            await asyncio.gather(*(p.run_due() for p in processes))
            await asyncio.gather(*(p.run_due() for p in processes))
    finally:
        await other.dispose()

    assert len(delivered) == 40
    assert set(delivered.values()) == {1}
    assert ("guild 7 2028 #2", "2028-05-26T01:00:00+00:00") in delivered


async def test_a_finished_entry_is_paused_for_good(database: Database) -> None:
    clock = MovableClock(START, ticking=False)
    service = await service_on(database, clock)
    with pytest.raises(DomainError, match=r"The last year \(2026\) is before the next occurrence, in 2027"):
        await service.add(
            1,
            name="X",
            schedule=check_schedule(5, 1, "09:00", "UTC"),
            channel_id=1,
            template="x",
            last_year=2026,
        )
    entry = await service.add(
        1, name="X", schedule=check_schedule(5, 1, "09:00", "UTC"), channel_id=1, template="x", last_year=2027
    )
    delivery = service.entry_delivery(entry, datetime(2027, 5, 1, 9, tzinfo=UTC), "S")
    assert delivery.last
    await service.finish(entry.id)
    assert not (await service.get(1, "X")).enabled
    assert await service.next_at(entry) is None
    clock.advance(timedelta(days=400))
    await service.scheduler.sync_recurrences()
    assert await service.next_at(entry) is None
