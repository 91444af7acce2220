"""For operators: /healthz says what is wrong with 503, /metrics speaks Prometheus."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from bot import metrics
from bot.services.container import Services
from bot.web.core import WebConfig
from bot.web.site import Gateway, Runtime
from tests.web.conftest import BASE, GUILD, make_client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_a_web_process_is_healthy_when_its_database_is(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["process"] == {"role": "web", "leads": False}
    assert body["database"]["ok"] and body["database"]["schema_current"]
    assert body["gateway"] is None and body["scheduler"]["lag_seconds"] == 0
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_leading_bot_without_its_gateway_or_with_a_late_scheduler_is_unhealthy(
    services: Services,
) -> None:
    state = {"connected": False}
    runtime = Runtime(
        role="bot",
        gateway=lambda: Gateway(connected=state["connected"], latency=0.042),
        leads=lambda: True,
    )
    client = await make_client(services, WebConfig(base_url=BASE, guild_id=GUILD), runtime)
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "fail" and body["problems"] == ["gateway: not connected to Discord"]
        state["connected"] = True
        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["gateway"] == {"connected": True, "latency_ms": 42.0}
        # A row due ten minutes ago that nobody ran: the scheduler is not keeping up.
        await services.scheduler.schedule("test.kind", services.clock.now(), {}, dedupe_key="late")
        services.clock.advance(minutes=10)  # type: ignore[attr-defined]
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["problems"] == ["scheduler: the oldest due row is 600 seconds late"]
        assert body["scheduler"]["lag_seconds"] == 600
        metrics_text = await (await client.get("/metrics")).text()
        values = samples(metrics_text)
        assert values[("cisip_scheduler_lag_seconds", ())] == 600
        assert values[("cisip_gateway_latency_seconds", ())] == 0.042
        assert values[("cisip_leader", ())] == 1
    finally:
        await client.close()


async def test_a_standby_is_healthy_without_a_gateway(services: Services) -> None:
    runtime = Runtime(role="bot", gateway=lambda: None, leads=lambda: False)
    client = await make_client(services, WebConfig(base_url=BASE, guild_id=GUILD), runtime)
    try:
        response = await client.get("/healthz")
        assert response.status == 200 and (await response.json())["process"] == {
            "role": "bot",
            "leads": False,
        }
    finally:
        await client.close()


async def test_a_database_that_does_not_answer_is_a_503(services: Services) -> None:
    client = await make_client(services)
    url = services.db.engine.url
    # A database file in a folder that does not exist, or a PostgreSQL port nobody listens on.
    gone = (
        url.set(database="/nonexistent/folder/db.sqlite3")
        if url.drivername.startswith("sqlite")
        else url.set(port=1)
    )
    working, services.db.engine = services.db.engine, create_async_engine(gone)
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "fail" and body["problems"][0].startswith("database: ")
        assert body["database"]["ok"] is False
    finally:
        await services.db.engine.dispose()
        services.db.engine = working
        await client.close()


async def test_metrics_count_web_requests_interactions_and_dms(client: TestClient) -> None:
    metrics.observe_interaction("park search", failed=False, seconds=0.012)
    metrics.observe_interaction("park search", failed=True, seconds=0.2)
    metrics.count_dm("sent")
    metrics.count_dm("dms_closed")
    before = samples(metrics.exposition().decode())
    await client.get("/parks")
    await client.get("/no/such/page")
    response = await client.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    values = samples(await response.text())
    parks = ("cisip_web_requests_total", (("method", "GET"), ("route", "/parks"), ("status", "200")))
    assert values[parks] == before.get(parks, 0) + 1
    missing = ("cisip_web_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))
    assert values[missing] == before.get(missing, 0) + 1
    for outcome in ("ok", "failed"):
        key = ("cisip_interactions_total", (("command", "park search"), ("outcome", outcome)))
        assert values[key] >= 1
    assert values[("cisip_interaction_seconds_count", (("command", "park search"),))] >= 2
    assert values[("cisip_dms_total", (("outcome", "sent"),))] >= 1
    assert values[("cisip_dms_total", (("outcome", "dms_closed"),))] >= 1
    assert (
        values[("cisip_gateway_latency_seconds", ())] != values[("cisip_gateway_latency_seconds", ())]
    )  # NaN
