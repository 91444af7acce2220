"""What every part of the site shares: its settings, the application's keys, rendering a page in the
reader's language, and answers that carry an ETag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from babel.dates import format_skeleton
from markupsafe import Markup

from bot.config import Settings
from bot.i18n import DEFAULT_LANGUAGE, Listing, babel_locale, country_name, format_number, translate
from bot.services.parks import flag
from bot.web import language
from bot.web.ratelimit import RateLimiter
from bot.web.site import Runtime, Site, WorkshopView
from bot.web.strings import SEATS_FULL, SEATS_LEFT


@dataclass(frozen=True)
class WebConfig:
    base_url: str = "http://127.0.0.1:8080"
    public: bool = True
    guild_id: int | None = None
    discord_invite: str | None = None
    # Searches per address: a burst, then so many a second.
    search_burst: int = 30
    search_rate: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WebConfig:
        values: dict[str, Any] = {
            "base_url": settings.web_base_url,
            "public": settings.web_public,
            "guild_id": settings.web_guild_id or settings.dev_guild_id,
            "discord_invite": settings.web_discord_invite,
        }
        values.update(overrides)
        return cls(**values)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def absolute(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


SITE: web.AppKey[Site] = web.AppKey("site", Site)
CONFIG: web.AppKey[WebConfig] = web.AppKey("config", WebConfig)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates", jinja2.Environment)
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter", RateLimiter)


class Refused(Exception):
    """A refusal with a status and a translated message (the errors middleware renders it)."""

    def __init__(
        self, status: int, message: str, /, headers: dict[str, str] | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.params, self.headers = status, message, params, headers or {}


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/")


LANG: web.RequestKey[str] = web.RequestKey("lang", str)
REMEMBER_LANG: web.RequestKey[bool] = web.RequestKey("remember_lang", bool)


def lang_of(request: web.Request) -> str:
    return request.get(LANG, DEFAULT_LANGUAGE)


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are package data: no stat() of each file per page
    )


def options(choices: list[tuple[str, str]], selected: str) -> Markup:
    """``<option>`` elements of a filter (value, label), ``selected`` marked: made once per list and
    choice (they are the same for every reader of a language) rather than once per page."""
    return _options(tuple(choices), selected)


@lru_cache(maxsize=1024)
def _options(choices: tuple[tuple[str, str], ...], selected: str) -> Markup:
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            value, Markup(" selected") if value == selected else "", label
        )
        for value, label in choices
    )


def moment(when: datetime, zone: str, lang: str) -> str:
    """A moment in the workshop's own time zone, the reader's way ('Fri, Aug 20, 2027, 09:00
    (Asia/Shanghai)')."""
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    local, locale = when.astimezone(tz), babel_locale(lang)
    day = format_skeleton("yMMMEd", local, locale=locale)
    return f"{day} {format_skeleton('Hm', local, locale=locale)} ({zone})"


def seats_text(item: WorkshopView, lang: str) -> str:
    seats = item.seats
    if seats.free > 0:
        return translate(SEATS_LEFT, lang, free=seats.free, capacity=seats.capacity)
    return translate(SEATS_FULL, lang, count=seats.waitlisted)


def render_page(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """``template`` in the reader's language: ``t`` translates through the bot's catalogs."""
    lang = lang_of(request)

    def t(text: str, **params: Any) -> str:
        return translate(text, lang, **params)

    def switch_url(code: str) -> str:
        query = [(k, v) for k, v in request.query.items() if k != "lang"]
        return request.path + "?" + urlencode([*query, ("lang", code)])

    def page_url(number: int) -> str:
        query = [(k, v) for k, v in request.query.items() if k not in ("page", "lang")]
        return request.path + "?" + urlencode([*query, ("page", str(number))])

    context = {
        "t": t,
        "lang": lang,
        "html_lang": language.html_lang(lang),
        "languages": language.switches(),
        "switch_url": switch_url,
        "page_url": page_url,
        "when": lambda dt, zone: moment(dt, zone, lang),
        "seats_text": lambda item: seats_text(item, lang),
        "country_name": lambda code: country_name(code, lang),
        "flag": flag,
        "number": lambda n: format_number(n, lang),
        "focus_list": lambda items: Listing.labels(items).localize(lang),
        "options": options,
        **values,
    }
    body = request.app[TEMPLATES].get_template(template).render(context)
    return html_response(body, lang, status=status)


def html_response(body: str, lang: str, *, status: int = 200) -> web.Response:
    """A page in ``lang``: it varies with the reader's language (header and cookie)."""
    response = web.Response(text=body, content_type="text/html", charset="utf-8", status=status)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Language"] = lang
    if status == 200:
        response.headers["Cache-Control"] = "no-cache"
    return response


def cached(
    request: web.Request,
    body: bytes,
    content_type: str,
    etag: str,
    *,
    max_age: int,
    charset: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """``body`` with its ETag and Cache-Control; 304 when the reader already has it."""
    common = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", **(headers or {})}
    matches = request.headers.get("If-None-Match", "")
    if matches and (matches.strip() == "*" or etag in [m.strip() for m in matches.split(",")]):
        return web.Response(status=304, headers=common)
    return web.Response(body=body, content_type=content_type, charset=charset, headers=common)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
