"""The HTML pages: home, the park directory and cards, workshops, public reports."""

from __future__ import annotations

import asyncio
from functools import cache
from itertools import islice
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.db.models_reports import Report
from bot.errors import NotFound
from bot.fields import PARK_QUERY
from bot.i18n import country_name, format_number, translate
from bot.services.park_chart import stats_chart
from bot.services.park_search import ParkIndex
from bot.services.parks import FOCUS_VOCABULARY, REGIONS, ParkRecord
from bot.services.reports import LANGUAGES
from bot.web import params
from bot.web.core import CONFIG, LIMITER, SITE, Refused, cached, etag_of, html_response, lang_of, render_page
from bot.web.site import PAGE_SIZE, Page, paginate
from bot.web.strings import (
    NOT_FOUND_CERTIFICATE,
    NOT_FOUND_PARK,
    NOT_FOUND_REPORT,
    NOT_FOUND_WORKSHOP,
    TOO_MANY_SEARCHES,
)

SEARCH_LIMIT = 200  # parks a search returns at most (ten pages)
_CHARTS: dict[tuple[str, int], tuple[bytes, str, ParkIndex]] = {}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/parks", parks)
    app.router.add_get("/parks/stats.png", stats_png)
    app.router.add_get("/parks/{slug}", park)
    app.router.add_get("/workshops", workshops)
    app.router.add_get("/reports", reports)
    app.router.add_get("/reports/{id}", report)
    app.router.add_get("/reports/{id}/file.pdf", report_file)
    app.router.add_get("/certificates/{number}", certificate)
    # /workshops/{id} and /workshops/{id}.ics share one route: see bot.web.feeds.


def limit_searches(request: web.Request) -> None:
    """A search costs a token of the reader's address; none left: 429 with Retry-After."""
    wait = request.app[LIMITER].take(request.remote or "unknown")
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise Refused(429, TOO_MANY_SEARCHES, headers={"Retry-After": str(seconds)}, seconds=seconds)


def find_parks(request: web.Request) -> tuple[Page[ParkRecord], str | None]:
    """The directory page asked for (``q``, ``country``, ``region``, ``focus``, ``page``), with the
    "No park matches" explanation when a search finds none."""
    query = params.query(request.query.get("q"))
    code = params.country(request.query.get("country"))
    region = params.region(request.query.get("region"))
    focus = params.focus(request.query.get("focus"))
    page = params.page_number(request.query.get("page"))
    site = request.app[SITE]
    service = site.services.parks
    if query is not None:
        limit_searches(request)
        key = (query, code, region, focus)
        found = site.searches.get(service.index, key)
        if found is None:
            try:
                found = service.search(query, country=code, region=region, focus=focus, limit=SEARCH_LIMIT)
            except NotFound as exc:
                found = exc
            site.searches.put(service.index, key, found)
        if isinstance(found, NotFound):
            return Page([], 1, 1, 0), translate(found.message, lang_of(request), **found.params)
        return paginate(found, page), None
    if code is None and region is None and focus is None:
        records = service.records
        pages = max(1, -(-len(records) // PAGE_SIZE))
        page = min(page, pages)
        start = (page - 1) * PAGE_SIZE
        return Page(list(islice(records.values(), start, start + PAGE_SIZE)), page, pages, len(records)), None
    chosen = [r for r in service.in_place(code, region) if focus is None or focus in r.focus]
    return paginate(chosen, page), None


async def home(request: web.Request) -> web.Response:
    site = request.app[SITE]
    upcoming = await site.upcoming(limit=1)
    return render_page(
        request,
        "index.html",
        next_workshop=upcoming[0] if upcoming else None,
        latest_report=await site.latest_report(),
        invite=request.app[CONFIG].discord_invite,
        park_count=len(site.services.parks.records),
        max_query=PARK_QUERY.max_length,
    )


@cache
def _choices(lang: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return sorted(((v, translate(v, lang)) for v in values), key=lambda item: item[1].casefold())


# The countries of the directory as the filter offers them, per language, for one search index (a
# new index, after any change to the directory, makes them again): not a pass over every park for
# every page.
_COUNTRIES: dict[str, tuple[ParkIndex, list[tuple[str, str]]]] = {}


def country_choices(request: web.Request, lang: str) -> list[tuple[str, str]]:
    service = request.app[SITE].services.parks
    found = _COUNTRIES.get(lang)
    if found is not None and found[0] is service.index:
        return found[1]
    codes = service.index.countries
    choices = sorted(((c, country_name(c, lang)) for c in codes if c), key=lambda item: item[1].casefold())
    _COUNTRIES[lang] = (service.index, choices)
    return choices


def answered_before(request: web.Request, kind: str) -> Any:
    """This directory answer (``kind``: the page or the API's JSON) as sent before for the same
    query string in the same language, while the directory is unchanged; a search still costs
    the reader's address a token."""
    site = request.app[SITE]
    found = site.rendered.get(site.services.parks.index, (kind, lang_of(request), request.query_string))
    if found is None:
        return None
    searched, body = found
    if searched:
        limit_searches(request)
    return body


def remember_answer(request: web.Request, kind: str, body: object) -> None:
    site = request.app[SITE]
    searched = params.query(request.query.get("q")) is not None
    key = (kind, lang_of(request), request.query_string)
    site.rendered.put(site.services.parks.index, key, (searched, body))


async def parks(request: web.Request) -> web.Response:
    lang = lang_of(request)
    body = answered_before(request, "html")
    if body is not None:
        return html_response(body, lang)
    index = request.app[SITE].services.parks.index
    result, problem = find_parks(request)
    response = render_page(
        request,
        "parks.html",
        result=result,
        problem=problem,
        q=request.query.get("q", ""),
        country=request.query.get("country", "").upper(),
        region=request.query.get("region", ""),
        focus=request.query.get("focus", ""),
        countries=country_choices(request, lang),
        regions=_choices(lang, REGIONS),
        focuses=_choices(lang, FOCUS_VOCABULARY),
        max_query=PARK_QUERY.max_length,
    )
    if request.app[SITE].services.parks.index is index:  # not changed while this was rendered
        remember_answer(request, "html", response.text)
    return response


async def park_card(request: web.Request) -> tuple[ParkRecord, bool, int]:
    slug = params.slug(request.match_info["slug"])
    site = request.app[SITE]
    record = site.services.parks.records.get(slug) if slug is not None else None
    if record is None:
        raise Refused(404, NOT_FOUND_PARK)
    guild = await site.guild_id()
    member = (await site.services.parks.member_parks(guild)).includes(record)
    linked = len(await site.services.parks.linked_members(guild, record.slug))
    return record, member, linked


async def park(request: web.Request) -> web.Response:
    record, member, linked = await park_card(request)
    return render_page(request, "park.html", park=record, member=member, linked=linked)


async def stats_png(request: web.Request) -> web.Response:
    site = request.app[SITE]
    lang = lang_of(request)
    index = site.services.parks.index
    key = (lang, id(index))
    found = _CHARTS.get(key)
    if found is None or found[2] is not index:
        by_country, by_region, by_decade = site.services.parks.stats()  # "The directory is empty." -> 400
        png = await asyncio.to_thread(stats_chart, by_country, by_region, by_decade, lang)
        found = (png, etag_of(png), index)
        if len(_CHARTS) > 16:
            _CHARTS.clear()
        _CHARTS[key] = found
    png, etag, _index = found
    return cached(request, png, "image/png", etag, max_age=600, headers={"Vary": "Accept-Language, Cookie"})


async def workshops(request: web.Request) -> web.Response:
    site = request.app[SITE]
    return render_page(
        request,
        "workshops.html",
        upcoming=await site.upcoming(),
        past=await site.past(),
        feed_url=request.app[CONFIG].absolute("/workshops.ics"),
    )


async def workshop_page(request: web.Request, workshop_id: int | None) -> web.Response:
    item = await request.app[SITE].workshop(workshop_id) if workshop_id is not None else None
    if item is None:
        raise Refused(404, NOT_FOUND_WORKSHOP)
    return render_page(request, "workshop.html", item=item, w=item.workshop)


async def reports(request: web.Request) -> web.Response:
    page = params.page_number(request.query.get("page"))
    return render_page(request, "reports.html", result=await request.app[SITE].reports(page))


async def public_report(request: web.Request) -> Report:
    report_id = params.identifier(request.match_info["id"])
    found = await request.app[SITE].report(report_id) if report_id is not None else None
    if found is None:
        raise Refused(404, NOT_FOUND_REPORT)
    return found


def human_size(size: int, lang: str) -> str:
    if size >= 1024 * 1024:
        return f"{format_number(round(size / 1024 / 1024, 1), lang)} MB"
    return f"{format_number(max(1, round(size / 1024)), lang)} KB"


async def report(request: web.Request) -> web.Response:
    found = await public_report(request)
    lang = lang_of(request)
    return render_page(
        request,
        "report.html",
        r=found,
        report_language=LANGUAGES.get(found.language, LANGUAGES["other"]),
        size=human_size(found.file_size or 0, lang),
    )


async def report_file(request: web.Request) -> web.Response:
    """A public report's PDF (a members-only report's is refused as if it did not exist)."""
    found = await public_report(request)
    data = await request.app[SITE].services.reports.pdf(found)
    if data is None or found.file_sha256 is None:
        raise Refused(404, NOT_FOUND_REPORT)
    name = found.file_name or f"report-{found.id}.pdf"
    disposition = f"attachment; filename=\"report-{found.id}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    return cached(
        request,
        data,
        "application/pdf",
        f'"{found.file_sha256[:32]}"',
        max_age=3600,
        headers={"Content-Disposition": disposition},
    )


async def certificate(request: web.Request) -> web.Response:
    """Whether a certificate of completion is genuine: the name on it and the workshop, nothing
    else (the number printed on the certificate links here)."""
    raw = request.match_info["number"]
    found = None
    if len(raw) <= params.MAX_CERTIFICATE_NUMBER:
        found = await request.app[SITE].services.certificates.verify_certificate(raw)
    if found is None:
        raise Refused(404, NOT_FOUND_CERTIFICATE)
    # Not kept by caches: a certificate whose holder's data is erased stops being confirmed.
    response = render_page(request, "certificate.html", c=found)
    response.headers["Cache-Control"] = "no-store"
    return response
