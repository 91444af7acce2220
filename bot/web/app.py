"""The web site's aiohttp application, built from the services container.

The same program serves it in the bot's event loop (``cisip-bot run``) or alone (``cisip-bot web``).
Middlewares, outermost first: metrics (every request timed, by route), language (``?lang=``, the
cookie, Accept-Language), errors (every refusal a 4xx page or JSON body, never a traceback), public
(``WEB_PUBLIC=false`` leaves only /healthz and /metrics). Security headers go on every response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files
from typing import Any

from aiohttp import web

from bot import metrics
from bot.errors import DomainError, NotFound
from bot.i18n import DEFAULT_LANGUAGE, _, translate
from bot.services.container import Services
from bot.web import api, feeds, language, ops, pages
from bot.web.core import (
    CONFIG,
    LANG,
    LIMITER,
    REMEMBER_LANG,
    RUNTIME,
    SITE,
    TEMPLATES,
    Refused,
    WebConfig,
    cached,
    etag_of,
    lang_of,
    render_page,
    templates,
    wants_json,
)
from bot.web.params import BadParameter
from bot.web.ratelimit import RateLimiter
from bot.web.site import PARKS_RECHECK, Runtime, Site

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPERATOR_PATHS = frozenset({"/healthz", "/metrics"})
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
STATUS_HEADINGS = {
    400: _("This request cannot be answered"),
    404: _("Page not found"),
    405: _("This request cannot be answered"),
    429: _("Too many searches"),
    500: _("Something went wrong"),
    503: _("Something went wrong"),
}
STATUS_MESSAGES = {
    404: _("There is nothing at this address."),
    405: _("This address does not answer that kind of request."),
    500: _("The page could not be made. Please try again later."),
}


def error_response(
    request: web.Request, status: int, message: str, params: dict[str, Any], headers: dict[str, str]
) -> web.Response:
    language_code = lang_of(request)
    text = translate(message, language_code, **params)
    if wants_json(request):
        response = web.json_response({"error": text, "status": status}, status=status)
    else:
        heading = translate(STATUS_HEADINGS.get(status, STATUS_HEADINGS[400]), language_code)
        response = render_page(request, "error.html", status=status, heading=heading, message=text)
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource if request.match_info.route else None
        route = resource.canonical if resource is not None else "unmatched"
        metrics.observe_web(route, request.method, status, time.perf_counter() - started)


@web.middleware
async def language_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        choice = language.choose(
            request.query.get("lang"),
            request.cookies.get(language.COOKIE),
            request.headers.get("Accept-Language"),
        )
    except language.UnknownLanguage:
        request[LANG] = DEFAULT_LANGUAGE
        return error_response(request, 400, _("Unknown language."), {}, {})
    request[LANG] = choice.language
    request[REMEMBER_LANG] = choice.remember
    response = await handler(request)
    if choice.remember:
        response.set_cookie(
            language.COOKIE,
            choice.language,
            max_age=language.COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.app[CONFIG].base_url.startswith("https://"),
        )
    return response


@web.middleware
async def public_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.app[CONFIG].public and request.path not in OPERATOR_PATHS:
        raise web.HTTPNotFound()
    return await handler(request)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = STATUS_MESSAGES.get(exc.status) or _("This request cannot be answered.")
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(request, exc.status, message, {}, headers)
    except BadParameter as exc:
        return error_response(request, exc.status, exc.message, exc.params, {})
    except Refused as exc:
        return error_response(request, exc.status, exc.message, exc.params, exc.headers)
    except NotFound as exc:
        return error_response(request, 404, exc.message, exc.params, {})
    except DomainError as exc:
        return error_response(request, 400, exc.message, exc.params, {})
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("web request %s %s failed", request.method, request.path)
        return error_response(request, 500, STATUS_MESSAGES[500], {}, {})


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


STYLESHEET = files("bot.web") / "static" / "style.css"


def create_app(
    services: Services,
    config: WebConfig | None = None,
    runtime: Runtime | None = None,
    *,
    refresh_every: float = PARKS_RECHECK,
) -> web.Application:
    """The whole site over ``services``: pages, calendar feeds, the JSON API, /healthz, /metrics."""
    config = config or WebConfig()
    app = web.Application(
        middlewares=[metrics_middleware, language_middleware, errors_middleware, public_middleware],
        client_max_size=64 * 1024,  # nothing here takes a body
        handler_args={"max_line_size": 8190, "max_field_size": 8190},
    )
    site = Site(services, guild_id=config.guild_id)
    app[SITE] = site
    app[CONFIG] = config
    app[RUNTIME] = runtime or Runtime()
    app[TEMPLATES] = templates()
    app[LIMITER] = RateLimiter(config.search_burst, config.search_rate)
    app.on_response_prepare.append(_security_headers)

    async def parks_refresher(app: web.Application) -> AsyncIterator[None]:
        await site.refresh_parks(force=True)

        async def loop() -> None:
            while True:
                await asyncio.sleep(refresh_every)
                try:
                    await site.refresh_parks()
                except Exception:
                    log.warning("could not check the park directory for changes", exc_info=True)

        task = asyncio.ensure_future(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(parks_refresher)
    css = STYLESHEET.read_bytes()
    css_etag = etag_of(css)

    async def stylesheet(request: web.Request) -> web.StreamResponse:
        return cached(request, css, "text/css", css_etag, max_age=3600, charset="utf-8")

    app.router.add_get("/static/style.css", stylesheet)
    ops.add_routes(app)
    api.add_routes(app)
    feeds.add_routes(app)
    pages.add_routes(app)
    return app
