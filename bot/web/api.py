"""The JSON API under ``/api/``: parks (search and one park), workshops, public reports, and the
OpenAPI document that describes it (``/api/openapi.json``). Read-only; errors are
``{"error": ..., "status": ...}`` with a 4xx status."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot import __version__
from bot.db.models_reports import Report
from bot.fields import MAX_ID, PARK_QUERY
from bot.services.parks import COUNTRY_CODES, FOCUS_VOCABULARY, MAX_SLUG, REGIONS, ParkRecord
from bot.services.reports import LANGUAGES
from bot.web import params
from bot.web.core import CONFIG, SITE, Refused, cached, etag_of
from bot.web.pages import answered_before, find_parks, park_card, public_report, remember_answer
from bot.web.site import WorkshopView
from bot.web.strings import NOT_FOUND_WORKSHOP


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/parks", parks)
    app.router.add_get("/api/parks/{slug}", park)
    app.router.add_get("/api/workshops", workshops)
    app.router.add_get("/api/workshops/{id}", workshop)
    app.router.add_get("/api/reports", reports)
    app.router.add_get("/api/reports/{id}", report)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def park_json(record: ParkRecord) -> dict[str, Any]:
    return {
        "slug": record.slug,
        "name": record.name,
        "local_name": record.local_name,
        "aliases": list(record.aliases),
        "country": record.country,
        "city": record.city,
        "region": record.region,
        "established": record.established,
        "focus": list(record.focus),
        "website": record.website,
        "description": record.description,
        "source": record.source,
    }


def workshop_json(item: WorkshopView, base: str) -> dict[str, Any]:
    w = item.workshop
    return {
        "id": w.id,
        "title": w.title,
        "status": w.status,
        "starts_at": iso(w.starts_at),
        "ends_at": iso(w.ends_at),
        "timezone": w.timezone,
        "location": w.location,
        "description": w.description,
        "registration_deadline": iso(w.deadline),
        "capacity": item.seats.capacity,
        "seats_left": item.seats.free,
        "waitlisted": item.seats.waitlisted,
        "members_only": w.members_only,
        "cancel_reason": w.cancel_reason,
        "url": f"{base}/workshops/{w.id}",
        "ics": f"{base}/workshops/{w.id}.ics",
    }


def report_json(report: Report, base: str) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report.title,
        "year": report.year,
        "summary": report.summary,
        "language": report.language,
        "url": report.url,
        "pdf": f"{base}/reports/{report.id}/file.pdf" if report.file_sha256 else None,
        "pdf_size": report.file_size if report.file_sha256 else None,
        "page": f"{base}/reports/{report.id}",
    }


def _json(data: Any, *, status: int = 200) -> web.Response:
    response = web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))
    response.headers["Cache-Control"] = "no-cache"
    return response


async def parks(request: web.Request) -> web.Response:
    body = answered_before(request, "json")
    if body is None:
        index = request.app[SITE].services.parks.index
        result, problem = find_parks(request)
        answer = {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "items": [park_json(r) for r in result.items],
            "problem": problem,
        }
        body = json.dumps(answer, ensure_ascii=False)
        if request.app[SITE].services.parks.index is index:  # not changed meanwhile
            remember_answer(request, "json", body)
    response = web.Response(text=body, content_type="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def park(request: web.Request) -> web.Response:
    record, member, linked = await park_card(request)
    return _json({**park_json(record), "cisip_member": member, "linked_members": linked})


async def workshops(request: web.Request) -> web.Response:
    site = request.app[SITE]
    base = request.app[CONFIG].base_url.rstrip("/")
    return _json(
        {
            "upcoming": [workshop_json(i, base) for i in await site.upcoming()],
            "past": [workshop_json(i, base) for i in await site.past()],
        }
    )


async def workshop(request: web.Request) -> web.Response:
    workshop_id = params.identifier(request.match_info["id"])
    item = await request.app[SITE].workshop(workshop_id) if workshop_id is not None else None
    if item is None:
        raise Refused(404, NOT_FOUND_WORKSHOP)
    return _json(workshop_json(item, request.app[CONFIG].base_url.rstrip("/")))


async def reports(request: web.Request) -> web.Response:
    page = params.page_number(request.query.get("page"))
    result = await request.app[SITE].reports(page)
    base = request.app[CONFIG].base_url.rstrip("/")
    return _json(
        {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "items": [report_json(r, base) for r in result.items],
        }
    )


async def report(request: web.Request) -> web.Response:
    found = await public_report(request)
    return _json(report_json(found, request.app[CONFIG].base_url.rstrip("/")))


# -- the OpenAPI document ---------------------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


_STRING = {"type": "string"}
_ERROR = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {"error": _STRING, "status": {"type": "integer"}},
}
_PARK = {
    "type": "object",
    "required": ["slug", "name", "country", "region", "aliases", "focus"],
    "properties": {
        "slug": _STRING,
        "name": _STRING,
        "local_name": _STRING,
        "aliases": {"type": "array", "items": _STRING},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "city": _STRING,
        "region": _STRING,
        "established": _nullable({"type": "integer"}),
        "focus": {"type": "array", "items": _STRING},
        "website": _STRING,
        "description": _STRING,
        "source": _STRING,
        "cisip_member": {"type": "boolean"},
        "linked_members": {"type": "integer", "minimum": 0},
    },
}
_WORKSHOP = {
    "type": "object",
    "required": ["id", "title", "status", "starts_at", "ends_at", "timezone", "seats_left", "ics"],
    "properties": {
        "id": {"type": "integer"},
        "title": _STRING,
        "status": {"type": "string", "enum": ["scheduled", "ended", "cancelled"]},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "timezone": _STRING,
        "location": _STRING,
        "description": _STRING,
        "registration_deadline": {"type": "string", "format": "date-time"},
        "capacity": {"type": "integer"},
        "seats_left": {"type": "integer", "minimum": 0},
        "waitlisted": {"type": "integer", "minimum": 0},
        "members_only": {"type": "boolean"},
        "cancel_reason": _nullable(_STRING),
        "url": _STRING,
        "ics": _STRING,
    },
}
_REPORT = {
    "type": "object",
    "required": ["id", "title", "year", "language", "page"],
    "properties": {
        "id": {"type": "integer"},
        "title": _STRING,
        "year": {"type": "integer"},
        "summary": _STRING,
        "language": {"type": "string", "enum": sorted(LANGUAGES)},
        "url": _nullable(_STRING),
        "pdf": _nullable(_STRING),
        "pdf_size": _nullable({"type": "integer"}),
        "page": _STRING,
    },
}


def _list_of(ref: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["total", "page", "pages", "items"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": {"$ref": ref}},
            **(extra or {}),
        },
    }


def _ok(ref_or_schema: dict[str, Any] | str) -> dict[str, Any]:
    schema = {"$ref": ref_or_schema} if isinstance(ref_or_schema, str) else ref_or_schema
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": params.MAX_PAGE},
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CISIP community API",
            "version": __version__,
            "description": "The park directory, workshops and public reports of the Community of "
            "International Science-Industry Parks. Read-only; searches are rate-limited per address.",
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "paths": {
            "/api/parks": {
                "get": {
                    "operationId": "searchParks",
                    "summary": "Search or list the park directory",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "description": "A name, local (Chinese) name or alias; typos are forgiven.",
                            "schema": {"type": "string", "maxLength": PARK_QUERY.max_length},
                        },
                        {
                            "name": "country",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": sorted(COUNTRY_CODES)},
                        },
                        {
                            "name": "region",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(REGIONS)},
                        },
                        {
                            "name": "focus",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(FOCUS_VOCABULARY)},
                        },
                        _PAGE,
                    ],
                    "responses": {
                        "200": _ok(_list_of("#/components/schemas/Park", {"problem": _nullable(_STRING)})),
                        "400": _error("A parameter out of shape"),
                        "429": _error("Too many searches from this address: wait Retry-After seconds"),
                    },
                }
            },
            "/api/parks/{slug}": {
                "get": {
                    "operationId": "getPark",
                    "summary": "One park, with how many verified members are linked to it",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": MAX_SLUG},
                        }
                    ],
                    "responses": {"200": _ok("#/components/schemas/Park"), "404": _error("No such park")},
                }
            },
            "/api/workshops": {
                "get": {
                    "operationId": "listWorkshops",
                    "summary": "Upcoming and past editions, with seats left",
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["upcoming", "past"],
                                "properties": {
                                    "upcoming": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Workshop"},
                                    },
                                    "past": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Workshop"},
                                    },
                                },
                            }
                        )
                    },
                }
            },
            "/api/workshops/{id}": {
                "get": {
                    "operationId": "getWorkshop",
                    "summary": "One edition",
                    "parameters": [_ID],
                    "responses": {
                        "200": _ok("#/components/schemas/Workshop"),
                        "404": _error("No such workshop"),
                    },
                }
            },
            "/api/reports": {
                "get": {
                    "operationId": "listReports",
                    "summary": "Public reports, newest first",
                    "parameters": [_PAGE],
                    "responses": {
                        "200": _ok(_list_of("#/components/schemas/Report")),
                        "400": _error("A parameter out of shape"),
                    },
                }
            },
            "/api/reports/{id}": {
                "get": {
                    "operationId": "getReport",
                    "summary": "One public report (members-only reports are not found)",
                    "parameters": [_ID],
                    "responses": {"200": _ok("#/components/schemas/Report"), "404": _error("No such report")},
                }
            },
        },
        "components": {"schemas": {"Error": _ERROR, "Park": _PARK, "Workshop": _WORKSHOP, "Report": _REPORT}},
    }


async def openapi(request: web.Request) -> web.Response:
    body = json.dumps(document(request.app[CONFIG].base_url), ensure_ascii=False).encode()
    return cached(request, body, "application/json", etag_of(body), max_age=3600)
