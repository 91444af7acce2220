"""Safe by default: security headers everywhere, every bad parameter a 4xx page (never a 500),
searches rate-limited per address, WEB_PUBLIC=false hides all but /healthz and /metrics."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from bot.services.container import Services
from bot.web.app import CONTENT_SECURITY_POLICY
from bot.web.core import WebConfig
from tests.web.conftest import BASE, GUILD, make_client

PAGES = ["/", "/parks", "/parks/zhongguancun", "/workshops", "/reports", "/api/parks", "/healthz", "/metrics"]


@pytest.mark.parametrize("path", [*PAGES, "/no/such/page", "/parks/stats.png", "/static/style.css"])
async def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status < 500
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


BAD = [
    ("/parks?page=" + "1" + "0" * 30, 400, "The page must be a whole number from 1 to 10,000."),
    ("/parks?page=-1", 400, "The page must be a whole number"),
    ("/parks?page=%EF%BC%91", 400, "The page must be a whole number"),  # a full-width digit
    ("/reports?page=abc", 400, "The page must be a whole number"),
    ("/parks/" + "a" * 5000, 404, "No park has this address"),
    ("/parks/..%2F..%2Fetc%2Fpasswd", 404, ""),
    ("/parks/Zhongguancun", 404, "No park has this address"),
    ("/parks?q=" + quote("\x00\x01\x02\x1b\u200b"), 400, "The search cannot be empty."),
    ("/parks?q=" + "x" * 1000, 400, "The search can be at most 100 characters long."),
    ("/parks?country=XX", 400, "Unknown country"),
    ("/parks?country=" + quote("中国"), 400, "Unknown country"),
    ("/parks?region=Atlantis", 400, "Unknown region"),
    ("/parks?focus=" + quote("<script>"), 400, "Unknown focus industry"),
    ("/parks?lang=xx", 400, "Unknown language."),
    ("/workshops/" + "9" * 30, 404, "No workshop has this number."),
    ("/workshops/-1", 404, "No workshop has this number."),
    ("/workshops/1e3", 404, "No workshop has this number."),
    ("/reports/" + "9" * 30, 404, "No public report has this number."),
    ("/reports/0/file.pdf", 404, "No public report has this number."),
    ("/api/parks?page=" + "9" * 30, 400, "The page must be a whole number"),
    ("/api/parks/" + "a" * 5000, 404, "No park has this address"),
    ("/api/workshops/abc", 404, "No workshop has this number."),
    ("/nothing/here", 404, "There is nothing at this address."),
]


@pytest.mark.parametrize(("url", "status", "says"), BAD)
async def test_bad_input_is_a_4xx_page_never_a_500(
    client: TestClient, url: str, status: int, says: str
) -> None:
    response = await client.get(url)
    assert response.status == status, await response.text()
    text = await response.text()
    assert says in text
    if url.startswith("/api/"):
        assert response.content_type == "application/json"
        assert (await response.json())["status"] == status
    else:
        assert response.content_type == "text/html" and "<h1>" in text
        assert "<script>" not in text  # what was typed is never echoed unescaped
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_404_page_is_in_the_readers_language(client: TestClient) -> None:
    response = await client.get("/nothing/here", headers={"Accept-Language": "zh-CN"})
    assert response.status == 404
    text = await response.text()
    assert "找不到页面" in text and "此地址没有内容。" in text


async def test_an_empty_search_box_browses_the_directory(client: TestClient, services: Services) -> None:
    for blank in ("", "   "):
        response = await client.get("/parks", params={"q": blank})
        assert response.status == 200
        assert f"{len(services.parks.records)} parks" in await response.text()


async def test_a_method_other_than_get_is_refused(client: TestClient) -> None:
    response = await client.post("/parks", data={"q": "x"})
    assert response.status == 405
    assert "GET" in response.headers["Allow"]


async def test_typed_text_is_escaped_in_the_page(client: TestClient) -> None:
    response = await client.get("/parks", params={"q": '"><img src=x onerror=alert(1)>'})
    assert response.status == 200
    text = await response.text()
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


async def test_searches_are_rate_limited_per_address(services: Services) -> None:
    client = await make_client(
        services, WebConfig(base_url=BASE, guild_id=GUILD, search_burst=3, search_rate=0.01)
    )
    try:
        for _ in range(3):
            assert (await client.get("/parks", params={"q": "park"})).status == 200
        refused = await client.get("/parks", params={"q": "park"})
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Too many searches from your address" in await refused.text()
        assert (await client.get("/api/parks", params={"q": "park"})).status == 429
        # Browsing without a search costs nothing.
        assert (await client.get("/parks", params={"country": "CN"})).status == 200
    finally:
        await client.close()


async def test_web_public_false_hides_all_but_healthz_and_metrics(services: Services) -> None:
    client = await make_client(services, WebConfig(base_url=BASE, guild_id=GUILD, public=False))
    try:
        for path in [
            "/",
            "/parks",
            "/parks/zhongguancun",
            "/workshops.ics",
            "/api/parks",
            "/api/openapi.json",
            "/static/style.css",
            "/reports",
        ]:
            response = await client.get(path)
            assert response.status == 404, path
            text = await response.text()
            assert "Zhongguancun" not in text and "There is nothing at this address." in text
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/metrics")).status == 200
    finally:
        await client.close()


async def test_a_remembered_answer_is_not_served_once_the_directory_changed(
    client: TestClient, services: Services
) -> None:
    """Directory answers are remembered as sent, for one state of the directory: a park removed
    by staff disappears from the very next search, page and API alike."""
    first = services.parks.records[next(iter(services.parks.records))]
    query = {"q": first.name}
    assert f'href="/parks/{first.slug}"' in await (await client.get("/parks", params=query)).text()
    assert (await (await client.get("/api/parks", params=query)).json())["items"][0]["slug"] == first.slug
    await services.parks.remove(first.slug)
    page = await (await client.get("/parks", params=query)).text()
    assert f'href="/parks/{first.slug}"' not in page
    answer = await (await client.get("/api/parks", params=query)).json()
    assert first.slug not in [item["slug"] for item in answer["items"]]
