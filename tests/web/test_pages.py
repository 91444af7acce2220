"""The HTML pages: every route, in both languages, with the bot's own search."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.services.container import Services
from bot.services.parks import ParkDraft, ParkService
from bot.web.core import SITE, WebConfig
from tests.web.conftest import BASE, GUILD, PDF, form, make_client, member


async def test_home_shows_the_next_workshop_the_newest_public_report_and_the_directory(
    client: TestClient, services: Services
) -> None:
    workshop = await services.workshops.create(GUILD, 1, form())
    await services.reports.publish(
        GUILD,
        title="Development Report 2026",
        year=2026,
        summary="S",
        language="en",
        publisher_id=1,
        visibility="public",
        url="https://cisip.example.org/r.pdf",
    )
    await services.reports.publish(
        GUILD,
        title="Members Report",
        year=2027,
        summary="S",
        language="en",
        publisher_id=1,
        visibility="members",
        url="https://cisip.example.org/m.pdf",
    )
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert f'href="/workshops/{workshop.id}"' in html and "Science Park Management Workshop" in html
    assert "Development Report 2026" in html
    assert "Members Report" not in html
    assert "3 of 3 seats left" in html
    assert f"Browse all {len(services.parks.records)} parks" in html
    assert "<script" not in html


async def test_the_directory_finds_a_park_by_its_chinese_name_and_by_a_typo(client: TestClient) -> None:
    response = await client.get("/parks", params={"q": "中关村"})
    assert response.status == 200
    assert 'href="/parks/zhongguancun"' in await response.text()
    response = await client.get("/parks", params={"q": "Zhongguancn Science Park"})
    assert response.status == 200
    html = await response.text()
    first = re.search(r'<ul class="parks">\s*<li><a href="/parks/([a-z0-9-]+)"', html)
    assert first is not None and first.group(1) == "zhongguancun"


async def test_the_directory_filters_and_pages(client: TestClient, services: Services) -> None:
    response = await client.get("/parks", params={"country": "CN"})
    html = await response.text()
    chinese = [r for r in services.parks.records.values() if r.country == "CN"]
    assert f"{len(chinese)} parks" in html
    slugs = re.findall(r'<li><a href="/parks/([a-z0-9-]+)"', html)
    assert slugs and all(services.parks.records[s].country == "CN" for s in slugs)
    assert len(slugs) == min(20, len(chinese))
    second = await (await client.get("/parks", params={"country": "CN", "page": "2"})).text()
    assert set(re.findall(r'<li><a href="/parks/([a-z0-9-]+)"', second)).isdisjoint(slugs)
    focus = await (
        await client.get("/parks", params={"focus": "Biotechnology", "region": "East Asia"})
    ).text()
    for slug in re.findall(r'<li><a href="/parks/([a-z0-9-]+)"', focus):
        record = services.parks.records[slug]
        assert "Biotechnology" in record.focus and record.region == "East Asia"


async def test_a_search_that_finds_nothing_says_so_with_suggestions(client: TestClient) -> None:
    response = await client.get("/parks", params={"q": "qqqqxxxxzzzz"})
    assert response.status == 200
    assert "No park matches" in await response.text()


async def test_a_park_card_shows_no_person_only_a_count(client: TestClient) -> None:
    response = await client.get("/parks/zhongguancun")
    assert response.status == 200
    html = await response.text()
    assert "Zhongguancun Science Park" in html and "中关村科技园区" in html
    assert "0 members" in html


async def test_pages_switch_language_and_remember_it(client: TestClient) -> None:
    chinese = await client.get("/parks", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans">' in await chinese.text()
    assert "园区名录" in await chinese.text()
    english = await client.get("/parks", headers={"Accept-Language": "en-GB"})
    assert "Park directory" in await english.text()
    switched = await client.get("/parks?lang=zh-CN", headers={"Accept-Language": "en"})
    assert "园区名录" in await switched.text()
    cookie = switched.cookies["lang"]
    assert cookie.value == "zh-CN" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["secure"]  # WEB_BASE_URL is https
    # The cookie is remembered over the browser's own language.
    later = await client.get("/workshops", headers={"Accept-Language": "en", "Cookie": "lang=zh-CN"})
    assert "即将举行" in await later.text()
    assert "lang" not in later.cookies  # only a switch sets it
    back = await client.get("/workshops?lang=en", headers={"Cookie": "lang=zh-CN"})
    assert "Upcoming" in await back.text() and back.cookies["lang"].value == "en"
    # A switch link keeps the page's other parameters.
    html = await (await client.get("/parks?q=park&page=1")).text()
    assert 'href="/parks?q=park&amp;page=1&amp;lang=zh-CN"' in html


async def test_workshops_list_and_one_edition_with_seats(client: TestClient, services: Services) -> None:
    workshop = await services.workshops.create(GUILD, 1, form(capacity=2))
    await services.workshops.register(workshop.id, member(10))
    await services.workshops.register(workshop.id, member(11))
    await services.workshops.register(workshop.id, member(12))
    listing = await (await client.get("/workshops")).text()
    assert "Full: 1 on the waitlist" in listing
    page = await client.get(f"/workshops/{workshop.id}")
    assert page.status == 200
    html = await page.text()
    assert "Tianjin" in html and f'href="/workshops/{workshop.id}.ics"' in html
    assert "Aug 20, 2027" in html and "09:00" in html and "Asia/Shanghai" in html
    cancelled = await services.workshops.cancel(GUILD, workshop.id, "Venue closed")
    assert cancelled
    html = await (await client.get(f"/workshops/{workshop.id}")).text()
    assert "This workshop was cancelled." in html and "Venue closed" in html


async def test_a_draft_or_another_servers_workshop_is_not_found(
    client: TestClient, services: Services
) -> None:
    other = await services.workshops.create(GUILD + 1, 1, form())
    response = await client.get(f"/workshops/{other.id}")
    assert response.status == 404
    assert "No workshop has this number." in await response.text()


async def test_public_reports_are_listed_with_their_pdf_members_only_ones_are_refused(
    client: TestClient, services: Services
) -> None:
    public, _ = await services.reports.publish(
        GUILD,
        title="Public Report",
        year=2026,
        summary="For everyone",
        language="en",
        publisher_id=1,
        visibility="public",
        file=services.reports.check_pdf(PDF, "public.pdf"),
    )
    private, _ = await services.reports.publish(
        GUILD,
        title="Members Report",
        year=2026,
        summary="For members",
        language="en",
        publisher_id=1,
        visibility="members",
        file=services.reports.check_pdf(PDF + b" ", "members.pdf"),
    )
    listing = await (await client.get("/reports")).text()
    assert "Public Report" in listing and "Members Report" not in listing
    page = await client.get(f"/reports/{public.id}")
    assert page.status == 200 and f"/reports/{public.id}/file.pdf" in await page.text()
    pdf = await client.get(f"/reports/{public.id}/file.pdf")
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert await pdf.read() == PDF
    assert "attachment" in pdf.headers["Content-Disposition"]
    again = await client.get(f"/reports/{public.id}/file.pdf", headers={"If-None-Match": pdf.headers["ETag"]})
    assert again.status == 304
    assert (await client.get(f"/reports/{private.id}")).status == 404
    refused = await client.get(f"/reports/{private.id}/file.pdf")
    assert refused.status == 404 and await refused.read() != PDF


async def test_the_chart_is_a_png_with_an_etag(client: TestClient) -> None:
    response = await client.get("/parks/stats.png")
    assert response.status == 200 and response.content_type == "image/png"
    body = await response.read()
    assert body.startswith(b"\x89PNG")
    assert "max-age" in response.headers["Cache-Control"]
    again = await client.get("/parks/stats.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304 and await again.read() == b""


async def test_the_stylesheet_is_served_from_the_package(client: TestClient) -> None:
    response = await client.get("/static/style.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert "@media" in await response.text()
    assert (await client.get("/static/../app.py")).status == 404


async def test_without_web_guild_id_the_pages_show_the_one_server_the_database_knows(
    services: Services,
) -> None:
    client = await make_client(services, WebConfig(base_url=BASE))
    try:
        assert "No workshop is scheduled yet." in await (await client.get("/workshops")).text()
        workshop = await services.workshops.create(GUILD, 1, form())
        client.server.app[SITE]._guild = None  # type: ignore[index]  # forget the minute's answer
        html = await (await client.get("/workshops")).text()
        assert f'href="/workshops/{workshop.id}"' in html
    finally:
        await client.close()


async def test_a_park_changed_by_another_process_shows_after_the_refresh(services: Services) -> None:
    client = await make_client(services, WebConfig(base_url=BASE, guild_id=GUILD))
    try:
        other = ParkService(services.db, services.clock)  # another process's view of the directory
        await other.load()
        await other.add(ParkDraft(name="Tianjin Binhai Test Park", country="CN", region="East Asia"))
        assert (await client.get("/parks/tianjin-binhai-test-park")).status == 404
        site = client.server.app[SITE]
        await site.refresh_parks()  # looked a moment ago: not yet
        assert (await client.get("/parks/tianjin-binhai-test-park")).status == 404
        site._parks_checked = 0.0  # the refresher's next look, PARKS_RECHECK seconds later
        await site.refresh_parks()
        assert (await client.get("/parks/tianjin-binhai-test-park")).status == 200
    finally:
        await client.close()
