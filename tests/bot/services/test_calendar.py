"""The calendar service and message templates, on every database backend."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.db.database import Database
from bot.db.models_calendar import CalendarEntry
from bot.errors import DomainError, NotFound
from bot.scheduler import JobContext, MovableClock, Scheduler
from bot.services.calendar import (
    BUILTINS,
    ENTRY_KIND,
    CalendarService,
    Target,
    check_schedule,
    entry_key,
    parse_time,
)
from bot.services.guild_settings import GuildSettingsService
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


async def test_the_duplicate_check_before_the_message_sees_every_entry(database: Database) -> None:
    """``/calendar add`` refuses a taken name before the form opens. It used to look among the 25
    names the autocomplete offers, where 25 others sorting first could hide the clash until the
    message was written."""
    clock = MovableClock(START, ticking=False)
    service = await service_on(database, clock)
    schedule = check_schedule(5, 1, "09:00", "UTC")
    await service.add(1, name="Spring", schedule=schedule, channel_id=1, template="x")
    for n in range(25):
        await service.add(1, name=f"SPRING {n:02d}", schedule=schedule, channel_id=1, template="x")
    with pytest.raises(DomainError, match="already a calendar entry called 'spring'"):
        await service.check_new(1, name="  spring ", month=5, day=1, time="09:00")
    with pytest.raises(DomainError, match="A name has 1 to 100 characters"):
        await service.check_new(1, name="   ", month=5, day=1, time="09:00")
    with pytest.raises(DomainError, match=r"The last year \(2026\) is before the next occurrence"):
        await service.check_new(1, name="Autumn", month=5, day=1, time="09:00", last_year=2026)

    new = await service.check_new(2, name=" Spring  day ", month=3, day=20, time="9:00", last_year=2030)
    assert (new.name, new.schedule.timezone, new.last_year) == ("Spring day", "UTC", 2030)
    await service.guild_settings.set_timezone(2, "Europe/Berlin")
    assert (await service.check_new(2, name="X", month=3, day=20, time="9:00")).schedule.timezone == (
        "Europe/Berlin"
    )


async def test_a_builtin_cycle_posts_where_the_server_says_and_pings_staff_only_when_it_should(
    database: Database,
) -> None:
    """One answer for ``/calendar builtin``'s check and for the post: the channel set for the
    cycle's purpose, and the staff role for the staff reminder only."""
    clock = MovableClock(START, ticking=False)
    settings = GuildSettingsService(database, clock)
    service = CalendarService(database, Scheduler(database, clock), clock, guild_settings=settings)
    release, anniversary = BUILTINS["report-release"], BUILTINS["anniversary"]

    unset = await service.builtin_target(1, release)
    assert unset == Target(channel_id=None, role_id=None, purpose="audit")
    assert str(unset.channel_missing("x")) == (
        "Set the Audit log channel with /setup channel first: this cycle posts there."
    )
    await settings.set_channel(1, "audit", 11)
    await settings.set_channel(1, "announcements", 12)
    await settings.set_role(1, "staff", 21)
    assert await service.builtin_target(1, release) == Target(11, 21, "audit")
    assert await service.builtin_target(1, anniversary) == Target(12, None, "announcements")
    assert await service.builtin_target(1, BUILTINS["membership-renewal"]) is None

    await settings.set_timezone(1, "Asia/Shanghai")  # a cycle without a zone of its own takes the server's
    assert {view.timezone for view in await service.builtins(1)} == {"Asia/Shanghai"}
    view = await service.set_builtin(1, "report-release", True)
    assert view.timezone == "Asia/Shanghai"
    assert view.next_at == datetime(2027, 12, 1, 1, tzinfo=UTC)
    payload = {"guild_id": 1, "builtin": "report-release"}
    context = JobContext(1, "calendar.builtin", payload, view.next_at, view.next_at, 1, False)
    delivery = await service.delivery_for(context, "CISIP")
    assert delivery is not None and delivery.target == Target(11, 21, "audit")
    assert delivery.values["year"] == 2027 and delivery.translate
    await settings.set_timezone(1, "UTC")  # the cycle keeps the zone it was switched on in
    assert (await service.builtin(1, "report-release")).timezone == "Asia/Shanghai"


def test_an_entry_whose_channel_is_gone_says_to_choose_another() -> None:
    assert str(Target(channel_id=5).channel_missing("Spring")) == (
        "The channel of 'Spring' no longer exists: choose another with /calendar edit."
    )


def test_an_edit_changes_only_the_parts_of_the_schedule_given() -> None:
    entry = CalendarEntry(month=3, day=15, hour=9, minute=0, timezone="Europe/Berlin")
    assert CalendarService.changed_schedule(entry) is None
    moved = CalendarService.changed_schedule(entry, time="18:30")
    assert moved is not None and moved.describe().localize("en") == "Mar 15 18:30 Europe/Berlin"
    with pytest.raises(DomainError, match="April has no day 31"):
        CalendarService.changed_schedule(entry, month=4, day=31)
