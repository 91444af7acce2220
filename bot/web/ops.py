"""For operators: ``/healthz`` (200 when this process can do its job, else 503, with the reasons) and
``/metrics`` (Prometheus' text format)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from aiohttp import web

from bot import metrics
from bot.db.migrate import head_revision
from bot.leadership import Leader
from bot.services.status import current_leader, database_health, is_this_process
from bot.web.core import RUNTIME, SITE
from bot.web.site import Site

# A leader whose oldest due row is this late is not keeping up (its grace is far longer).
SCHEDULER_LAG_LIMIT = 120.0  # seconds
PROBE_TIMEOUT = 5.0  # seconds for the database to answer /healthz


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)


def _leader_json(leader: Leader | None) -> dict[str, Any] | None:
    if leader is None:
        return None
    return {
        "host": leader.host,
        "pid": leader.pid,
        "since": leader.since.isoformat() if leader.since else None,
        "this_process": is_this_process(leader),
    }


async def _lag(site: Site) -> float | None:
    try:
        return await asyncio.wait_for(site.scheduler_lag(), PROBE_TIMEOUT)
    except Exception:
        return None


async def healthz(request: web.Request) -> web.Response:
    site, runtime = request.app[SITE], request.app[RUNTIME]
    database = site.services.db
    problems: list[str] = []
    try:
        problem, latency, revision = await asyncio.wait_for(database_health(database), PROBE_TIMEOUT)
    except TimeoutError:
        problem, latency, revision = None, None, None
        problems.append("database: no answer within 5 seconds")
    if problem is not None:
        problems.append(f"database: {problem.message}")
    head = head_revision()
    if problem is None and latency is not None and revision != head:
        problems.append(f"database: schema is at {revision or 'nothing'}, this code needs {head}")
    leader: Leader | None = None
    if not problems:
        with contextlib.suppress(Exception):
            leader = await asyncio.wait_for(current_leader(database), PROBE_TIMEOUT)
    leads = runtime.leads()
    lag = await _lag(site) if not problems else None
    gateway = runtime.gateway()
    if runtime.role == "bot" and leads:
        if gateway is None or not gateway.connected:
            problems.append("gateway: not connected to Discord")
        if lag is not None and lag > SCHEDULER_LAG_LIMIT:
            problems.append(f"scheduler: the oldest due row is {lag:.0f} seconds late")
    body = {
        "status": "fail" if problems else "ok",
        "problems": problems,
        "process": {"role": runtime.role, "leads": leads},
        "database": {
            "backend": database.backend,
            "ok": problem is None and latency is not None,
            "latency_ms": None if latency is None else round(latency, 2),
            "schema": revision,
            "schema_current": revision == head,
        },
        "gateway": None
        if gateway is None
        else {
            "connected": gateway.connected,
            "latency_ms": None
            if gateway.latency is None or not math.isfinite(gateway.latency)
            else round(gateway.latency * 1000, 1),
        },
        "scheduler": {"lag_seconds": None if lag is None else round(lag, 3)},
        "leader": _leader_json(leader),
    }
    response = web.json_response(body, status=503 if problems else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


async def metrics_page(request: web.Request) -> web.Response:
    site, runtime = request.app[SITE], request.app[RUNTIME]
    lag = await _lag(site)
    metrics.SCHEDULER_LAG.set(math.nan if lag is None else lag)
    gateway = runtime.gateway()
    latency = gateway.latency if gateway is not None and gateway.connected else None
    metrics.GATEWAY_LATENCY.set(math.nan if latency is None or not math.isfinite(latency) else latency)
    metrics.LEADER.set(1 if runtime.leads() else 0)
    response = web.Response(body=metrics.exposition())
    response.headers["Content-Type"] = metrics.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response
