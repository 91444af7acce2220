"""Reports against careless and hostile input, end to end: the report option names a report or
answers "No report matches" privately, its autocomplete answers any text, staff-only suggestions
are for staff, invisible text is refused, a file missing from Discord's data is refused, and the
longest report anyone can publish still fits every message that shows it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models_reports import Report, ReportDelivery
from bot.services.delivery import EngineOptions
from tests.cogs.conftest import BotHarness
from tests.cogs.reports.test_reports import (
    PDF,
    delivered,
    publish,
    report_dms,
    reports_channel,
    staff,
    stored_report,
    subscribe,
    use_engine,
    verified,
)
from tests.fakediscord.dsl import Reply
from tests.fakediscord.interactions import InteractionType
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
REPORT_COMMANDS = ("report get", "report-admin edit", "report-admin withdraw", "report-admin deliveries")
STAFF_COMMANDS = REPORT_COMMANDS[1:]


def progress_dms(discord: Any, admin: Any) -> list[Any]:
    """The staff member's DMs about deliveries: their welcome DM (a scheduled job of its own) may
    arrive at any time."""
    return [dm for dm in discord.dms_to(admin) if not dm.content.startswith("Welcome to")]


@pytest.fixture(autouse=True)
def fast_engine(cisip: BotHarness, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_engine(monkeypatch, EngineOptions(workers=4, retry_delay=0.01, flush_every=0.05, progress_every=0.1))
    yield


async def unchecked(
    cisip: BotHarness,
    who: Member,
    command: str,
    values: dict[str, Any],
    *,
    sent: dict[str, Any] | None = None,
    drop_resolved: str | None = None,
    forget_files: bool = False,
) -> Reply:
    """``/command`` with ``values``, then what Discord itself would refuse: the ``sent`` values
    instead (too long...), or the resolved data without ``drop_resolved`` (a file it did not send).
    A client can send all that anyway."""
    discord = cisip.discord
    channel = discord.channel("general")
    data = discord._command_data(command, channel, values, focused=None)
    for option in data["options"][0]["options"]:
        option["value"] = (sent or {}).get(option["name"], option["value"])
    if drop_resolved is not None:
        data["resolved"].pop(drop_resolved)
    if forget_files:  # Discord no longer serves them (deleted, or the link expired)
        for attachment_id in data["resolved"]["attachments"]:
            del discord.em.world.attachments[int(attachment_id)]
    inter = discord.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, who.user, channel)
    return await discord.wait_reply(inter, f"/{command}")


async def counts(cisip: BotHarness) -> tuple[int, int]:
    async with cisip.bot.db.session() as session:
        reports = await session.scalar(select(func.count()).select_from(Report))
        deliveries = await session.scalar(select(func.count()).select_from(ReportDelivery))
    return int(reports or 0), int(deliveries or 0)


async def test_a_report_option_takes_an_id_or_an_exact_title_and_answers_anything_else_privately(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, url="https://cisip.org/r.pdf", visibility="public")
    report = await stored_report(cisip)
    member = discord.add_member("mallory")

    for who, commands in ((admin, REPORT_COMMANDS), (member, ("report get",))):
        for command in commands:
            for typed in (
                "99999999999999999999",  # used to answer "Something went wrong"
                str(2**63),
                str(2**64),
                "9" * 100,
                str(report.id + 1000),
                "Science Park",  # part of a title, typed without picking
                "１",
            ):
                reply = await discord.slash(who, command, report=typed)
                assert reply.ephemeral, (command, typed)
                assert reply.content == f"No report matches '{typed}'.", (command, typed)
            reply = await discord.slash(who, command, report=ZERO_WIDTH)
            assert reply.ephemeral and reply.content == "The report cannot be empty."

    # A title typed in full without picking is the report, in any letter case.
    reply = await discord.slash(member, "report get", report="science park development report")
    assert reply.embeds[0]["title"] == "Science Park Development Report (2026)"
    reply = await discord.slash(admin, "report-admin deliveries", report=f"#{report.id}")
    assert reply.embeds[0]["title"] == "Deliveries of Science Park Development Report"
    reply = await discord.slash(
        admin, "report-admin edit", report="Science Park Development Report", year=2025
    )
    assert reply.content == "Science Park Development Report is updated."
    reply = await discord.slash(
        admin, "report-admin withdraw", report="Science Park Development Report (2025)"
    )
    assert reply.content.startswith("Science Park Development Report is withdrawn")
    assert (await stored_report(cisip)).status == "withdrawn"


async def test_a_member_finds_only_what_they_may_read_even_by_title(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, title="Members only", url="https://cisip.org/m.pdf")
    guest, vera = discord.add_member("guest"), discord.add_member("vera")
    await verified(cisip, vera)

    for typed in ("Members only", str((await stored_report(cisip, "Members only")).id)):
        reply = await discord.slash(guest, "report get", report=typed)
        assert reply.ephemeral and reply.content == f"No report matches '{typed}'."
        reply = await discord.slash(vera, "report get", report=typed)
        assert reply.embeds[0]["title"] == "Members only (2026)"
    assert await discord.autocomplete(guest, "report get", "report", "members") == []
    assert [c["name"] for c in await discord.autocomplete(vera, "report get", "report", "members")] == [
        "Members only (2026)"
    ]


async def test_the_same_title_in_two_years_must_be_picked(cisip: BotHarness) -> None:
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, year=2019, url="https://cisip.org/2019.pdf")
    await publish(cisip, admin, year=2020, url="https://cisip.org/2020.pdf")
    reply = await cisip.discord.slash(
        admin, "report-admin withdraw", report="Science Park Development Report"
    )
    assert reply.content == (
        "Several reports match 'Science Park Development Report': pick one from the list."
    )
    async with cisip.bot.db.session() as session:
        assert set((await session.scalars(select(Report.status))).all()) == {"published"}


async def test_a_report_option_longer_than_declared_is_refused_before_anything_runs(
    cisip: BotHarness,
) -> None:
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    for command in REPORT_COMMANDS:
        reply = await unchecked(cisip, admin, command, {"report": "1"}, sent={"report": "9" * 6000})
        assert reply.ephemeral
        assert reply.content == "The option `report` takes at most 220 characters."
    assert (await stored_report(cisip)).status == "published"


async def test_the_report_autocomplete_answers_any_text(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, url="https://cisip.org/r.pdf", visibility="public")
    report = await stored_report(cisip)
    member = discord.add_member("mallory")

    everything = [{"name": "Science Park Development Report (2026)", "value": str(report.id)}]
    for typed, expected in (
        ("x" * 6000, []),  # longer than the option takes: no choices, at once
        ("\x00", everything),  # nothing visible typed yet: everything
        ("Sci\x00ence", everything),
        ("9" * 6000, []),
        (str(2**64), []),
        ("99999999999999999999", []),
        ("%", []),
        (str(report.id), everything),
        ("2026", everything),
    ):
        for command in REPORT_COMMANDS:
            who = admin if command in STAFF_COMMANDS else member
            assert await discord.autocomplete(who, command, "report", typed) == expected, (command, typed)
    for command in STAFF_COMMANDS:  # staff suggestions are for staff only
        assert await discord.autocomplete(member, command, "report", "") == []
        assert await discord.autocomplete(member, command, "report", str(report.id)) == []


async def test_invisible_or_oversized_text_is_refused_with_the_fields_message(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    alice = discord.add_member("alice")
    await subscribe(cisip, alice)

    for options, message in (
        ({"title": ZERO_WIDTH}, "The title cannot be empty."),
        ({"title": "\u3164\u3164"}, "The title cannot be empty."),
        ({"summary": ZERO_WIDTH}, "The summary cannot be empty."),
        ({"url": "\u200b"}, "The web address cannot be empty."),
    ):
        reply = await publish(cisip, admin, **{"url": "https://cisip.org/r.pdf", **options})
        assert reply.ephemeral and reply.content == message, options
        # With a PDF too: refused before the file is downloaded and stored.
        reply = await publish(cisip, admin, **{"file": ("report.pdf", PDF), **options})
        assert reply.ephemeral and reply.content == message, options
    assert not (cisip.settings.data_dir / "reports").exists()
    for name, length in (("title", 200), ("summary", 1500), ("url", 500)):
        values = {"title": "T", "year": 2026, "summary": "S", "language": "en", "url": "https://cisip.org/r"}
        reply = await unchecked(cisip, admin, "report-admin publish", values, sent={name: "h" * 6000})
        assert reply.ephemeral
        assert reply.content == f"The option `{name}` takes at most {length:,} characters."
    assert await counts(cisip) == (0, 0)
    assert discord.messages_in(channel) == []

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    report = await stored_report(cisip)
    reply = await discord.slash(
        admin, "report-admin edit", report=str(report.id), year=2020, summary=ZERO_WIDTH
    )
    assert reply.content == "The summary cannot be empty."
    assert (await stored_report(cisip)).year == 2026  # nothing changed half-way
    reply = await discord.slash(
        admin, "report-admin edit", report=str(report.id), title=f"Re\x00port{ZERO_WIDTH} 2026\u202e"
    )
    assert reply.content == "Report 2026 is updated."
    assert discord.messages_in(channel)[-1].embeds[0]["title"] == "Report 2026 (2026)"


async def test_a_file_discord_did_not_send_is_refused_and_nothing_is_published(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    alice = discord.add_member("alice")
    await subscribe(cisip, alice)

    values = {
        "title": "Science Park Development Report",
        "year": 2026,
        "summary": "Parks grew again.",
        "language": "en",
        "file": ("report.pdf", PDF),
    }
    reply = await unchecked(cisip, admin, "report-admin publish", values, drop_resolved="attachments")

    assert reply.ephemeral
    assert reply.content == (
        "Discord did not send the file picked for `file` (was it just deleted?): pick it again."
    )
    assert await counts(cisip) == (0, 0)
    assert discord.messages_in(channel) == []
    assert not (cisip.settings.data_dir / "reports").exists()


async def test_a_file_discord_no_longer_serves_is_refused_and_nothing_is_published(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    values = {
        "title": "Science Park Development Report",
        "year": 2026,
        "summary": "Parks grew again.",
        "language": "en",
        "file": ("report\u200b 2026.pdf", PDF),
    }
    reply = await unchecked(cisip, admin, "report-admin publish", values, forget_files=True)
    assert reply.ephemeral
    assert reply.content == "I could not download report 2026.pdf from Discord: attach it again."
    assert await counts(cisip) == (0, 0)
    assert discord.messages_in(channel) == []


async def test_a_hostile_file_name_is_made_safe(cisip: BotHarness) -> None:
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    reply = await publish(cisip, admin, file=("..\\..\\\x00evil\u202e" + "n" * 300 + '<>|".pdf', PDF))
    assert reply.content.startswith("Published"), reply.content
    name = (await stored_report(cisip)).file_name
    assert name == "evil" + "n" * 192 + ".pdf"
    assert cisip.discord.messages_in(channel)[-1].files == [(name, PDF)]


async def test_the_longest_report_fits_everywhere_it_is_shown(cisip: BotHarness) -> None:
    """Titles of 200 characters and summaries of 1,500 in the announcement, the DM, the list, the
    reply to get, the deliveries and the progress message: Discord (the emulator) accepts them all."""
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    alice = discord.add_member("alice")
    await subscribe(cisip, alice)
    summary = ("A summary line that goes on. " * 60)[:1499] + "."
    titles = {year: (f"{year} " + "Long title " * 20)[:200] for year in range(2020, 2026)}
    for year, title in titles.items():
        reply = await publish(
            cisip, admin, title=title, year=year, summary=summary, url="https://cisip.org/r"
        )
        assert reply.content.startswith("Published"), reply.content
        await delivered(cisip, title)

    announcement = discord.messages_in(channel)[-1]
    assert announcement.embeds[0]["description"] == summary
    dm = report_dms(cisip, alice)[-1]
    assert dm.embeds[0]["title"] == f"{titles[2025]} (2025)"
    listing = await discord.slash(alice, "report list")
    assert [f["name"] for f in listing.embeds[0]["fields"]] == [
        f"{titles[year]} ({year})" for year in range(2025, 2020, -1)
    ]
    report = await stored_report(cisip, titles[2025])
    got = await discord.slash(alice, "report get", report=str(report.id))
    assert got.embeds[0]["description"] == summary
    deliveries = await discord.slash(admin, "report-admin deliveries", report=str(report.id))
    assert deliveries.embeds[0]["title"] == f"Deliveries of {titles[2025]}"
    assert progress_dms(discord, admin)[-1].content.startswith(f"**{titles[2025]}**: delivery finished.")
