"""Prometheus metrics of this process, served by the web server at ``/metrics``.

One registry per process (not prometheus-client's global one, so tests and libraries add nothing
to it). The Discord side reports what it does through the functions below; the web server fills
the gauges that are read when scraped (scheduler lag, gateway latency). Nothing here knows discord.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Interactions answer within Discord's 3 seconds: buckets from 5 ms to 3 s.
_INTERACTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_WEB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0)

INTERACTIONS = Counter(
    "cisip_interactions",
    "Slash commands and autocompletes handled, by command and outcome (ok, failed).",
    ["command", "outcome"],
    registry=REGISTRY,
)
INTERACTION_SECONDS = Histogram(
    "cisip_interaction_seconds",
    "Time from an interaction's arrival to the end of its handler, by command.",
    ["command"],
    buckets=_INTERACTION_BUCKETS,
    registry=REGISTRY,
)
DMS = Counter(
    "cisip_dms",
    "Direct messages the bot sent (report deliveries and every other DM), by outcome "
    "(sent, dms_closed, failed, server_error).",
    ["outcome"],
    registry=REGISTRY,
)
SCHEDULER_LAG = Gauge(
    "cisip_scheduler_lag_seconds",
    "How late the oldest pending scheduled row is (0 when none is due), read when scraped.",
    registry=REGISTRY,
)
GATEWAY_LATENCY = Gauge(
    "cisip_gateway_latency_seconds",
    "The gateway's heartbeat round trip (NaN when this process has no gateway connection).",
    registry=REGISTRY,
)
LEADER = Gauge(
    "cisip_leader",
    "1 when this process holds the leader's lock (runs the gateway and the scheduler), else 0.",
    registry=REGISTRY,
)
WEB_REQUESTS = Counter(
    "cisip_web_requests",
    "Web requests answered, by route, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
WEB_SECONDS = Histogram(
    "cisip_web_request_seconds",
    "Time to answer a web request, by route.",
    ["route"],
    buckets=_WEB_BUCKETS,
    registry=REGISTRY,
)


def observe_interaction(command: str, *, failed: bool, seconds: float) -> None:
    INTERACTIONS.labels(command, "failed" if failed else "ok").inc()
    INTERACTION_SECONDS.labels(command).observe(max(0.0, seconds))


def count_dm(outcome: str) -> None:
    DMS.labels(outcome).inc()


def observe_web(route: str, method: str, status: int, seconds: float) -> None:
    WEB_REQUESTS.labels(route, method, str(status)).inc()
    WEB_SECONDS.labels(route).observe(max(0.0, seconds))


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    return generate_latest(REGISTRY)
