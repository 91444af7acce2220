"""The JSON API: its routes, and every operation of its OpenAPI document fuzzed with schemathesis
against a real server (a thread of its own, so that schemathesis' blocking client can call it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bot.services.container import Services
from tests.web.conftest import GUILD, PDF, form, member
from tests.web.threaded import ThreadedSite


async def test_parks_search_and_one_park(client: TestClient, services: Services) -> None:
    response = await client.get("/api/parks", params={"q": "清华科技园"})
    assert response.status == 200 and response.content_type == "application/json"
    found = await response.json()
    assert found["items"][0]["slug"] == "tuspark" and found["problem"] is None
    listing = await (await client.get("/api/parks", params={"region": "East Asia", "page": "2"})).json()
    assert listing["page"] == 2 and all(p["region"] == "East Asia" for p in listing["items"])
    assert listing["total"] == len(services.parks.in_place(None, "East Asia"))
    park = await (await client.get("/api/parks/zhongguancun")).json()
    assert park["local_name"] == "中关村科技园区" and park["linked_members"] == 0
    assert "members" not in park  # a count, never a person
    missing = await client.get("/api/parks/no-such-park")
    assert missing.status == 404 and (await missing.json())["status"] == 404


async def test_workshops_and_reports(client: TestClient, services: Services) -> None:
    workshop = await services.workshops.create(GUILD, 1, form(capacity=2))
    await services.workshops.register(workshop.id, member(10))
    public, _ = await services.reports.publish(
        GUILD,
        title="Public",
        year=2026,
        summary="S",
        language="zh",
        publisher_id=1,
        visibility="public",
        file=services.reports.check_pdf(PDF, "p.pdf"),
    )
    members, _ = await services.reports.publish(
        GUILD,
        title="Members",
        year=2026,
        summary="S",
        language="en",
        publisher_id=1,
        visibility="members",
        url="https://cisip.example.org/m.pdf",
    )
    listing = await (await client.get("/api/workshops")).json()
    (upcoming,) = listing["upcoming"]
    assert upcoming["id"] == workshop.id and upcoming["seats_left"] == 1 and upcoming["capacity"] == 2
    assert upcoming["starts_at"] == "2027-08-20T01:00:00Z" and upcoming["timezone"] == "Asia/Shanghai"
    assert upcoming["ics"] == f"https://cisip.example.org/workshops/{workshop.id}.ics"
    assert (await (await client.get(f"/api/workshops/{workshop.id}")).json())["title"] == workshop.title
    assert (await client.get("/api/workshops/123456")).status == 404
    reports = await (await client.get("/api/reports")).json()
    assert [r["id"] for r in reports["items"]] == [public.id]
    assert reports["items"][0]["pdf"] == f"https://cisip.example.org/reports/{public.id}/file.pdf"
    assert (await client.get(f"/api/reports/{members.id}")).status == 404
    assert (await client.get("/api/reports", params={"page": "0"})).status == 400


async def test_the_openapi_document_names_every_api_route(client: TestClient) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    routes = {
        resource.canonical
        for resource in client.server.app.router.resources()  # type: ignore[union-attr]
        if resource.canonical.startswith("/api/") and resource.canonical != "/api/openapi.json"
    }
    documented = set(document["paths"])
    assert routes == {path.replace("{slug}", "{slug}") for path in documented}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_api_operation_keeps_its_document_whatever_it_is_sent(backend: str, tmp_path: Path) -> None:
    """Generated requests (valid and invalid) to every operation: never a 5xx, every answer's status,
    content type and body as the document says. A valid-looking search may still be refused (a query
    of nothing visible), so "valid data must be accepted" is not asked."""
    with ThreadedSite(backend, tmp_path) as site:
        base = f"http://127.0.0.1:{site.port}"
        import requests

        document: dict[str, Any] = requests.get(f"{base}/api/openapi.json", timeout=10).json()
        schema = schemathesis.openapi.from_dict(document)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 6
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=25,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                case.call_and_validate(base_url=base, excluded_checks=[positive_data_acceptance])

            call()
