"""Calendar feeds: parsed back with icalendar, they carry the zone, a stable UID, a SEQUENCE that rises
with every edit and STATUS:CANCELLED once cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from icalendar import Calendar
from multidict import CIMultiDictProxy

from bot.services.container import Services
from tests.web.conftest import GUILD, form


@dataclass(frozen=True)
class Feed:
    http: CIMultiDictProxy[str]
    zones: set[str]


async def events(client: TestClient, path: str, **headers: str) -> tuple[list[Any], Feed]:
    response = await client.get(path, headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/calendar"
    calendar = Calendar.from_ical(await response.read())
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    return list(calendar.walk("VEVENT")), Feed(response.headers, zones)


async def test_one_workshop_as_ics_starts_when_the_workshop_does(
    client: TestClient, services: Services
) -> None:
    workshop = await services.workshops.create(GUILD, 1, form())
    (event,), headers = await events(client, f"/workshops/{workshop.id}.ics")
    start = event.decoded("DTSTART")
    assert start.astimezone(UTC) == workshop.starts_at == datetime(2027, 8, 20, 1, 0, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert "Asia/Shanghai" in headers.zones  # a VTIMEZONE for the zone the events name
    assert event.decoded("DTEND").astimezone(UTC) == workshop.ends_at
    assert str(event["UID"]) == f"workshop-{workshop.id}@cisip.example.org"
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Science Park Management Workshop"
    assert str(event["URL"]) == f"https://cisip.example.org/workshops/{workshop.id}"


async def test_every_edit_raises_the_sequence_and_a_cancellation_is_cancelled(
    client: TestClient, services: Services
) -> None:
    workshop = await services.workshops.create(GUILD, 1, form())
    (first,), headers = await events(client, f"/workshops/{workshop.id}.ics")
    await services.workshops.update(GUILD, workshop.id, form(location="Beijing", starts="2027-08-21 10:00"))
    (edited,), _ = await events(
        client, f"/workshops/{workshop.id}.ics", **{"If-None-Match": headers.http["ETag"]}
    )
    assert edited["UID"] == first["UID"]
    assert edited["SEQUENCE"] == 1 and str(edited["LOCATION"]) == "Beijing"
    assert edited.decoded("DTSTART").astimezone(UTC) == datetime(2027, 8, 21, 2, 0, tzinfo=UTC)
    await services.workshops.cancel(GUILD, workshop.id, "Venue closed")
    (cancelled,), _ = await events(client, f"/workshops/{workshop.id}.ics")
    assert cancelled["SEQUENCE"] == 2 and str(cancelled["STATUS"]) == "CANCELLED"
    assert "Venue closed" in str(cancelled["DESCRIPTION"])


async def test_the_feed_of_all_workshops_holds_every_edition_but_drafts_and_other_servers(
    client: TestClient, services: Services
) -> None:
    one = await services.workshops.create(GUILD, 1, form())
    two = await services.workshops.create(GUILD, 1, form(title="Autumn School", timezone="Europe/Berlin"))
    await services.workshops.create(GUILD + 1, 1, form(title="Elsewhere"))
    await services.workshops.cancel(GUILD, two.id, None)
    found, headers = await events(client, "/workshops.ics")
    by_uid = {str(e["UID"]): e for e in found}
    assert set(by_uid) == {f"workshop-{one.id}@cisip.example.org", f"workshop-{two.id}@cisip.example.org"}
    assert str(by_uid[f"workshop-{two.id}@cisip.example.org"]["STATUS"]) == "CANCELLED"
    assert set(headers.zones) == {"Asia/Shanghai", "Europe/Berlin"}
    assert "max-age" in headers.http["Cache-Control"]


async def test_feeds_answer_304_to_a_calendar_that_has_them(client: TestClient, services: Services) -> None:
    workshop = await services.workshops.create(GUILD, 1, form())
    first = await client.get("/workshops.ics")
    etag = first.headers["ETag"]
    again = await client.get("/workshops.ics", headers={"If-None-Match": etag})
    assert again.status == 304
    await services.workshops.update(GUILD, workshop.id, form(location="Beijing"))
    changed = await client.get("/workshops.ics", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_a_feed_of_no_workshop_is_not_found(client: TestClient) -> None:
    for path in (
        "/workshops/99.ics",
        "/workshops/0.ics",
        "/workshops/abc.ics",
        "/workshops/" + "9" * 40 + ".ics",
    ):
        response = await client.get(path)
        assert response.status == 404, path
