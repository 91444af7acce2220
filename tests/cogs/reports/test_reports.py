"""Reports end to end: publish, announce, DM every subscriber exactly once, resume after a restart."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.db.models import AuditEntry, ScheduledJob
from bot.db.models_members import Membership
from bot.db.models_reports import Report, ReportDelivery, ReportFile, ReportSubscription
from bot.services.delivery import EngineOptions, delivery_nonce
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n"
FAST = EngineOptions(workers=4, max_attempts=3, retry_delay=0.01, flush_every=0.05, progress_every=0.1)


def progress_dms(discord: Any, admin: Any) -> list[Any]:
    """The staff member's DMs about deliveries: their welcome DM (a scheduled job of its own) may
    arrive at any time."""
    return [dm for dm in discord.dms_to(admin) if not dm.content.startswith("Welcome to")]


def live_module() -> Any:
    """The delivery module the bot loaded (discord.py executes extensions as fresh module objects)."""
    return sys.modules["cogs.reports._delivery"]


def use_engine(monkeypatch: pytest.MonkeyPatch, options: EngineOptions) -> None:
    monkeypatch.setattr(live_module().DeliveryRunner, "engine_options", options)


@pytest.fixture(autouse=True)
def fast_engine(cisip: BotHarness, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_engine(monkeypatch, FAST)
    yield


def staff(cisip: BotHarness, name: str = "sam") -> Member:
    discord = cisip.discord
    try:
        role = discord.role("Admins")
    except AssertionError:
        role = discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)
    return discord.add_member(name, roles=[role])


async def reports_channel(cisip: BotHarness, admin: Member) -> Any:
    channel = cisip.discord.add_channel("reports")
    reply = await cisip.discord.slash(admin, "setup channel", purpose="reports", channel=channel)
    assert "Reports channel set" in reply.content, reply.content
    return channel


async def verified(cisip: BotHarness, *members: Member) -> None:
    """Give these members the verified role (set up on first use): members-only reports, the
    default, are sent to staff and verified members only."""
    discord = cisip.discord
    try:
        role = discord.role("Verified")
    except AssertionError:
        role = discord.add_role("Verified")
    await cisip.bot.services.guild_settings.set_role(discord.guild.id, "verified", role.id)
    for member in members:
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            discord.em.member_updated(member)


async def subscribe(cisip: BotHarness, *members: Member) -> None:
    """Verified members subscribe with /report subscribe."""
    await verified(cisip, *members)
    for member in members:
        reply = await cisip.discord.slash(member, "report subscribe")
        assert reply.ephemeral and reply.content.startswith("You are subscribed"), reply.content


async def publish(cisip: BotHarness, admin: Member, **options: Any) -> Any:
    values: dict[str, Any] = {
        "title": "Science Park Development Report",
        "year": 2026,
        "summary": "Parks grew again.",
        "language": "en",
    }
    values.update(options)
    return await cisip.discord.slash(admin, "report-admin publish", **values)


async def stored_report(cisip: BotHarness, title: str = "Science Park Development Report") -> Report:
    async with cisip.bot.db.session() as session:
        report = await session.scalar(select(Report).where(Report.title == title))
    assert report is not None
    return report


async def delivered(
    cisip: BotHarness, title: str = "Science Park Development Report", within: float = 10
) -> Report:
    """Wait until the report's delivery run has settled every row."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        report = await stored_report(cisip, title)
        if report.delivery_state == "done":
            return report
        if loop.time() > deadline:
            raise AssertionError(f"delivery did not finish: {report.delivery_state}, {await statuses(cisip)}")
        await asyncio.sleep(0.02)


async def statuses(cisip: BotHarness) -> dict[int, str]:
    async with cisip.bot.db.session() as session:
        rows = await session.execute(select(ReportDelivery.user_id, ReportDelivery.status))
        return {user_id: status for user_id, status in rows}


async def delivery_job_statuses(cisip: BotHarness, expected: list[str]) -> bool:
    async with cisip.bot.db.session() as session:
        rows = await session.scalars(
            select(ScheduledJob.status)
            .where(ScheduledJob.kind == "report.delivery")
            .order_by(ScheduledJob.id)
        )
        return list(rows) == expected


def report_dms(cisip: BotHarness, member: Member) -> list[Any]:
    return [m for m in cisip.discord.dms_to(member) if m.embeds]


async def test_publish_announces_with_the_file_and_dms_every_subscriber_once(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    alice, bob = discord.add_member("alice"), discord.add_member("bob")
    discord.add_member("carol")  # not subscribed
    await subscribe(cisip, alice, bob)

    reply = await publish(cisip, admin, file=("report.pdf", PDF))

    assert reply.ephemeral
    assert reply.content.startswith(
        f"Published Science Park Development Report in <#{channel.id}>. Sending it to 2 subscribers"
    )
    announcement = discord.messages_in(channel)[-1]
    assert announcement.embeds[0]["title"] == "Science Park Development Report (2026)"
    assert announcement.files == [("report.pdf", PDF)]
    assert [b.get("label") for b in reply_buttons(announcement)] == ["Subscribe"]
    assert announcement.pinged == set()

    report = await delivered(cisip)
    assert await statuses(cisip) == {alice.id: "sent", bob.id: "sent"}
    for member in (alice, bob):
        dms = report_dms(cisip, member)
        assert len(dms) == 1
        assert dms[0].embeds[0]["title"] == "Science Park Development Report (2026)"
        assert dms[0].nonce == delivery_nonce(report.id, member.id)
        assert [b.get("label") for b in reply_buttons(dms[0])] == ["Open the announcement", "Unsubscribe"]
    assert report_dms(cisip, discord.member("carol")) == []
    # The delivery was a scheduled row (any leading process could have run it), now done.
    await cisip.eventually(lambda: delivery_job_statuses(cisip, ["done"]))
    # The file is kept in the database (with its SHA-256), not in DATA_DIR.
    async with cisip.bot.db.session() as session:
        stored = await session.get(ReportFile, report.id)
    assert stored is not None
    assert (stored.content, stored.size, stored.sha256) == (PDF, len(PDF), hashlib.sha256(PDF).hexdigest())
    assert not (cisip.settings.data_dir / "reports").exists()
    # The publisher gets a summary in their DMs.
    progress = progress_dms(discord, admin)[-1]
    assert progress.content == (
        "**Science Park Development Report**: delivery finished. Sent 2 · DMs closed 0 · failed 0 · skipped 0"
    )
    async with cisip.bot.db.session() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "report.publish" in actions


def reply_buttons(message: Any) -> list[dict[str, Any]]:
    from tests.fakediscord.dsl import walk_components

    return [c for c in walk_components(message.components) if c.get("type") == 2]


def dm_posts(cisip: BotHarness, member: Member, *, reports: bool = True) -> list[Any]:
    """The bot's attempts to DM this member (report DMs only, or everything when not ``reports``)."""
    channel = cisip.discord.dm_channel(member)
    return [
        r
        for r in cisip.discord.em.requests_to("POST", "/channels/{channel_id}/messages")
        if r.params.get("channel_id") == str(channel.id)
        and (not reports or bool((r.json or {}).get("embeds")))  # a report DM is an embed; a welcome is not
    ]


async def test_every_status_closed_dms_failed_after_retries_skipped_and_retried(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    ok = discord.add_member("ok")
    flaky = discord.add_member("flaky")
    broken = discord.add_member("broken")
    closed = discord.add_member("closed", dms_open=False)
    leaver = discord.add_member("leaver")
    await subscribe(cisip, ok, flaky, broken, closed, leaver)
    discord.remove_member(leaver)

    async def welcomed() -> bool:  # the welcome DMs must not take the faults meant for the report
        has_dm = all(discord.dms_to(member) for member in (ok, flaky, broken))
        return has_dm and await cisip.bot.scheduler.pending_count() == 0

    await cisip.eventually(welcomed)
    discord.faults.fail("POST", f"/channels/{discord.dm_channel(flaky).id}/messages", status=503, times=1)
    discord.faults.fail("POST", f"/channels/{discord.dm_channel(broken).id}/messages", status=503, times=3)

    await publish(cisip, admin, url="https://cisip.org/reports/2026.pdf")
    await delivered(cisip)

    assert await statuses(cisip) == {
        ok.id: "sent",
        flaky.id: "sent",
        broken.id: "failed",
        closed.id: "dms_closed",
        leaver.id: "skipped",
    }
    assert len(dm_posts(cisip, flaky)) == 2  # one 503, then sent
    assert len(dm_posts(cisip, broken)) == 3  # bounded: max_attempts
    assert len(dm_posts(cisip, closed)) == 1  # 50007 is never retried
    assert len(report_dms(cisip, flaky)) == 1
    assert report_dms(cisip, broken) == []
    assert progress_dms(discord, admin)[-1].content == (
        "**Science Park Development Report**: delivery finished. Sent 2 · DMs closed 1 · failed 1 · skipped 1"
    )

    report = await stored_report(cisip)
    reply = await discord.slash(admin, "report-admin deliveries", report=str(report.id))
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields == {
        "Subscribers": "5",
        "Sent": "2",
        "DMs closed": "1",
        "Failed": "1",
        "Skipped": "1",
        "Waiting": "0",
    }
    retry = await discord.click(admin, reply, label="Retry the failed")
    assert retry.content.startswith("Retrying 1 failed delivery of Science Park Development Report")
    await delivered(cisip)
    assert (await statuses(cisip))[broken.id] == "sent"
    assert len(report_dms(cisip, broken)) == 1
    assert len(report_dms(cisip, ok)) == 1  # nobody else is sent anything again


async def test_a_member_who_unsubscribes_before_their_turn_is_skipped(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, EngineOptions(workers=1, retry_delay=0.5, flush_every=0.05))
    monkeypatch.setattr(live_module().DiscordSender, "subscribers_refresh", 0.0)
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    first, second = discord.add_member("first"), discord.add_member("second")
    await subscribe(cisip, first, second)
    discord.faults.fail("POST", f"/channels/{discord.dm_channel(first).id}/messages", status=503, times=1)

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    reply = await discord.slash(second, "report unsubscribe")
    assert reply.content == "You are unsubscribed: no more report DMs."
    await delivered(cisip)

    assert await statuses(cisip) == {first.id: "sent", second.id: "skipped"}
    assert report_dms(cisip, second) == []


async def start_and_stop_half_way(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch, *, crash: bool
) -> list[Member]:
    """Publish to 30 subscribers and stop the bot after 8 DMs, by a crash or a clean stop; the
    engine writes results only every 60 s here, so nothing is recorded before the stop."""
    use_engine(monkeypatch, EngineOptions(workers=2, flush_every=60, progress_every=60))
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    members = [discord.add_member(f"m{n}") for n in range(30)]
    await subscribe(cisip, *members)
    discord.ratelimits.enable(per_route=1000, global_per_second=20)

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while sum(len(report_dms(cisip, m)) for m in members) < 8:
        assert loop.time() < deadline
        await asyncio.sleep(0.01)
    assert (await stored_report(cisip)).delivery_state == "running"
    assert set((await statuses(cisip)).values()) == {"pending"}  # nothing written yet
    if crash:
        # As abrupt as it gets in one process: the delivery task dies mid-flight.
        # The delivery is a scheduled row run in a task of the scheduler's.
        runs = [t for t in asyncio.all_tasks() if t.get_name().startswith("scheduled-report.delivery-")]
        assert len(runs) == 1
        runs[0].cancel()
        await asyncio.sleep(0)
    await cisip.restart()  # the new bot resumes by itself
    await delivered(cisip)
    return members


async def test_after_a_crash_delivery_resumes_and_resends_are_deduplicated_by_nonce(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = await start_and_stop_half_way(cisip, monkeypatch, crash=True)

    assert set((await statuses(cisip)).values()) == {"sent"}
    assert all(len(report_dms(cisip, m)) == 1 for m in members)
    accepted = [r for m in members for r in dm_posts(cisip, m) if r.status == 200]
    assert len(accepted) > len(members)  # some DMs were really sent twice, and deduplicated
    # The progress message is the same one, edited, across the restart.
    admin = cisip.discord.member("sam")
    progress = [m for m in cisip.discord.dms_to(admin) if m.content.startswith("**")]
    assert len(progress) == 1
    assert progress[0].content.endswith("Sent 30 · DMs closed 0 · failed 0 · skipped 0")


async def test_a_clean_stop_records_the_dms_in_flight_and_resends_nothing(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = await start_and_stop_half_way(cisip, monkeypatch, crash=False)

    assert set((await statuses(cisip)).values()) == {"sent"}
    assert all(len(report_dms(cisip, m)) == 1 for m in members)
    accepted = [r for m in members for r in dm_posts(cisip, m) if r.status == 200]
    assert len(accepted) == len(members)


async def test_progress_is_one_message_edited_every_few_seconds_not_per_dm(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, EngineOptions(workers=4, flush_every=0.05, progress_every=0.3))
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    members = [discord.add_member(f"m{n}") for n in range(44)]
    closed = discord.add_member("closed", dms_open=False)
    await subscribe(cisip, *members, closed)
    discord.ratelimits.enable(per_route=1000, global_per_second=15)

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    await delivered(cisip)

    progress_dm = discord.dm_channel(admin)
    progress = [m for m in discord.dms_to(admin) if m.content.startswith("**")]
    assert len(progress) == 1
    first = next(r for r in dm_posts(cisip, admin, reports=False) if r.json["content"].startswith("**"))
    assert first.json["content"] == "**Science Park Development Report**: delivered 0 / 45 · 0 DMs closed"
    edits = [
        r.json["content"]
        for r in discord.em.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if r.params.get("channel_id") == str(progress_dm.id) and r.status == 200
    ]
    # A 3 s run (45 DMs at 15 requests a second) edited every 0.3 s at most, not once per DM.
    assert 2 <= len(edits) <= 12
    assert any("delivered" in e and "/ 45" in e for e in edits[:-1])
    assert edits[-1] == (
        "**Science Park Development Report**: delivery finished. "
        "Sent 44 · DMs closed 1 · failed 0 · skipped 0"
    )
    assert discord.ratelimits.total_429s > 0  # the global limit was hit, and waited out
    assert all(len(report_dms(cisip, m)) == 1 for m in members)


async def test_publish_refuses_bad_input_and_stores_nothing(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    member = discord.add_member("mallory")

    reply = await publish(cisip, admin, url="https://cisip.org/r.pdf")
    assert reply.content == "Set the reports channel first with /setup channel."
    await reports_channel(cisip, admin)

    reply = await publish(cisip, member, url="https://cisip.org/r.pdf")
    assert reply.ephemeral and reply.content.startswith("Only CISIP staff can do this")

    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "Attach the report as a PDF or give its URL."),
        (
            {"url": "cisip.org/report"},
            "'cisip.org/report' is not a web address: give one starting with https://.",
        ),
        (
            {"file": ("report.pdf", b"<html></html>")},
            "report.pdf is not a PDF: attach the report as a PDF file.",
        ),
        (
            {"file": ("huge.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024))},
            "The PDF is larger than this server's upload limit (10 MB), so members could not download "
            "it here: give also a URL where it can be read.",
        ),
    ]
    for options, message in cases:
        reply = await publish(cisip, admin, **options)
        assert reply.ephemeral
        assert reply.content == message
    async with cisip.bot.db.session() as session:
        assert (await session.scalars(select(Report))).all() == []
        assert (await session.scalars(select(ReportFile))).all() == []
    assert not (cisip.settings.data_dir / "reports").exists()
    assert discord.messages_in("reports") == []


async def test_a_reupload_is_recognised(cisip: BotHarness) -> None:
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, file=("a.pdf", PDF))
    reply = await publish(cisip, admin, title="Same file", file=("b.pdf", PDF))
    assert reply.content == "This PDF is already published as Science Park Development Report (2026)."
    report = await stored_report(cisip)
    await cisip.discord.slash(admin, "report-admin withdraw", report=str(report.id))
    reply = await publish(cisip, admin, title="Same file", file=("b.pdf", PDF))
    assert reply.content.endswith(
        "This PDF was published before as Science Park Development Report (2026), which is withdrawn."
    )


async def test_subscribe_button_and_unsubscribe_button_in_the_dm(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    reply = await publish(cisip, admin, url="https://cisip.org/first.pdf")
    assert reply.content == (
        f"Published Science Park Development Report in <#{channel.id}>. "
        "Nobody is subscribed yet, so no DMs are sent."
    )
    await delivered(cisip)
    assert not any(m.content.startswith("**") for m in discord.dms_to(admin))  # no progress DM
    alice = discord.add_member("alice")
    await verified(cisip, alice)
    announcement = discord.messages_in(channel)[-1]

    reply = await discord.click(alice, announcement, label="Subscribe")
    assert reply.ephemeral and reply.content.startswith("You are subscribed")
    reply = await discord.click(alice, announcement, label="Subscribe")
    assert reply.content == "You are already subscribed."

    await publish(cisip, admin, title="Second", url="https://cisip.org/second.pdf")
    await delivered(cisip, "Second")
    dm = report_dms(cisip, alice)[-1]
    assert dm.embeds[0]["title"] == "Second (2026)"
    assert reply_buttons(dm)[0]["url"] == "https://cisip.org/second.pdf"

    reply = await discord.click(alice, dm, label="Unsubscribe")
    assert reply.content == "You are unsubscribed: no more report DMs."
    await publish(cisip, admin, title="Third", url="https://cisip.org/third.pdf")
    await delivered(cisip, "Third")
    assert len(report_dms(cisip, alice)) == 1


async def test_edit_and_withdraw_update_the_announcement(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    await publish(cisip, admin, file=("report.pdf", PDF))
    report = await stored_report(cisip)

    choices = await discord.autocomplete(admin, "report-admin edit", "report", "science")
    assert choices == [{"name": "Science Park Development Report (2026)", "value": str(report.id)}]
    reply = await discord.slash(
        admin, "report-admin edit", report=str(report.id), year=2025, summary="Corrected."
    )
    assert reply.content == "Science Park Development Report is updated."
    announcement = discord.messages_in(channel)[-1]
    assert announcement.embeds[0]["title"] == "Science Park Development Report (2025)"
    assert announcement.embeds[0]["description"] == "Corrected."

    reply = await discord.slash(admin, "report-admin withdraw", report=str(report.id))
    assert reply.content.startswith("Science Park Development Report is withdrawn")
    announcement = discord.messages_in(channel)[-1]
    assert announcement.content == "This report was withdrawn."
    assert announcement.files == [] and announcement.embeds == []
    reply = await discord.slash(admin, "report get", report=str(report.id))
    assert reply.content == f"No report matches '{report.id}'."


async def test_members_browse_latest_and_get_privately(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await discord.slash(admin, "setup role", purpose="verified", role=discord.add_role("Verified"))
    verified = discord.add_member("vera", roles=["Verified"])
    guest = discord.add_member("guest")
    for year in range(2020, 2027):
        await publish(cisip, admin, title=f"Report {year}", year=year, url=f"https://cisip.org/{year}.pdf")
    await publish(
        cisip, admin, title="Members PDF", year=2019, file=("members.pdf", PDF), visibility="members"
    )
    await publish(
        cisip, admin, title="Open data", year=2018, url="https://cisip.org/open", visibility="public"
    )

    reply = await discord.slash(verified, "report list")
    assert reply.ephemeral
    assert [f["name"] for f in reply.embeds[0]["fields"]] == [
        f"Report {y} ({y})" for y in range(2026, 2021, -1)
    ]
    assert reply.embeds[0]["footer"]["text"] == "Page 1 of 2 · get one with /report get"
    page2 = await discord.click(verified, reply, label="Next")
    assert [f["name"] for f in page2.embeds[0]["fields"]] == [
        "Report 2021 (2021)",
        "Report 2020 (2020)",
        "Members PDF (2019)",
        "Open data (2018)",
    ]

    reply = await discord.slash(guest, "report list")
    assert [f["name"] for f in reply.embeds[0]["fields"]] == ["Open data (2018)"]

    reply = await discord.slash(verified, "report latest")
    assert reply.ephemeral and reply.embeds[0]["title"] == "Report 2026 (2026)"
    assert reply_buttons(reply.message)[0]["url"] == "https://cisip.org/2026.pdf"

    choices = await discord.autocomplete(verified, "report get", "report", "2019")
    assert [c["name"] for c in choices] == ["Members PDF (2019)"]
    assert await discord.autocomplete(guest, "report get", "report", "2019") == []
    reply = await discord.slash(verified, "report get", report=choices[0]["value"])
    assert reply.ephemeral and reply.files == [("members.pdf", PDF)]
    reply = await discord.slash(guest, "report get", report=choices[0]["value"])
    assert reply.content == f"No report matches '{choices[0]['value']}'."


async def test_unknown_or_stale_dm_channels_are_opened_and_remembered(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    fresh, stale = discord.add_member("fresh"), discord.add_member("stale")
    await verified(cisip, fresh, stale)
    service = cisip.bot.services.reports
    await service.subscribe(discord.guild.id, fresh.id)  # subscribed before DM channels were kept
    await service.subscribe(discord.guild.id, stale.id, dm_channel_id=4242)  # a channel that is gone

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    await delivered(cisip)

    assert await statuses(cisip) == {fresh.id: "sent", stale.id: "sent"}
    assert len(report_dms(cisip, fresh)) == 1 and len(report_dms(cisip, stale)) == 1
    async with cisip.bot.db.session() as session:
        rows = await session.execute(select(ReportSubscription.user_id, ReportSubscription.dm_channel_id))
        remembered = {user_id: channel_id for user_id, channel_id in rows}
    assert remembered[fresh.id] == discord.dm_channel(fresh).id
    assert remembered[stale.id] == discord.dm_channel(stale).id


async def test_a_failed_announcement_publishes_nothing(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    channel = await reports_channel(cisip, admin)
    alice = discord.add_member("alice")
    await subscribe(cisip, alice)
    discord.faults.fail("POST", f"/channels/{channel.id}/messages", status=503)

    reply = await publish(cisip, admin, url="https://cisip.org/r.pdf")

    assert reply.content == (
        f"I could not post the announcement in <#{channel.id}>, so nothing was published: try again."
    )
    await asyncio.sleep(0.1)
    assert report_dms(cisip, alice) == []
    assert (await discord.slash(alice, "report list")).embeds[0]["description"] == "No reports yet."
    # Its delivery row was held for the announcement; when it comes due, it finds nothing to send.
    cisip.clock.advance(minutes=2)
    await cisip.eventually(lambda: delivery_job_statuses(cisip, ["done"]))
    assert report_dms(cisip, alice) == []


async def test_members_are_answered_in_their_language(cisip: BotHarness) -> None:
    member = cisip.discord.add_member("li", locale="zh-CN")
    reply = await cisip.discord.slash(member, "report subscribe")
    assert reply.content == "订阅成功：新报告会通过私信发给您。请确认您允许接收服务器成员的私信。"
    reply = await cisip.discord.slash(member, "report latest")
    assert reply.content == "还没有发布任何报告。"


async def test_with_no_verified_role_members_only_reports_reach_staff_and_approved_members_only(
    cisip: BotHarness,
) -> None:
    """One member gate for reading and for DMs: it fails closed while no verified role is set up,
    and counts Manage Server as staff (the DMs used to count only the staff role)."""
    discord = cisip.discord
    admin = staff(cisip)  # Manage Server, no staff role set up
    await reports_channel(cisip, admin)
    plain, approved = discord.add_member("pat"), discord.add_member("ann")
    async with cisip.bot.db.transaction() as session:
        session.add(
            Membership(
                guild_id=discord.guild.id,
                user_id=approved.id,
                status="approved",
                full_name="Ann Lee",
                organization="TEDA",
                email="ann@example.org",
                country="China",
                member_type="park",
                applied_at=cisip.clock.now(),
            )
        )
    for member in (admin, plain, approved):
        reply = await discord.slash(member, "report subscribe")
        assert reply.content.startswith("You are subscribed"), reply.content

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    report = await delivered(cisip)

    assert await statuses(cisip) == {admin.id: "sent", plain.id: "skipped", approved.id: "sent"}
    assert report_dms(cisip, plain) == []
    assert (await discord.slash(plain, "report list")).embeds[0]["description"] == "No reports yet."
    reply = await discord.slash(plain, "report get", report=str(report.id))
    assert reply.content == f"No report matches '{report.id}'."
    assert await discord.autocomplete(plain, "report get", "report", "science") == []
    reply = await discord.slash(approved, "report get", report=str(report.id))
    assert reply.embeds[0]["title"] == "Science Park Development Report (2026)"


async def test_staff_report_options_are_for_staff_and_oversized_numbers_are_unknown_reports(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    member = discord.add_member("mallory")
    await verified(cisip, member)
    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    report = await stored_report(cisip)

    for command in ("report-admin edit", "report-admin withdraw", "report-admin deliveries"):
        assert await discord.autocomplete(member, command, "report", "science") == []
        choices = await discord.autocomplete(admin, command, "report", "science")
        assert [c["value"] for c in choices] == [str(report.id)]
        reply = await discord.slash(member, command, report=str(report.id))
        assert reply.content.startswith("Only CISIP staff can do this")
        reply = await discord.slash(admin, command, report="99999999999999999999")
        assert reply.content == "No report matches '99999999999999999999'."
    offered = await discord.autocomplete(member, "report get", "report", "science")
    assert [c["value"] for c in offered] == [str(report.id)]
    reply = await discord.slash(member, "report get", report="99999999999999999999")
    assert reply.content == "No report matches '99999999999999999999'."
    reply = await discord.slash(member, "report get", report="18446744073709551616")
    assert reply.content == "No report matches '18446744073709551616'."
    assert (await stored_report(cisip)).status == "published"


async def test_a_subscriber_erased_during_a_delivery_gets_no_dm_and_is_not_counted(
    cisip: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One worker held up by a retry, and a sender that would not re-read its subscribers in time.
    use_engine(monkeypatch, EngineOptions(workers=1, retry_delay=1.0, flush_every=0.05))
    monkeypatch.setattr(live_module().DiscordSender, "subscribers_refresh", 60.0)
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    first, erased = discord.add_member("first"), discord.add_member("erased")
    await subscribe(cisip, first, erased)
    discord.faults.fail("POST", f"/channels/{discord.dm_channel(first).id}/messages", status=503, times=1)

    await publish(cisip, admin, url="https://cisip.org/r.pdf")
    guild = cisip.bot.get_guild(discord.guild.id)
    assert guild is not None
    erasure = await cisip.bot.erase_person(guild, erased.id)
    assert erasure.anything
    await delivered(cisip)

    assert await statuses(cisip) == {first.id: "sent"}
    assert report_dms(cisip, erased) == []
    assert progress_dms(discord, admin)[-1].content == (
        "**Science Park Development Report**: delivery finished. Sent 1 · DMs closed 0 · failed 0 · skipped 0"
    )

    reply = await publish(cisip, admin, title="After", url="https://cisip.org/after.pdf")
    assert "Sending it to 1 subscriber;" in reply.content
    await delivered(cisip, "After")
    assert report_dms(cisip, erased) == []
    assert len(report_dms(cisip, first)) == 2


async def test_any_bot_process_on_the_database_serves_the_pdf_whatever_its_data_dir(
    cisip: BotHarness, tmp_path: Path
) -> None:
    """Publish on one host, serve from another: the PDF is in the database, not in DATA_DIR."""
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, file=("report.pdf", PDF), visibility="public")
    member = discord.add_member("alice")
    await cisip.stop()

    other = BotHarness(discord, replace(cisip.settings, data_dir=tmp_path / "host-b"), cisip.clock)
    await other.start()
    try:
        assert other.settings.database_url == cisip.settings.database_url
        report = await stored_report(other)
        reply = await discord.slash(member, "report get", report=str(report.id))
        assert reply.ephemeral and reply.files == [("report.pdf", PDF)]
        reply = await discord.slash(member, "report latest")
        assert reply.files == [("report.pdf", PDF)]
        # The second process announces a report of its own with the file, from the database too.
        await publish(other, admin, title="Second", file=("second.pdf", PDF + b"2"))
        assert discord.messages_in("reports")[-1].files == [("second.pdf", PDF + b"2")]
    finally:
        await other.stop()
    assert not (tmp_path / "host-b" / "reports").exists()
    assert not (tmp_path / "reports").exists()


async def test_pdfs_an_older_version_kept_in_data_dir_are_moved_into_the_database_at_start(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = staff(cisip)
    await reports_channel(cisip, admin)
    await publish(cisip, admin, file=("report.pdf", PDF), visibility="public")
    await publish(
        cisip, admin, title="Gone", year=2025, file=("gone.pdf", PDF + b"gone"), visibility="public"
    )
    await publish(cisip, admin, title="Linked", year=2024, url="https://cisip.org/r.pdf")
    report, gone = await stored_report(cisip), await stored_report(cisip, "Gone")
    # What an older version left: the PDFs in DATA_DIR/reports/<sha256>.pdf, none in the database.
    folder = cisip.settings.data_dir / "reports"
    folder.mkdir()
    old_file = folder / f"{report.file_sha256}.pdf"
    old_file.write_bytes(PDF)
    stray = folder / f"{'0' * 64}.pdf"  # no report names it: left alone
    stray.write_bytes(PDF)
    async with cisip.bot.db.transaction() as session:
        await session.execute(delete(ReportFile))

    await cisip.restart()

    async with cisip.bot.db.session() as session:
        rows = (await session.scalars(select(ReportFile))).all()
    assert [(row.report_id, row.content, row.size) for row in rows] == [(report.id, PDF, len(PDF))]
    assert not old_file.exists() and stray.exists()  # moved; what no report names is not touched
    member = discord.add_member("alice")
    reply = await discord.slash(member, "report get", report=str(report.id))
    assert reply.files == [("report.pdf", PDF)]
    # A report whose file is neither in the database nor in the folder is served without it.
    reply = await discord.slash(member, "report get", report=str(gone.id))
    assert reply.ephemeral and reply.files == [] and reply.embeds[0]["title"] == "Gone (2025)"

    await cisip.restart()  # once only: nothing more to copy, nothing copied twice
    async with cisip.bot.db.session() as session:
        assert len((await session.scalars(select(ReportFile))).all()) == 1
