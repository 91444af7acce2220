"""Public calendar entries (the yearly events of /workshops.ics) and the SEQUENCE of their events,
on every database backend."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.database import Database
from bot.db.models_calendar import CalendarEntry
from bot.scheduler import MovableClock, Scheduler
from bot.services.calendar import CalendarService, check_schedule

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def service_on(database: Database, clock: MovableClock) -> CalendarService:
    return CalendarService(database, Scheduler(database, clock), clock)


async def add(
    service: CalendarService, guild_id: int, name: str, month: int, **options: object
) -> CalendarEntry:
    return await service.add(
        guild_id,
        name=name,
        schedule=check_schedule(month, 15, "09:00", "Europe/Berlin"),
        channel_id=5,
        template="{year}",
        **options,  # type: ignore[arg-type]
    )


async def stored(database: Database, entry_id: int) -> CalendarEntry:
    async with database.session() as session:
        row = await session.get(CalendarEntry, entry_id)
    assert row is not None
    return row


async def test_only_public_entries_that_still_post_are_in_the_feed(database: Database) -> None:
    clock = MovableClock(START, ticking=False)
    service = service_on(database, clock)
    private = await add(service, 1, "Private", 4)
    await add(service, 1, "Autumn", 10, public=True)
    spring = await add(service, 1, "Spring", 3, public=True)
    await add(service, 2, "Elsewhere", 5, public=True)  # another server's
    assert (private.public, spring.public) == (False, True)
    assert [e.name for e in await service.public_entries(1)] == ["Spring", "Autumn"]  # by date

    await service.set_enabled(1, "Autumn", False)  # paused: left out
    assert [e.name for e in await service.public_entries(1)] == ["Spring"]
    await service.set_enabled(1, "Autumn", True)
    await service.edit(1, "Private", public=True)
    await service.edit(1, "Spring", public=False)
    assert [e.name for e in await service.public_entries(1)] == ["Private", "Autumn"]
    await service.remove(1, "Autumn")
    assert [e.name for e in await service.public_entries(1)] == ["Private"]
    assert [e.name for e in await service.public_entries(2)] == ["Elsewhere"]
    assert await service.public_entries(3) == []


async def test_every_edit_pause_resume_and_end_raises_the_sequence(database: Database) -> None:
    clock = MovableClock(START, ticking=False)
    service = service_on(database, clock)
    entry = await add(service, 1, "Spring", 3, public=True)
    assert (await stored(database, entry.id)).sequence == 0

    await service.edit(1, "Spring", template="New {year}")
    assert (await stored(database, entry.id)).sequence == 1
    await service.edit(1, "Spring", schedule=check_schedule(3, 20, "10:00", "Asia/Shanghai"))
    assert (await stored(database, entry.id)).sequence == 2
    await service.set_enabled(1, "Spring", False)
    await service.set_enabled(1, "Spring", True)
    assert (await stored(database, entry.id)).sequence == 4
    await service.finish(entry.id)
    after = await stored(database, entry.id)
    assert (after.sequence, after.enabled, after.public) == (5, False, True)
    # A change that says nothing else still raises it: a subscribed calendar must take the event again.
    await service.edit(1, "Spring", public=True)
    assert (await stored(database, entry.id)).sequence == 6
