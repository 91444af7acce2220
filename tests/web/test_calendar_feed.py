"""The calendar's public yearly announcements in /workshops.ics, parsed back with icalendar: a yearly
event in its zone, with a stable UID and a SEQUENCE that rises with every edit; private, paused and
removed entries are not there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from dateutil.rrule import rrulestr
from icalendar import Calendar

from bot.db.models_calendar import CalendarEntry
from bot.services.calendar import check_schedule
from bot.services.container import Services
from tests.web.conftest import GUILD, form


async def feed(client: TestClient, **headers: str) -> tuple[dict[str, Any], set[str], str]:
    """The feed's events by UID, the zones it has a VTIMEZONE for, and its ETag."""
    response = await client.get("/workshops.ics", headers=headers)
    assert response.status == 200, await response.text()
    calendar = Calendar.from_ical(await response.read())
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}, zones, response.headers["ETag"]


async def add(
    services: Services,
    name: str,
    month: int,
    day: int,
    time: str,
    zone: str,
    *,
    guild: int = GUILD,
    **options: Any,
) -> CalendarEntry:
    return await services.calendar.add(
        guild,
        name=name,
        schedule=check_schedule(month, day, time, zone),
        channel_id=77,
        template="Hello <@&123> {server}, edition {edition}",
        **options,
    )


def uid(entry: CalendarEntry) -> str:
    return f"calendar-{entry.id}@cisip.example.org"


def occurrences(event: Any, first: int, last: int) -> list[datetime]:
    """The event's occurrences in [first, last] (years), as a calendar computes them from its RRULE."""
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=event.decoded("DTSTART"))
    start = datetime(first, 1, 1, tzinfo=UTC)
    return [
        when.astimezone(UTC) for when in rule.between(start, datetime(last, 12, 31, tzinfo=UTC), inc=True)
    ]


async def test_a_public_entry_is_a_yearly_event_in_its_zone_and_a_private_one_is_not_there(
    client: TestClient, services: Services
) -> None:
    workshop = await services.workshops.create(GUILD, 1, form())
    spring = await add(services, "Founding day", 5, 26, "09:00", "America/New_York", public=True)
    private = await add(services, "Staff reminder", 6, 1, "09:00", "UTC")
    await add(services, "Elsewhere", 7, 1, "09:00", "UTC", guild=GUILD + 1, public=True)

    events, zones, _etag = await feed(client)

    assert set(events) == {f"workshop-{workshop.id}@cisip.example.org", uid(spring)}
    assert uid(private) not in events
    event = events[uid(spring)]
    assert str(event["SUMMARY"]) == "Founding day"
    assert "DESCRIPTION" not in event  # the message (roles, the server's name) is not published
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert {"America/New_York", "Asia/Shanghai"} <= zones  # a VTIMEZONE for the entry's zone too
    start = event.decoded("DTSTART")
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2027, 5, 26, 9, 0)
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert event["RRULE"]["FREQ"] == ["YEARLY"] and "UNTIL" not in event["RRULE"]
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    # 09:00 in New York every year, in summer time (EDT, UTC-4).
    assert occurrences(event, 2027, 2029) == [
        datetime(2027, 5, 26, 13, tzinfo=UTC),
        datetime(2028, 5, 26, 13, tzinfo=UTC),
        datetime(2029, 5, 26, 13, tzinfo=UTC),
    ]


async def test_an_edit_raises_the_sequence_keeps_the_uid_and_changes_the_etag(
    client: TestClient, services: Services
) -> None:
    entry = await add(services, "Founding day", 5, 26, "09:00", "Europe/Berlin", public=True)
    before, _zones, etag = await feed(client)
    again = await client.get("/workshops.ics", headers={"If-None-Match": etag})
    assert again.status == 304

    await services.calendar.edit(
        GUILD, "Founding day", new_name="Anniversary", schedule=check_schedule(5, 27, "10:30", "Asia/Tokyo")
    )
    changed = await client.get("/workshops.ics", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    after, zones, _etag = await feed(client)

    assert set(after) == set(before) == {uid(entry)}
    event = after[uid(entry)]
    assert event["SEQUENCE"] == before[uid(entry)]["SEQUENCE"] + 1 == 1
    assert str(event["SUMMARY"]) == "Anniversary"
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo" and "Asia/Tokyo" in zones
    assert occurrences(event, 2027, 2027) == [datetime(2027, 5, 27, 1, 30, tzinfo=UTC)]


async def test_paused_unpublished_and_removed_entries_leave_the_feed(
    client: TestClient, services: Services
) -> None:
    entry = await add(services, "Founding day", 5, 26, "09:00", "UTC", public=True)
    await services.calendar.set_enabled(GUILD, "Founding day", False)
    assert uid(entry) not in (await feed(client))[0]
    await services.calendar.set_enabled(GUILD, "Founding day", True)
    events = (await feed(client))[0]
    assert events[uid(entry)]["SEQUENCE"] == 2  # paused and resumed: a calendar takes it again
    await services.calendar.edit(GUILD, "Founding day", public=False)
    assert uid(entry) not in (await feed(client))[0]
    await services.calendar.edit(GUILD, "Founding day", public=True)
    assert (await feed(client))[0][uid(entry)]["SEQUENCE"] == 4
    await services.calendar.remove(GUILD, "Founding day")
    assert (await feed(client))[0] == {}


async def test_a_last_year_ends_the_rule_and_29_february_falls_on_the_28th(
    client: TestClient, services: Services
) -> None:
    leap = await add(services, "Leap day", 2, 29, "09:00", "Europe/Berlin", public=True, last_year=2029)
    events, _zones, _etag = await feed(client)
    event = events[uid(leap)]
    # Added on 1 March 2027: the first occurrence is 29 February 2028, then the last day of February.
    assert occurrences(event, 2027, 2035) == [
        datetime(2028, 2, 29, 8, tzinfo=UTC),
        datetime(2029, 2, 28, 8, tzinfo=UTC),
    ]
    assert event["RRULE"]["UNTIL"] == [datetime(2029, 2, 28, 8, tzinfo=UTC)]
