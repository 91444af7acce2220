"""Calendar feeds (iCalendar, RFC 5545): one workshop, and every workshop of the community.

Each event carries its IANA time zone (with a VTIMEZONE), a UID that never changes
(``workshop-<id>@<host of WEB_BASE_URL>``), the workshop's SEQUENCE (raised on every edit and on
cancelling, ``Workshop.sequence``) and STATUS:CANCELLED once cancelled, so that a calendar that
subscribed to the feed (Outlook, Apple, Google) follows every change.

``/workshops.ics`` also holds the yearly announcements of the calendar that staff marked public
(``/calendar add ... public:true``), each one yearly recurring event (``RRULE:FREQ=YEARLY``, with
``UNTIL`` its last year's occurrence when it has one) of one hour from its date and time in its
IANA zone, starting in the year of its first occurrence. Its UID is ``calendar-<id>@<host>``, its
SEQUENCE the entry's ``sequence`` (raised on every edit, pause and resume) and its SUMMARY the
entry's name: the message is not published (it may name the server's roles and channels). A
paused, ended, removed or no longer public entry is left out of the feed, so a subscribed
calendar drops it at its next refresh.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event

from bot.db.models_calendar import CalendarEntry
from bot.db.models_workshops import Workshop
from bot.services.workshops import CANCELLED
from bot.web import params
from bot.web.core import CONFIG, SITE, Refused, WebConfig, cached, etag_of
from bot.web.pages import workshop_page
from bot.web.strings import NOT_FOUND_WORKSHOP

PRODID = "-//CISIP//cisip-bot//EN"
CONTENT_TYPE = "text/calendar"
MAX_AGE = 300  # seconds a calendar may keep a feed before asking again (with its ETag)
ANNOUNCEMENT_LENGTH = timedelta(hours=1)  # a yearly announcement shows as a one-hour event


def add_routes(app: web.Application) -> None:
    app.router.add_get("/workshops.ics", all_workshops)
    app.router.add_get("/workshops/{ref}", workshop)


def uid(workshop: Workshop, config: WebConfig) -> str:
    return f"workshop-{workshop.id}@{config.host}"


def event(workshop: Workshop, config: WebConfig) -> Event:
    tz = zone_of(workshop.timezone)
    item = Event()
    item.add("uid", uid(workshop, config))
    item.add("dtstamp", workshop.updated_at)
    item.add("last-modified", workshop.updated_at)
    item.add("created", workshop.created_at)
    item.add("sequence", workshop.sequence)
    item.add("dtstart", workshop.starts_at.astimezone(tz))
    item.add("dtend", workshop.ends_at.astimezone(tz))
    item.add("summary", workshop.title)
    item.add("location", workshop.location)
    description = workshop.description
    if workshop.status == CANCELLED and workshop.cancel_reason:
        description = f"{workshop.cancel_reason}\n\n{description}".strip()
    if description:
        item.add("description", description)
    item.add("url", config.absolute(f"/workshops/{workshop.id}"))
    item.add("status", "CANCELLED" if workshop.status == CANCELLED else "CONFIRMED")
    item.add("transp", "OPAQUE")
    return item


def entry_uid(entry: CalendarEntry, config: WebConfig) -> str:
    return f"calendar-{entry.id}@{config.host}"


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local_occurrence(entry: CalendarEntry, year: int, tz: ZoneInfo) -> datetime:
    """The entry's date and time in ``year``, as wall-clock time in its zone (29 February is the
    28th in other years, as the bot posts it)."""
    day = min(entry.day, months.monthrange(year, entry.month)[1])
    return datetime(year, entry.month, day, entry.hour, entry.minute, tzinfo=tz)


def entry_event(entry: CalendarEntry, config: WebConfig) -> Event | None:
    """A public yearly announcement as a recurring event (None when it has no occurrence left)."""
    tz = zone_of(entry.timezone)
    year = entry.first_year
    start = local_occurrence(entry, year, tz)
    if start.astimezone(UTC) < entry.created_at:  # the schedule was moved before the day it was added
        year += 1
        start = local_occurrence(entry, year, tz)
    rule: dict[str, object] = {"freq": "YEARLY"}
    if entry.month == 2 and entry.day == 29:  # the last day of February, every year
        rule.update(bymonth=2, bymonthday=-1)
    if entry.last_year is not None:
        if entry.last_year < year:
            return None
        rule["until"] = local_occurrence(entry, entry.last_year, tz).astimezone(UTC)
    item = Event()
    item.add("uid", entry_uid(entry, config))
    item.add("dtstamp", entry.updated_at)
    item.add("last-modified", entry.updated_at)
    item.add("created", entry.created_at)
    item.add("sequence", entry.sequence)
    item.add("dtstart", start)
    item.add("dtend", start + ANNOUNCEMENT_LENGTH)
    item.add("rrule", rule)
    item.add("summary", entry.name)
    item.add("status", "CONFIRMED")
    item.add("transp", "TRANSPARENT")
    return item


def calendar(
    workshops: Iterable[Workshop],
    config: WebConfig,
    name: str,
    entries: Iterable[CalendarEntry] = (),
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for workshop in workshops:
        cal.add_component(event(workshop, config))
    for entry in entries:
        yearly = entry_event(entry, config)
        if yearly is not None:
            cal.add_component(yearly)
    cal.add_missing_timezones()
    return cal.to_ical()


def answer(request: web.Request, body: bytes, filename: str) -> web.Response:
    return cached(
        request,
        body,
        CONTENT_TYPE,
        etag_of(body),
        max_age=MAX_AGE,
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


async def all_workshops(request: web.Request) -> web.Response:
    site = request.app[SITE]
    workshops = await site.feed_workshops()
    guild = await site.guild_id()
    entries = await site.services.calendar.public_entries(guild) if guild is not None else []
    body = calendar(workshops, request.app[CONFIG], "CISIP workshops", entries)
    return answer(request, body, "cisip-workshops.ics")


async def workshop(request: web.Request) -> web.Response:
    """``/workshops/12`` (the page) or ``/workshops/12.ics`` (its calendar event)."""
    ref = request.match_info["ref"]
    if not ref.endswith(".ics"):
        return await workshop_page(request, params.identifier(ref))
    workshop_id = params.identifier(ref.removesuffix(".ics"))
    item = await request.app[SITE].workshop(workshop_id) if workshop_id is not None else None
    if item is None:
        raise Refused(404, NOT_FOUND_WORKSHOP)
    body = calendar([item.workshop], request.app[CONFIG], item.workshop.title)
    return answer(request, body, f"workshop-{item.workshop.id}.ics")
