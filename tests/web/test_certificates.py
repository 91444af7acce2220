"""/certificates/<number>: anyone can check that a certificate of completion is genuine: the name
on it and the workshop, nothing else; an unknown, malformed or erased number is a 404 page."""

from __future__ import annotations

from datetime import timedelta

from bot.scheduler import MovableClock
from bot.services.container import Services
from tests.bot.services.test_attendance import GUILD, START, clock, services, workshop_with
from tests.web.conftest import make_client

__all__ = ["clock", "services"]  # the fixtures, shared


async def test_a_genuine_certificate_is_confirmed_with_its_name_and_workshop_only(
    services: Services, clock: MovableClock
) -> None:
    workshop = await workshop_with(services, 10, 11)
    clock.set(START + timedelta(hours=1))
    await services.attendance.check_in_by_staff(GUILD, workshop.id, 10)
    (certificate,) = await services.certificates.issue(GUILD, workshop.id, display_names={10: "Ana Lima"})
    client = await make_client(services)
    try:
        page = await client.get(f"/certificates/{certificate.number}")
        html = await page.text()
        assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
        assert "This certificate is genuine." in html
        assert "Ana Lima" in html and workshop.title in html and certificate.number in html
        assert workshop.location not in html  # nothing more than the name and the workshop
        # As a reader types it: lower case, spaces instead of dashes.
        typed = certificate.number.lower().replace("-", " ")
        assert (await client.get(f"/certificates/{typed}")).status == 200
        chinese = await client.get(f"/certificates/{certificate.number}?lang=zh-CN")
        assert "此证书真实有效。" in await chinese.text()
        for wrong in ("CISIP-AAAA-AAAA-AAAA-AAAA", "x" * 5000, "%00%01", "<script>"):
            refused = await client.get(f"/certificates/{wrong}")
            assert refused.status in (404, 414), wrong
            if refused.status == 404:
                assert "No certificate has this number" in await refused.text()
        # The member's data erased: the certificate is no longer confirmed.
        await services.personal_data.erase(GUILD, 10)
        assert (await client.get(f"/certificates/{certificate.number}")).status == 404
    finally:
        await client.close()
