"""Calendar feeds (iCalendar, RFC 5545): one workshop, and every workshop of the community.

Each event carries its IANA time zone (with a VTIMEZONE), a UID that never changes
(``workshop-<id>@<host of WEB_BASE_URL>``), the workshop's SEQUENCE (raised on every edit and on
cancelling, ``Workshop.sequence``) and STATUS:CANCELLED once cancelled, so that a calendar that
subscribed to the feed (Outlook, Apple, Google) follows every change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event

from bot.db.models_workshops import Workshop
from bot.services.workshops import CANCELLED
from bot.web import params
from bot.web.core import CONFIG, SITE, Refused, WebConfig, cached, etag_of
from bot.web.pages import workshop_page
from bot.web.strings import NOT_FOUND_WORKSHOP

PRODID = "-//CISIP//cisip-bot//EN"
CONTENT_TYPE = "text/calendar"
MAX_AGE = 300  # seconds a calendar may keep a feed before asking again (with its ETag)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/workshops.ics", all_workshops)
    app.router.add_get("/workshops/{ref}", workshop)


def uid(workshop: Workshop, config: WebConfig) -> str:
    return f"workshop-{workshop.id}@{config.host}"


def event(workshop: Workshop, config: WebConfig) -> Event:
    try:
        tz = ZoneInfo(workshop.timezone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
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


def calendar(workshops: Iterable[Workshop], config: WebConfig, name: str) -> bytes:
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
    workshops = await request.app[SITE].feed_workshops()
    body = calendar(workshops, request.app[CONFIG], "CISIP workshops")
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
