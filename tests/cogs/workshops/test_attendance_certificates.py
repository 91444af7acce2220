"""Certificates end to end: sent by DM to every attendee when the workshop ends (once, across a
restart), the PDF's text in both languages (pdftotext), /workshop mine for closed DMs, staff's
/workshop-admin certificates, the switch, the public check of a number, and erasure."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.verification import validate_application
from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_attendance import TITLE, code_of, here
from tests.cogs.workshops.test_workshops import END_UTC, START_UTC, World
from tests.fakediscord.state import Member

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (Debian: poppler-utils)"),
]

SITE = "https://cisip.example.org"
NUMBER = re.compile(r"CISIP-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


def pdf_text(data: bytes, tmp_path: Path) -> str:
    assert data.startswith(b"%PDF-")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


async def verified(cisip: BotHarness, world: World, who: Member, name: str, organization: str) -> None:
    services = cisip.bot.services
    application = validate_application(name, organization, f"u{who.id}@park.example.cn", "China", "research")
    outcome = await services.verification.apply(
        cisip.discord.guild.id, who.id, application, server_name="CISIP"
    )
    await services.memberships.approve(outcome.membership.id, world.staff.id)


def certificates(messages: list) -> list:
    return [m for m in messages if m.content.startswith("Thank you for taking part")]


@pytest.fixture
async def site(cisip: BotHarness) -> BotHarness:
    """The bot with its web pages at a public address, so certificates carry the link."""
    cisip.settings = replace(cisip.settings, web_base_url=SITE)
    await cisip.restart()
    return cisip


async def test_certificates_are_sent_at_the_end_and_read_in_both_languages(
    site: BotHarness, world: World, tmp_path: Path
) -> None:
    cisip, d = site, site.discord
    world.fast_edits()
    await world.create({"ends": "2027-04-21 17:00"})  # two days of 8 hours
    wang = world.member("wang")
    bob = world.member("bob", nick="Bob Li", dms_open=False)
    carol = world.member("carol")  # registered, never comes
    await verified(cisip, world, wang, "王小明 Wang Xiaoming", "天津科技园 TEDA Science Park")
    for member in (wang, bob, carol):
        await d.click(member, world.announcement(), label="Register")

    cisip.clock.set(START_UTC)
    code = code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1"))
    await here(world, wang, code)
    await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(bob.id))
    cisip.clock.set(START_UTC + timedelta(days=1))
    code = code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1"))
    await here(world, wang, code)

    # The end: the ended row schedules the certificates' row, which sends them, once.
    await world.run_at(END_UTC + timedelta(days=1, seconds=1))
    await cisip.bot.scheduler.run_due()
    await cisip.restart()
    await cisip.bot.scheduler.run_due()
    (dm,) = certificates(d.dms_to(wang))
    number = NUMBER.search(dm.content)
    assert number is not None
    assert dm.content.endswith(
        f"Anyone can check that it is genuine at {SITE}/certificates/{number.group(0)}"
    )
    (name, data) = dm.files[0]
    assert name == f"certificate-{number.group(0)}.pdf"
    text = pdf_text(data, tmp_path)
    for expected in (
        "Certificate of Completion",
        "结业证书",
        "王小明 Wang Xiaoming",
        "天津科技园 TEDA Science Park",
        TITLE,
        "April 20, 2027 – April 21, 2027",
        "2027年4月20日 至 2027年4月21日",
        "Tianjin, TEDA",
        "Hours attended: 16 (2 days)",
        "出席学时：16 小时（2 天）",
        number.group(0),
        f"{SITE}/certificates/{number.group(0)}",
    ):
        assert expected in text, expected
    assert certificates(d.dms_to(bob)) == [] and certificates(d.dms_to(carol)) == []

    # The public check: the name and the workshop, nothing else; any case, spaces or dashes.
    found = await cisip.bot.services.certificates.verify_certificate(
        number.group(0).lower().replace("-", " ")
    )
    assert found is not None and (found.name, found.workshop_title) == ("王小明 Wang Xiaoming", TITLE)
    assert await cisip.bot.services.certificates.verify_certificate("CISIP-AAAA-AAAA-AAAA-AAAA") is None
    assert await cisip.bot.services.certificates.verify_certificate("nonsense") is None

    # Bob's DMs are closed: /workshop mine hands him his (one day, 8 hours, his server name).
    mine = await d.slash(bob, "workshop mine")
    assert "Your certificates of completion:" in mine.content
    (bob_name, bob_pdf) = mine.files[0]
    bob_text = pdf_text(bob_pdf, tmp_path)
    assert "Bob Li" in bob_text and "Hours attended: 8 (1 day)" in bob_text
    assert NUMBER.search(bob_name) is not None and bob_name != name

    # Staff issue Wang's again: the same number.
    again = await d.slash(world.staff, "workshop-admin certificates", workshop="1", member=str(wang.id))
    assert again.content == (
        f"Certificates for **{TITLE}**: 1 of 1 sent by direct message; "
        "0 with closed DMs (they get theirs with /workshop mine)."
    )
    assert number.group(0) in certificates(d.dms_to(wang))[-1].content
    nobody = await d.slash(world.staff, "workshop-admin certificates", workshop="1", member=str(carol.id))
    assert nobody.content == f"That member did not check in at **{TITLE}**: there is no certificate to issue."

    # Erased with the member's other data: the number no longer checks out.
    await cisip.bot.services.personal_data.erase(d.guild.id, wang.id)
    assert await cisip.bot.services.certificates.verify_certificate(number.group(0)) is None


async def test_staff_can_switch_the_certificates_off(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create()
    alice = world.member("alice")
    await d.click(alice, world.announcement(), label="Register")
    switched = await d.slash(world.staff, "workshop-admin certificates", workshop="1", at_end=False)
    assert switched.content == (
        f"Certificates of **{TITLE}** will not be sent when it ends; "
        "send them with /workshop-admin certificates."
    )
    empty = await d.slash(world.staff, "workshop-admin certificates", workshop="1")
    assert empty.content == f"Nobody checked in at **{TITLE}**: there are no certificates to send."
    cisip.clock.set(START_UTC)
    await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(alice.id))
    await world.run_at(END_UTC + timedelta(seconds=1))
    await cisip.bot.scheduler.run_due()
    assert certificates(d.dms_to(alice)) == []
    # Without a public web address the DM carries no link.
    sent = await d.slash(world.staff, "workshop-admin certificates", workshop="1")
    assert sent.content.startswith(f"Certificates for **{TITLE}**: 1 of 1 sent")
    (dm,) = certificates(d.dms_to(alice))
    assert "/certificates/" not in dm.content
