"""The calendar service and message templates, on every database backend."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models_calendar import CalendarEntry
from bot.errors import DomainError, NotFound
from bot.scheduler import JobContext, MovableClock, Scheduler
from bot.services.calendar import (
    BUILTINS,
    ENTRY_KIND,
    CalendarService,
    Target,
    check_message,
    check_schedule,
    entry_key,
    parse_time,
)
from bot.services.guild_settings import GuildSettingsService
from bot.services.templates import check_placeholders, placeholders_in, render

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ALLOWED = ("year", "edition", "server", "date")


def test_templates_accept_known_placeholders_and_literal_braces() -> None:
    text = check_message("  {server} turns {edition} in {year} {{not a placeholder}}  ")
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
        ("   ", "The message cannot be empty."),
        ("\u200b\u200b\n\u3164", "The message cannot be empty."),
        ("x" * 1801, "The message can be at most 1,800 characters long, not 1,801."),
    ],
)
def test_bad_templates_are_refused_with_a_clear_message(template: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_message(template)
    assert str(refused.value).startswith(message)


def test_placeholders_are_checked_on_their_own() -> None:
    check_placeholders("{year} {{literal}}", ALLOWED)
    with pytest.raises(DomainError, match="Unknown placeholder"):
        check_placeholders("{nope}", ALLOWED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", (9, 30)),
        ("9:05", (9, 5)),
        (" 23.59 ", (23, 59)),
        ("\u200b09:30\x00", (9, 30)),
        ("9：30", (9, 30)),
    ],
)
def test_times_are_parsed(text: str, expected: tuple[int, int]) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "noon", "0930", "9:5", "\u202e00:90"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(DomainError, match="is not a time of day"):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The time cannot be empty."),
        ("\u200b\u200b", "The time cannot be empty."),
        ("9" * 6000, "The time can be at most 10 characters long, not 6,000."),
    ],
)
def test_times_with_nothing_to_read_are_refused_as_a_field(text: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_time(text)
    assert str(refused.value) == message


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
    with pytest.raises(NotFound, match="No calendar entry matches 'Spring day'"):
        await service.find(1, "Spring day")
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
    assert not (await service.find(1, "X")).enabled
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
    with pytest.raises(DomainError, match="The name cannot be empty"):
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


# -- hostile input: every piece of text is cleaned by its field, every number checked ------------

HOSTILE_NAMES = [
    ("\u200b\u200b\u200b", "The name cannot be empty."),  # zero-width spaces only
    ("\u3164\u3164", "The name cannot be empty."),  # Hangul filler: looks blank
    ("\u202e\u202d\x00", "The name cannot be empty."),  # bidi overrides and NUL
    ("x" * 6000, "The name can be at most 100 characters long, not 6,000."),
]


async def stored_entries(database: Database) -> list[CalendarEntry]:
    async with database.session() as session:
        return list((await session.scalars(select(CalendarEntry))).all())


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
async def test_invisible_and_oversized_names_are_refused_and_nothing_is_stored(
    database: Database, name: str, message: str
) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    schedule = check_schedule(5, 1, "09:00", "UTC")
    with pytest.raises(DomainError) as before_the_form:
        await service.check_new(1, name=name, month=5, day=1, time="09:00")
    with pytest.raises(DomainError) as on_save:
        await service.add(1, name=name, schedule=schedule, channel_id=5, template="x")
    assert str(before_the_form.value) == str(on_save.value) == message
    entry = await service.add(1, name="Spring", schedule=schedule, channel_id=5, template="x")
    with pytest.raises(DomainError, match=message):
        await service.edit(1, "Spring", new_name=name)
    with pytest.raises(DomainError, match=message):
        await service.check_edit(1, entry, new_name=name)
    assert [row.name for row in await stored_entries(database)] == ["Spring"]
    assert await service.scheduler.pending_count() == 1


async def test_names_and_messages_are_kept_as_people_see_them(database: Database) -> None:
    """NUL, zero-width and direction characters never reach the database; the text around them does."""
    service = await service_on(database, MovableClock(START, ticking=False))
    entry = await service.add(
        1,
        name="\u202eSpr\x00ing\u200b  day\t",
        schedule=check_schedule(5, 1, "09:00", "UTC"),
        channel_id=5,
        template="  Hello\x00 {server}\u200b!\r\n\r\n\r\n\r\nSee you\u202e in {year}.  ",
    )
    [row] = await stored_entries(database)
    assert (row.name, entry.name) == ("Spring day", "Spring day")
    assert row.template == "Hello {server}!\n\nSee you in {year}."
    edited = await service.edit(1, "spring day", template="Bye\x00 {year}", new_name="Autumn\x00")
    assert (edited.name, edited.template) == ("Autumn", "Bye {year}")


@pytest.mark.parametrize(
    "template",
    ["\u200b\u200b", "\x00\x00\x00", "\u3164", "x" * 6000, "{year} " * 300],
)
async def test_a_message_with_nothing_visible_or_too_long_is_refused_and_nothing_is_stored(
    database: Database, template: str
) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    schedule = check_schedule(5, 1, "09:00", "UTC")
    with pytest.raises(DomainError, match=r"The message (cannot be empty|can be at most 1,800 characters)"):
        await service.add(1, name="Spring", schedule=schedule, channel_id=5, template=template)
    assert await stored_entries(database) == []
    await service.add(1, name="Spring", schedule=schedule, channel_id=5, template="Kept")
    with pytest.raises(DomainError, match="The message"):
        await service.edit(1, "Spring", template=template)
    assert [row.template for row in await stored_entries(database)] == ["Kept"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"last_year": 2**64}, "The last year must be from 2000 to 2200."),
        ({"last_year": -1}, "The last year must be from 2000 to 2200."),
        ({"month": 13}, "The month must be from 1 to 12."),
        ({"month": 10**30}, "The month must be from 1 to 12."),
        ({"day": 0}, "The day must be from 1 to 31."),
        ({"day": float("nan")}, "The day must be a whole number."),
        ({"time": "\u200b"}, "The time cannot be empty."),
        ({"timezone": "Europe/Berlin" * 500}, "The time zone can be at most 64 characters long, not 6,500."),
        ({"timezone": "\u200b\x00"}, "The time zone cannot be empty."),
    ],
)
async def test_numbers_and_zones_out_of_bounds_are_refused_cleanly(
    database: Database, options: dict[str, Any], message: str
) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    values: dict[str, Any] = {"name": "Spring", "month": 5, "day": 1, "time": "09:00", **options}
    with pytest.raises(DomainError) as refused:
        await service.check_new(1, **values)
    assert str(refused.value) == message
    assert await stored_entries(database) == []


async def test_an_oversized_last_year_or_id_is_refused_on_save_and_on_edit(database: Database) -> None:
    """The gate refuses these options; the service, which the CLI and imports call too, checks again."""
    service = await service_on(database, MovableClock(START, ticking=False))
    schedule = check_schedule(5, 1, "09:00", "UTC")
    with pytest.raises(DomainError, match="The last year must be from 2000 to 2200"):
        await service.add(1, name="X", schedule=schedule, channel_id=5, template="x", last_year=2**64)
    with pytest.raises(DomainError, match="The channel must be from 1 to"):
        await service.add(1, name="X", schedule=schedule, channel_id=2**64, template="x")
    with pytest.raises(DomainError, match="The role must be from 1 to"):
        await service.add(1, name="X", schedule=schedule, channel_id=5, template="x", role_id=2**63)
    assert await stored_entries(database) == []
    entry = await service.add(1, name="X", schedule=schedule, channel_id=5, template="x")
    with pytest.raises(DomainError, match="The last year must be from 2000 to 2200"):
        await service.edit(1, "X", last_year=2**64)
    with pytest.raises(DomainError, match="The last year must be from 2000 to 2200"):
        await service.check_edit(1, entry, last_year=2**64)
    with pytest.raises(DomainError, match="The role must be from 1 to"):
        await service.edit(1, "X", role_id=2**64)
    [row] = await stored_entries(database)
    assert (row.last_year, row.role_id) == (None, None)


async def test_a_zone_with_invisible_characters_is_the_zone(database: Database) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    new = await service.check_new(
        1, name="X", month=5, day=1, time="09:00", timezone="\u200beurope/berlin\x00 "
    )
    assert new.schedule.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Autumn", "Autumn"),
        ("99999999999999999999999999999", "99999999999999999999999999999"),
        ("1", "1"),  # an entry's id is not its name
        ("\u200b\u200b", ""),
        ("\x00Spr\u202eing\x00 x", "Spring x"),
        ("y" * 6000, "y" * 99 + "…"),
    ],
)
async def test_a_name_that_names_no_entry_is_one_clear_refusal(
    database: Database, typed: str, shown: str
) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    await service.add(
        1, name="Spring", schedule=check_schedule(5, 1, "09:00", "UTC"), channel_id=5, template="x"
    )
    await service.add(
        2, name="Autumn", schedule=check_schedule(5, 1, "09:00", "UTC"), channel_id=5, template="x"
    )
    with pytest.raises(NotFound) as refused:
        await service.find(1, typed)
    assert str(refused.value) == f"No calendar entry matches '{shown}'."
    for call in (service.set_enabled(1, typed, False), service.remove(1, typed), service.edit(1, typed)):
        with pytest.raises(NotFound):
            await call


async def test_an_entry_is_found_by_its_name_however_it_is_written(database: Database) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    schedule = check_schedule(5, 1, "09:00", "UTC")
    entry = await service.add(1, name="Ärger Day", schedule=schedule, channel_id=5, template="x")
    for typed in ("Ärger Day", "ärger day", "  ÄRGER\u200b   DAY ", "\x00ärger day"):
        assert (await service.find(1, typed)).id == entry.id
    assert await service.names(1, "ä") == ["Ärger Day"]
    assert await service.names(1, "\u200bDAY") == ["Ärger Day"]
    # Letter case is Unicode's on every database (SQLite's lower() knows only ASCII).
    with pytest.raises(DomainError, match="already a calendar entry called 'ÄRGER DAY'"):
        await service.add(1, name="ÄRGER DAY", schedule=schedule, channel_id=5, template="x")
    with pytest.raises(DomainError, match="already a calendar entry called 'ärger day'"):
        await service.check_new(1, name="ärger day", month=5, day=1, time="09:00")
    other = await service.add(1, name="Other", schedule=schedule, channel_id=5, template="x")
    with pytest.raises(DomainError, match="already a calendar entry called 'ärger DAY'"):
        await service.check_edit(1, other, new_name="ärger DAY")
    renamed = await service.edit(1, "ärger day", new_name="ÄRGER DAY")  # its own name, in other letters
    assert renamed.name == "ÄRGER DAY"


async def test_preview_and_run_now_render_the_next_occurrence(database: Database) -> None:
    """One answer for what an entry posts outside its schedule: the next occurrence's year, edition
    and date (run-now used to render today: the year before, edition 0)."""
    clock = MovableClock(START, ticking=False)  # 1 March 2027: 10 January has passed this year
    service = await service_on(database, clock)
    entry = await service.add(
        1,
        name="New year",
        schedule=check_schedule(1, 10, "09:00", "UTC"),
        channel_id=5,
        template="{year} {edition} {date}",
    )
    due = datetime(2028, 1, 10, 9, tzinfo=UTC)
    delivery = await service.next_delivery(entry, "CISIP")
    assert delivery.values == {"year": 2028, "edition": 1, "server": "CISIP", "date": due}
    assert delivery.due_at == due
    assert render(delivery.template, delivery.values) == "2028 1 Jan 10, 2028"

    paused = await service.set_enabled(1, "New year", False)  # no pending occurrence: the schedule says
    assert (await service.next_delivery(paused, "CISIP")).values["date"] == due
    clock.set(datetime(2028, 1, 10, 9, 30, tzinfo=UTC))
    assert (await service.next_delivery(paused, "CISIP")).values == {
        "year": 2029,
        "edition": 2,
        "server": "CISIP",
        "date": datetime(2029, 1, 10, 9, tzinfo=UTC),
    }


async def test_an_edit_clearing_the_last_year_may_move_past_it(database: Database) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    await service.add(
        1, name="X", schedule=check_schedule(5, 1, "09:00", "UTC"), channel_id=5, template="x", last_year=2027
    )
    later = check_schedule(1, 1, "09:00", "UTC")  # next in 2028, after the last year
    with pytest.raises(DomainError, match=r"The last year \(2027\) is before the next occurrence, in 2028"):
        await service.edit(1, "X", schedule=later)
    edited = await service.edit(1, "X", schedule=later, clear_last_year=True)
    assert (edited.month, edited.last_year) == (1, None)


def test_builtin_cycles_refuse_other_names_quoting_them_cleanly() -> None:
    with pytest.raises(NotFound) as refused:
        CalendarService.builtin_cycle("\x00nope\u200b" + "z" * 6000)
    assert str(refused.value).startswith("There is no built-in cycle 'nope" + "z" * 36 + "'; they are:")


async def test_builtin_schedules_are_checked_like_entries(database: Database) -> None:
    service = await service_on(database, MovableClock(START, ticking=False))
    for options, message in (
        ({"month": 13}, "The month must be from 1 to 12."),
        ({"day": 2**64}, "The day must be from 1 to 31."),
        ({"time": "\u200b"}, "The time cannot be empty."),
        ({"timezone": "\x00"}, "The time zone cannot be empty."),
    ):
        with pytest.raises(DomainError) as refused:
            await service.set_builtin(1, "report-call", True, **options)
        assert str(refused.value) == message
    view = await service.set_builtin(
        1, "report-call", False, timezone="\u200basia/shanghai", time="\u200b8:30"
    )
    assert (view.timezone, view.hour, view.minute) == ("Asia/Shanghai", 8, 30)
