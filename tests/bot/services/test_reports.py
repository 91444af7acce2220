"""The reports service (files, publishing, subscriptions, delivery rows) and the fan-out engine."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.db.database import Database
from bot.db.models import ScheduledJob
from bot.db.models_members import Membership
from bot.db.models_reports import ReportFile
from bot.errors import DomainError, NotFound
from bot.fields import REPORT_REFERENCE
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService, Person
from bot.services.delivery import (
    DeliveryCounts,
    DeliveryEngine,
    EngineOptions,
    Outcome,
    Pacer,
    PendingDelivery,
    SendResult,
    Settled,
    SteadyPacer,
    delivery_nonce,
)
from bot.services.guild_settings import GuildSettingsService
from bot.services.membership import MembershipPolicy, MembershipService
from bot.services.reports import (
    DELIVERY_HOLD,
    DELIVERY_JOB,
    FolderImport,
    PdfFile,
    ReportService,
    check_url,
    number_in,
    safe_filename,
)

GUILD = 1_000_000_000_000_001
PDF = b"%PDF-1.4\nhello\n%%EOF\n"
FAST = EngineOptions(workers=3, max_attempts=3, retry_delay=0.0, flush_every=0.01, progress_every=0.01)
NOW = datetime(2027, 3, 1, tzinfo=UTC)
NO_SUCH = "No report matches '"


def memberships_of(database: Database, clock: MovableClock) -> MembershipService:
    settings = GuildSettingsService(database, clock)
    return MembershipService(
        database,
        clock,
        Scheduler(database, clock),
        MembershipPolicy(),
        guild_settings=settings,
        access=AccessService(settings),
    )


def report_service(database: Database, max_bytes: int) -> ReportService:
    clock = MovableClock(NOW)
    memberships, scheduler = memberships_of(database, clock), Scheduler(database, clock)
    return ReportService(database, clock, max_bytes, memberships=memberships, scheduler=scheduler)


@pytest.fixture
def service(database: Database) -> ReportService:
    return report_service(database, 1024)


async def publish(service: ReportService, title: str = "Report", **options: object) -> int:
    values: dict[str, object] = {
        "title": title,
        "year": 2026,
        "summary": "Summary",
        "language": "en",
        "visibility": "members",
        "publisher_id": 7,
        "url": "https://cisip.org/r.pdf",
    }
    values.update(options)
    report, _count = await service.publish(GUILD, **values)  # type: ignore[arg-type]
    return report.id


def test_pdfs_are_checked_by_magic_bytes_and_size(service: ReportService) -> None:
    with pytest.raises(DomainError, match="is not a PDF"):
        service.check_pdf(b"<html>not a pdf</html>", "report.pdf")
    with pytest.raises(DomainError, match="reports can be at most"):
        service.check_pdf(PDF + b"x" * 2000, "big.pdf")
    first = service.check_pdf(PDF, "Annual report 2026!.pdf")
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.name, first.size, first.data) == ("Annual report 2026.pdf", len(PDF), PDF)
    assert PDF not in repr(first).encode()


async def test_a_pdf_is_stored_in_the_database_with_its_report_and_any_process_reads_it(
    service: ReportService, database: Database, tmp_path: Path
) -> None:
    report, _count = await service.publish(
        GUILD,
        title="Report",
        year=2026,
        summary="Summary",
        language="en",
        publisher_id=7,
        file=service.check_pdf(PDF, "r.pdf"),
    )
    async with database.session() as session:
        row = await session.get(ReportFile, report.id)
    assert row is not None
    assert (row.content, row.size, row.sha256) == (PDF, len(PDF), hashlib.sha256(PDF).hexdigest())
    assert row.created_at == report.created_at
    # Another process: its own Database object on the same database, and nothing on disk.
    elsewhere = Database(database.url)
    try:
        other = report_service(elsewhere, 1024)
        assert await other.pdf(await other.get(GUILD, report.id)) == PDF
        linked = await other.get(GUILD, await publish(other, "Linked"))
        assert await other.pdf(linked) is None
    finally:
        await elsewhere.dispose()
    # Withdrawing keeps the file (as before); the same PDF is then recognised as published before.
    await service.withdraw(GUILD, report.id)
    assert await service.pdf(report) == PDF
    earlier = await service.uploaded_before(GUILD, row.sha256)
    assert earlier is not None and earlier.id == report.id
    assert await service.uploaded_before(GUILD + 1, row.sha256) is None


async def test_report_max_mb_bounds_what_is_stored(database: Database) -> None:
    service = report_service(database, 1024)
    big = PdfFile(PDF + b"x" * 1024, "0" * 64, "big.pdf")  # past check_pdf: publish checks again
    with pytest.raises(DomainError, match="reports can be at most"):
        await publish(service, file=big)
    exactly = PDF + b"x" * (1024 - len(PDF))
    await publish(service, file=service.check_pdf(exactly, "max.pdf"))
    async with database.session() as session:
        sizes = (await session.scalars(select(ReportFile.size))).all()
    assert sizes == [1024]


async def test_pdfs_an_older_version_kept_in_a_folder_are_moved_into_the_database_once(
    service: ReportService, database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    first = await service.get(GUILD, await publish(service, file=service.check_pdf(PDF, "a.pdf")))
    await service.withdraw(GUILD, first.id)
    again = await service.get(GUILD, await publish(service, "Again", file=service.check_pdf(PDF, "b.pdf")))
    other_pdf = PDF + b"other"
    missing = await service.get(
        GUILD, await publish(service, "Missing", file=service.check_pdf(other_pdf, "c.pdf"))
    )
    damaged_pdf = PDF + b"damaged"
    damaged = await service.get(
        GUILD, await publish(service, "Damaged", file=service.check_pdf(damaged_pdf, "d.pdf"))
    )
    # What an older version left: files in the folder, none in the database.
    async with database.transaction() as session:
        await session.execute(delete(ReportFile))
    assert await service.import_folder(folder) == FolderImport(missing=4)  # no folder: nothing read
    folder.mkdir()
    (folder / f"{first.file_sha256}.pdf").write_bytes(PDF)
    (folder / f"{damaged.file_sha256}.pdf").write_bytes(b"%PDF-tampered")
    stray = folder / f"{'f' * 64}.pdf"
    stray.write_bytes(PDF)

    done = await service.import_folder(folder)

    assert done == FolderImport(
        reports=2, files=1, missing=1, damaged=(folder / f"{damaged.file_sha256}.pdf",)
    )
    assert await service.pdf(first) == PDF and await service.pdf(again) == PDF
    assert await service.pdf(missing) is None and await service.pdf(damaged) is None
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{damaged.file_sha256}.pdf", stray.name])
    # Idempotent: a second start (or another process) copies nothing again.
    assert await service.import_folder(folder) == FolderImport(missing=1, damaged=done.damaged)
    async with database.session() as session:
        assert len((await session.scalars(select(ReportFile))).all()) == 2


def test_urls_must_be_web_addresses() -> None:
    assert check_url(" https://cisip.org/r.pdf ") == "https://cisip.org/r.pdf"
    for bad in ("ftp://x.org/r", "cisip.org/r.pdf", "https://", "javascript:alert(1)"):
        with pytest.raises(DomainError):
            check_url(bad)


async def test_publishing_creates_one_pending_row_per_active_subscriber(service: ReportService) -> None:
    await service.subscribe(GUILD, 11)
    await service.subscribe(GUILD, 12, dm_channel_id=99)
    await service.subscribe(GUILD, 13)
    await service.unsubscribe(GUILD, 13)
    await service.subscribe(GUILD + 1, 14)  # another server

    report, count = await service.publish(
        GUILD,
        title="  Report  ",
        year=2026,
        summary="Summary",
        language="en",
        visibility="public",
        publisher_id=7,
        url="https://cisip.org/r.pdf",
    )

    assert count == 2 and report.title == "Report" and report.delivery_state == "running"
    pending = await service.pending(report.id)
    assert [(p.user_id, p.dm_channel_id) for p in pending] == [(11, None), (12, 99)]
    assert await service.counts(report.id) == DeliveryCounts(total=2)


async def test_publishing_without_subscribers_is_done_at_once(service: ReportService) -> None:
    report = await service.get(GUILD, await publish(service))
    assert report.delivery_state == "done"


async def test_the_same_pdf_cannot_be_published_twice(service: ReportService) -> None:
    stored = service.check_pdf(PDF, "r.pdf")
    await publish(service, file=stored)
    with pytest.raises(DomainError, match=r"already published as Report \(2026\)"):
        await publish(service, "Other", file=stored)


async def test_invalid_fields_are_refused_and_nothing_is_stored(service: ReportService) -> None:
    for options, message in (
        ({"year": 1900}, "year must be"),
        ({"title": " "}, "The title cannot be empty"),
        ({"language": "fr"}, "Unknown language"),
        ({"visibility": "secret"}, "Unknown visibility"),
        ({"url": None}, "PDF or give its URL"),
    ):
        with pytest.raises(DomainError, match=message):
            await publish(service, **options)
    assert await service.browse(GUILD, members=True) == ([], 0)


async def test_subscribe_and_unsubscribe_say_whether_anything_changed(service: ReportService) -> None:
    assert await service.subscribe(GUILD, 5) is True
    assert await service.subscribe(GUILD, 5) is False
    assert await service.subscribers(GUILD) == {5}
    assert await service.unsubscribe(GUILD, 5) is True
    assert await service.unsubscribe(GUILD, 5) is False
    assert await service.subscribers(GUILD) == set()


async def test_browse_search_edit_and_withdraw(service: ReportService) -> None:
    old = await publish(service, "Old report", year=2024, visibility="public")
    new = await publish(service, "New report", year=2026)
    reports, total = await service.browse(GUILD, members=False)
    assert ([r.id for r in reports], total) == ([old], 1)  # members-only hidden from the public
    reports, total = await service.browse(GUILD, members=True)
    assert ([r.id for r in reports], total) == ([new, old], 2)
    assert [r.id for r in await service.search(GUILD, "old", members=True)] == [old]
    assert [r.id for r in await service.search(GUILD, "2026", members=True)] == [new]

    edited = await service.edit(GUILD, new, title="Newer report", visibility="public")
    assert (edited.title, edited.visibility, edited.year) == ("Newer report", "public", 2026)

    await service.subscribe(GUILD, 8)
    third = await publish(service, "Third", year=2025)
    withdrawn, skipped = await service.withdraw(GUILD, third)
    assert (withdrawn.status, skipped) == ("withdrawn", 1)
    assert await service.counts(third) == DeliveryCounts(total=1, skipped=1)
    assert await service.pending(third) == []
    with pytest.raises(DomainError, match="already withdrawn"):
        await service.withdraw(GUILD, third)
    with pytest.raises(NotFound):
        await service.get(GUILD + 1, new)  # another server's report does not exist here


class FakeSender:
    """Scripted outcomes per member; records every send and progress call."""

    def __init__(self, script: dict[int, list[Outcome]] | None = None, skip: set[int] | None = None) -> None:
        self.script = script or {}
        self.skip = skip or set()
        self.sent: list[tuple[int, str]] = []
        self.progress_calls: list[tuple[DeliveryCounts, bool]] = []
        self.gate: asyncio.Event | None = None
        self.delay = 0.0
        self.entered = asyncio.Event()  # a send has begun: the run has read its queue

    async def skip_reason(self, user_id: int) -> str | None:
        return "unsubscribed" if user_id in self.skip else None

    async def send(self, delivery: PendingDelivery, nonce: str) -> SendResult:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append((delivery.user_id, nonce))
        outcomes = self.script.get(delivery.user_id, [])
        outcome = outcomes.pop(0) if outcomes else Outcome.SENT
        return SendResult(outcome, message_id=len(self.sent), dm_channel_id=500 + delivery.user_id)

    async def progress(self, counts: DeliveryCounts, *, final: bool) -> None:
        self.progress_calls.append((DeliveryCounts(**vars(counts)), final))


async def test_the_engine_settles_every_row_with_its_status(service: ReportService) -> None:
    for user in (1, 2, 3, 4, 5, 6):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    sender = FakeSender(
        {
            2: [Outcome.DMS_CLOSED],
            3: [Outcome.SERVER_ERROR, Outcome.SENT],
            4: [Outcome.SERVER_ERROR] * 3,
            5: [Outcome.FAILED],
        },
        skip={6},
    )

    counts = await DeliveryEngine(service, FAST).run(report_id, sender)

    assert counts == DeliveryCounts(total=6, sent=2, dms_closed=1, failed=2, skipped=1)
    sends = Counter(user for user, _ in sender.sent)
    assert sends == {1: 1, 2: 1, 3: 2, 4: 3, 5: 1}  # 50007 never retried; 5xx bounded at 3
    assert all(nonce == delivery_nonce(report_id, user) for user, nonce in sender.sent)
    assert sender.progress_calls[0] == (DeliveryCounts(total=6), False)
    assert sender.progress_calls[-1] == (counts, True)
    assert (await service.get(GUILD, report_id)).delivery_state == "done"
    # The DM channels opened on the way are remembered for the next report.
    later = await publish(service, "Later")
    assert {p.user_id: p.dm_channel_id for p in await service.pending(later)}[1] == 501

    assert await service.retry_failed(GUILD, report_id, requested_by=7) == 2
    again = FakeSender()
    counts = await DeliveryEngine(service, FAST).run(report_id, again)
    assert sorted(user for user, _ in again.sent) == [4, 5]  # only the failed ones
    assert counts == DeliveryCounts(total=6, sent=4, dms_closed=1, failed=0, skipped=1)
    with pytest.raises(DomainError, match="nothing to retry"):
        await service.retry_failed(GUILD, report_id, requested_by=7)


async def test_a_crashed_run_resumes_with_the_same_nonces(service: ReportService) -> None:
    for user in range(1, 11):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    slow = FakeSender()
    slow.gate = asyncio.Event()
    engine = DeliveryEngine(service, EngineOptions(workers=2, flush_every=60, progress_every=60))
    task = asyncio.create_task(engine.run(report_id, slow))
    slow.gate.set()
    for _ in range(10_000):
        if len(slow.sent) >= 4:
            break
        await asyncio.sleep(0)
    task.cancel()  # the crash: nothing flushed yet
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await service.counts(report_id)).pending == 10
    assert (await service.get(GUILD, report_id)).delivery_state == "running"

    resumed = FakeSender()
    counts = await DeliveryEngine(service, FAST).run(report_id, resumed)

    assert counts.sent == 10
    first = dict(slow.sent)
    # Whatever was sent before the crash is sent again with the same nonce (Discord dedupes it).
    assert all(dict(resumed.sent)[user] == nonce for user, nonce in first.items())


def test_nonces_are_deterministic_and_fit_discord() -> None:
    nonce = delivery_nonce(12, 987654321098765432)
    assert nonce == delivery_nonce(12, 987654321098765432)
    assert nonce != delivery_nonce(13, 987654321098765432)
    assert len(nonce) == 25


async def test_a_clean_stop_writes_what_was_sent_and_leaves_the_rest_pending(service: ReportService) -> None:
    for user in range(1, 11):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    sender = FakeSender()
    sender.delay = 0.01
    engine = DeliveryEngine(service, EngineOptions(workers=2, flush_every=60, progress_every=60))
    task = asyncio.create_task(engine.run(report_id, sender))
    for _ in range(500):
        if len(sender.sent) >= 4:
            break
        await asyncio.sleep(0.005)
    engine.stop()
    paused = await task

    counts = await service.counts(report_id)
    assert counts.sent == len(sender.sent) == paused.sent
    assert 0 < counts.pending < 10
    assert (await service.get(GUILD, report_id)).delivery_state == "running"
    assert not any(final for _, final in sender.progress_calls)  # no summary for a pause

    resumed = FakeSender()
    await DeliveryEngine(service, FAST).run(report_id, resumed)
    assert {u for u, _ in resumed.sent}.isdisjoint({u for u, _ in sender.sent})  # nothing resent
    assert (await service.counts(report_id)).sent == 10


def test_a_too_large_file_is_refused_with_sizes_in_the_readers_numbers(
    database: Database, tmp_path: Path
) -> None:
    from bot.i18n import translate

    service = report_service(database, 1000 << 20)
    with pytest.raises(DomainError) as refused:
        service.check_size(1234 * 1024 * 1024 + 1)  # rounded up: never shown as the limit itself
    assert str(refused.value) == "The file is 1,234.1 MB; reports can be at most 1,000 MB."
    assert translate(refused.value.message, "zh-CN", **refused.value.params) == (
        "文件大小为 1,234.1 MB；报告最大为 1,000 MB。"
    )


class SlowStore:
    """The real store, with writes that take a while and that notice being cut off."""

    def __init__(self, service: ReportService) -> None:
        self.service = service
        self.cut_off = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)

    async def settle(self, report_id: int, results: list[Settled]) -> None:
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.cut_off += 1
            raise
        await self.service.settle(report_id, results)


async def test_the_end_of_a_run_does_not_cut_off_a_write_in_progress(service: ReportService) -> None:
    """A write cancelled half-way can leave SQLite locked, so the periodic flush runs to its end."""
    for user in (1, 2):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    sender = FakeSender()
    sender.delay = 0.05  # the last DM ends while the flush of the first is still writing
    store = SlowStore(service)
    options = EngineOptions(workers=1, flush_every=0.01, progress_every=60)

    counts = await DeliveryEngine(store, options).run(report_id, sender)

    assert store.cut_off == 0
    assert counts == DeliveryCounts(total=2, sent=2)


# -- who may read and receive a report: the member gate, one answer --------------------------------

STAFF_ROLE, VERIFIED_ROLE = 501, 502


async def approve(database: Database, *user_ids: int) -> None:
    """Approved memberships (the verified role not given, or not set up)."""
    async with database.transaction() as session:
        session.add_all(
            Membership(
                guild_id=GUILD,
                user_id=user_id,
                status="approved",
                full_name=f"Member {user_id}",
                organization="TEDA",
                email=f"m{user_id}@example.org",
                country="China",
                member_type="park",
                applied_at=NOW,
            )
            for user_id in user_ids
        )


def person(user_id: int, *roles: int, manages_server: bool = False) -> Person:
    return Person(user_id, GUILD, frozenset(roles), manages_server)


async def test_members_only_reports_are_for_staff_and_verified_members_even_with_no_verified_role(
    service: ReportService, database: Database
) -> None:
    """The cog used to let everyone read members-only reports while no verified role was set up,
    and counted neither approved memberships nor staff by Manage Server the same way as the DMs."""
    public = await publish(service, "Open data", year=2024, visibility="public")
    members_only = await publish(service, "Members report", year=2026)
    await approve(database, 4)
    await service.memberships.guild_settings.set_role(GUILD, "staff", STAFF_ROLE)
    plain, boss, staffer = person(1), person(2, manages_server=True), person(3, STAFF_ROLE)
    approved = person(4)

    assert not await service.reads_members_only(plain)  # fail closed: no verified role is set up
    for reader in (boss, staffer, approved):
        assert await service.reads_members_only(reader)
        assert (await service.readable(reader, str(members_only))).id == members_only
        assert (await service.latest(reader)).id == members_only
        assert [r.id for r in await service.readable_choices(reader, "report")] == [members_only]
    with pytest.raises(NotFound, match=NO_SUCH):
        await service.readable(plain, str(members_only))
    assert (await service.readable(plain, str(public))).id == public
    assert (await service.latest(plain)).id == public
    assert await service.readable_choices(plain, "report") == []
    assert [r.id for r in await service.readable_choices(plain, "2024")] == [public]

    await service.memberships.guild_settings.set_role(GUILD, "verified", VERIFIED_ROLE)
    assert await service.reads_members_only(person(5, VERIFIED_ROLE))
    assert not await service.reads_members_only(plain)

    await service.withdraw(GUILD, members_only)
    with pytest.raises(NotFound):
        await service.readable(boss, str(members_only))  # withdrawn: for nobody
    with pytest.raises(NotFound):
        await service.readable(Person(2, None, manages_server=True), str(public))  # not in a server


async def test_a_dm_goes_to_subscribers_who_pass_the_member_gate(
    service: ReportService, database: Database
) -> None:
    """The sender used to count the staff role but not Manage Server, and nobody was skipped for
    a members-only report while no verified role was set up."""
    for user in (1, 2, 3, 4, 5):
        await service.subscribe(GUILD, user)
    await approve(database, 4)
    await service.memberships.guild_settings.set_role(GUILD, "staff", STAFF_ROLE)
    members_only = await service.get(GUILD, await publish(service, "Members report"))

    audience = await service.audience(members_only)

    assert audience.skip_reason(None) == "left the server"
    assert audience.skip_reason(person(9, manages_server=True)) == "unsubscribed"
    assert audience.skip_reason(person(1)) == "not a verified member"
    assert audience.skip_reason(person(2, manages_server=True)) is None
    assert audience.skip_reason(person(3, STAFF_ROLE)) is None
    assert audience.skip_reason(person(4)) is None  # approved, the role not given (yet)
    assert audience.without(2).skip_reason(person(2, manages_server=True)) == "unsubscribed"

    await service.memberships.guild_settings.set_role(GUILD, "verified", VERIFIED_ROLE)
    audience = await service.audience(members_only)
    assert audience.skip_reason(person(5, VERIFIED_ROLE)) is None
    assert audience.skip_reason(person(1)) == "not a verified member"

    public = await service.get(GUILD, await publish(service, "Open data", visibility="public"))
    assert (await service.audience(public)).skip_reason(person(1)) is None


# -- erasure and delivery ---------------------------------------------------------------------------


async def erase(service: ReportService, user_id: int) -> Any:
    async with service.db.transaction() as session:
        return await service.erase_personal_data(session, GUILD, user_id)


async def test_an_erased_subscriber_gets_no_dm_from_a_later_report_and_is_not_counted(
    service: ReportService,
) -> None:
    for user in (1, 2):
        await service.subscribe(GUILD, user)
    assert await erase(service, 2) is not None

    report, count = await service.publish(
        GUILD,
        title="After",
        year=2026,
        summary="Summary",
        language="en",
        visibility="public",
        publisher_id=7,
        url="https://cisip.org/r.pdf",
    )
    sender = FakeSender()
    counts = await DeliveryEngine(service, FAST).run(report.id, sender)

    assert count == 1
    assert [user for user, _ in sender.sent] == [1]
    assert counts == DeliveryCounts(total=1, sent=1)


class AudienceSender(FakeSender):
    """Asks the service who still gets the DM, freshly before each one (a sender that reloads)."""

    def __init__(self, service: ReportService, report_id: int) -> None:
        super().__init__()
        self.service = service
        self.report_id = report_id

    async def skip_reason(self, user_id: int) -> str | None:
        report = await self.service.get(GUILD, self.report_id)
        return (await self.service.audience(report)).skip_reason(person(user_id))


async def test_a_subscriber_erased_during_a_run_gets_no_dm_and_their_row_is_not_written_again(
    service: ReportService,
) -> None:
    for user in (1, 2, 3):
        await service.subscribe(GUILD, user)
    report_id = await publish(service, visibility="public")
    options = EngineOptions(workers=1, flush_every=0.01, progress_every=60)

    # A sender that has not reloaded yet sends to the erased member; nothing is written for them.
    stale = FakeSender()
    stale.gate = asyncio.Event()
    task = asyncio.create_task(DeliveryEngine(service, options).run(report_id, stale))
    await asyncio.wait_for(stale.entered.wait(), 5)  # the run has read its queue: 1, 2, 3
    await erase(service, 2)
    stale.gate.set()
    await task
    assert sorted(user for user, _ in stale.sent) == [1, 2, 3]
    assert await service.counts(report_id) == DeliveryCounts(total=2, sent=2)
    assert (await service.get(GUILD, report_id)).delivery_state == "done"

    # A sender that reloads skips them: no DM at all.
    later = await publish(service, "Later", visibility="public")
    fresh = AudienceSender(service, later)
    fresh.gate = asyncio.Event()
    task = asyncio.create_task(DeliveryEngine(service, options).run(later, fresh))
    await asyncio.wait_for(fresh.entered.wait(), 5)
    await erase(service, 3)
    fresh.gate.set()
    await task
    assert [user for user, _ in fresh.sent] == [1]
    assert await service.counts(later) == DeliveryCounts(total=1, sent=1)


def test_a_source_is_a_pdf_within_limits_or_a_web_address(service: ReportService) -> None:
    with pytest.raises(DomainError, match="Attach the report as a PDF or give its URL"):
        service.check_source(file_size=None, url=None, upload_limit=8 << 20)
    with pytest.raises(DomainError, match="is not a web address"):
        service.check_source(file_size=None, url="javascript:alert(1)", upload_limit=8 << 20)
    with pytest.raises(DomainError, match="reports can be at most"):
        service.check_source(file_size=2048, url=None, upload_limit=8 << 20)
    # Within the bot's limit but above the server's upload limit: members could not download it.
    with pytest.raises(DomainError, match="give also a URL"):
        service.check_source(file_size=1000, url=None, upload_limit=500)
    assert service.check_source(file_size=1000, url=" https://cisip.org/r.pdf ", upload_limit=500) == (
        "https://cisip.org/r.pdf"
    )


async def test_publish_and_edit_check_the_address_and_default_to_members(service: ReportService) -> None:
    with pytest.raises(DomainError, match="is not a web address"):
        await publish(service, url="ftp://cisip.org/r.pdf")
    report_id = await publish(service, visibility=None)
    assert (await service.get(GUILD, report_id)).visibility == "members"
    with pytest.raises(DomainError, match="is not a web address"):
        await service.edit(GUILD, report_id, url="not a url")


async def test_failed_deliveries_are_retried_only_once_the_run_has_finished(service: ReportService) -> None:
    await service.subscribe(GUILD, 11)
    report_id = await publish(service)
    with pytest.raises(DomainError, match="still being delivered"):
        await service.retry_failed(GUILD, report_id, 7)


async def delivery_jobs(database: Database) -> list[tuple[str | None, str, dict[str, Any]]]:
    async with database.session() as session:
        rows = await session.execute(
            select(ScheduledJob.dedupe_key, ScheduledJob.status, ScheduledJob.payload)
            .where(ScheduledJob.kind == DELIVERY_JOB)
            .order_by(ScheduledJob.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_delivery_is_a_scheduled_row_held_until_its_announcement_is_posted(
    service: ReportService,
) -> None:
    await service.subscribe(GUILD, 11)
    report_id = await publish(service)
    (job,) = await delivery_jobs(service.db)
    assert job == (f"report-delivery:{report_id}", "pending", {"report_id": report_id})
    # Held: its DMs link to the announcement, which is not posted yet.
    held = await service.scheduler.next_due(registered_only=False)
    assert held is not None and held - service.clock.now() > DELIVERY_HOLD - timedelta(seconds=5)
    await service.start_delivery(report_id)  # the announcement is out
    now = await service.scheduler.next_due(registered_only=False)
    assert now is not None and now <= service.clock.now()


async def test_a_rush_of_retry_presses_starts_one_run(database: Database) -> None:
    """Staff press Retry in two places (or two processes answer): one run is scheduled, the other
    presses are told the delivery is under way; nothing else is written twice."""
    service = report_service(database, 1024)
    for user in (11, 12):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    pending = await service.pending(report_id)
    await service.settle(report_id, [Settled(p.id, p.user_id, "failed", 3, error="503") for p in pending])
    await service.finish(report_id)
    others = [Database(database.url) for _ in range(8)]
    try:
        presses = [report_service(db, 1024).retry_failed(GUILD, report_id, 7) for db in (database, *others)]
        outcomes = await asyncio.gather(*presses, return_exceptions=True)
    finally:
        for db in others:
            await db.dispose()
    assert sorted(o for o in outcomes if isinstance(o, int)) == [2]
    refusals = [o for o in outcomes if not isinstance(o, int)]
    assert all(isinstance(o, DomainError) and "still being delivered" in str(o) for o in refusals), refusals
    assert [job[1] for job in await delivery_jobs(database)] == ["pending", "pending"]  # publish, retry
    assert (await service.get(GUILD, report_id)).delivery_state == "running"
    assert await service.counts(report_id) == DeliveryCounts(total=2)


# -- typed input: every field cleaned and bounded, every reference resolved ---------------------------

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u202e\u2066"
HANGUL_FILLER = "\u3164"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"title": ZERO_WIDTH}, "The title cannot be empty."),
        ({"title": HANGUL_FILLER * 3}, "The title cannot be empty."),
        ({"title": "\x00\x01" + BIDI}, "The title cannot be empty."),
        ({"title": "x" * 6000}, "The title can be at most 200 characters long, not 6,000."),
        ({"summary": ZERO_WIDTH + "\n\n" + ZERO_WIDTH}, "The summary cannot be empty."),
        ({"summary": "y" * 6000}, "The summary can be at most 1,500 characters long, not 6,000."),
        ({"url": ZERO_WIDTH}, "The web address cannot be empty."),
        ({"url": "https://cisip.org/" + "z" * 6000}, "The web address can be at most 500 characters"),
        ({"url": "https://cisip.org/a b"}, "is not a web address"),
        ({"year": 10**30}, "The year must be from"),
        ({"year": 2**64}, "The year must be from"),
        ({"year": -1}, "The year must be from"),
        ({"year": 2101}, "The year must be from"),
        ({"year": 2026.5}, "The year must be a whole number."),
        ({"year": True}, "The year must be a whole number."),
    ],
)
async def test_hostile_text_and_numbers_are_refused_and_nothing_is_stored(
    service: ReportService, options: dict[str, object], message: str
) -> None:
    await service.subscribe(GUILD, 11)
    with pytest.raises(DomainError, match=re.escape(message)):
        await publish(service, **options)
    assert await service.browse(GUILD, members=True) == ([], 0)
    async with service.db.session() as session:
        from sqlalchemy import func, select

        from bot.db.models_reports import Report, ReportDelivery

        assert await session.scalar(select(func.count()).select_from(Report)) == 0
        assert await session.scalar(select(func.count()).select_from(ReportDelivery)) == 0


async def test_text_is_kept_as_people_see_it(service: ReportService) -> None:
    """NUL, zero-width and direction characters never reach the database; spaces are trimmed and
    a summary keeps its paragraphs."""
    report_id = await publish(
        service,
        title=f" Sci\x00ence{ZERO_WIDTH} Park{BIDI}  Report ",
        summary="First\x00 line.\r\n\r\n\r\n\u200bSecond  line. ",
        url=" https://cisip.org/r\u200b.pdf ",
    )
    report = await service.get(GUILD, report_id)
    assert report.title == "Science Park Report"
    assert report.summary == "First line.\n\nSecond line."
    assert report.url == "https://cisip.org/r.pdf"


async def test_an_edit_checks_every_value_first_and_changes_nothing_on_a_refusal(
    service: ReportService,
) -> None:
    report_id = await publish(service, "Report", year=2026)
    for options, message in (
        ({"year": 2025, "title": ZERO_WIDTH}, "The title cannot be empty."),
        ({"year": 2025, "summary": "s" * 1501}, "The summary can be at most 1,500"),
        ({"title": "New", "year": 10**30}, "The year must be from"),
        ({"title": "New", "url": "\x00"}, "The web address cannot be empty."),
        ({"title": "New", "language": "fr"}, "Unknown language"),
    ):
        with pytest.raises(DomainError, match=re.escape(message)):
            await service.edit(GUILD, report_id, **options)  # type: ignore[arg-type]
    report = await service.get(GUILD, report_id)
    assert (report.title, report.year, report.summary, report.language) == ("Report", 2026, "Summary", "en")
    edited = await service.edit(GUILD, report_id, title=f"New{ZERO_WIDTH} title\x00", year=2025)
    assert (edited.title, edited.year) == ("New title", 2025)
    with pytest.raises(NotFound, match=NO_SUCH):
        await service.edit(GUILD, 2**70, title="x")  # an id no report can have: no database error


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Annual report 2026!.pdf", "Annual report 2026.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\report.PDF", "report.pdf"),
        ("a\x00b\u202e.pdf", "ab.pdf"),
        ('we"ird<na>me|?.pdf', "we_ird_na_me.pdf"),
        ("\u200b\u200b.pdf", "report.pdf"),
        ("...", "report.pdf"),
        ("2020年科技园发展报告.pdf", "2020年科技园发展报告.pdf"),
        ("x" * 6000 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_and_bounded(name: str, safe: str) -> None:
    assert safe_filename(name) == safe
    assert len(safe_filename(name)) <= 200


def test_a_refused_file_is_named_safely(service: ReportService) -> None:
    with pytest.raises(DomainError) as refused:
        service.check_pdf(b"<html>", "\x00" + "n" * 6000 + ".pdf")
    assert str(refused.value) == "n" * 196 + ".pdf is not a PDF: attach the report as a PDF file."


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        ("#12", 12),
        ("#12 Science Park Report (2026)", 12),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("9" * 6000, None),
        ("0", None),
        ("-1", None),
        ("1.0", None),
        ("１２", None),
        ("١٢", None),
        ("²", None),
        ("12 Science", None),  # a title that starts with a number is a title
    ],
)
def test_what_a_number_in_a_report_option_can_be(text: str, number: int | None) -> None:
    assert number_in(text) == number


async def test_a_report_option_names_a_report_by_id_number_or_exact_title(service: ReportService) -> None:
    first = await publish(service, "Science Park Report", year=2025)
    other = await publish(service, "2030 Vision", year=2026)
    staff = person(1, manages_server=True)
    for value in (
        str(first),
        f"#{first}",
        f"#{first} whatever the label said",
        "Science Park Report",
        "  science PARK report ",
        "Science\x00 Park\u200b Report",
        "Science Park Report (2025)",
    ):
        assert (await service.find(GUILD, value)).id == first, value
        assert (await service.readable(staff, value)).id == first, value
    assert (await service.find(GUILD, "2030 Vision")).id == other


@pytest.mark.parametrize(
    "value",
    [
        "99999999999999999999",
        str(2**63),
        str(2**64),
        "9" * 6000,
        "Science",  # part of a title: pick it from the list
        "１",
        "-1",
        "Science Park Report (2019)",
        "no such report at all",
    ],
)
async def test_anything_else_is_no_report_quoted_within_bounds(service: ReportService, value: str) -> None:
    """An oversized number used to reach the database and answer "Something went wrong"."""
    await publish(service, "Science Park Report", year=2025)
    limit = REPORT_REFERENCE.max_length
    expected = value if len(value) <= limit else value[: limit - 1] + "…"
    for refusal in (
        service.find,
        lambda guild, typed: service.readable(person(1, manages_server=True), typed),
    ):
        with pytest.raises(NotFound) as refused:
            await refusal(GUILD, value)
        assert str(refused.value) == f"No report matches '{expected}'."
    offered = await service.search(GUILD, value, members=True)  # autocomplete answers, no error
    assert [r.title for r in offered] == (["Science Park Report"] if value == "Science" else [])


async def test_an_empty_reference_asks_for_a_report(service: ReportService) -> None:
    for value in ("", "   ", ZERO_WIDTH, "\x00", HANGUL_FILLER):
        with pytest.raises(DomainError, match=re.escape("The report cannot be empty.")):
            await service.find(GUILD, value)


async def test_a_title_several_reports_share_must_be_picked(service: ReportService) -> None:
    older = await publish(service, "Science Park Development Report", year=2019)
    newer = await publish(service, "Science Park Development Report", year=2020)
    with pytest.raises(
        DomainError, match=re.escape("Several reports match 'Science Park Development Report'")
    ):
        await service.find(GUILD, "Science Park Development Report")
    assert (await service.find(GUILD, "Science Park Development Report (2019)")).id == older
    assert (await service.find(GUILD, str(newer))).id == newer
    # Staff commands reach withdrawn reports too, but a title names the published one first.
    await service.withdraw(GUILD, older)
    assert (await service.find(GUILD, "Science Park Development Report")).id == newer
    assert (await service.find(GUILD, str(older))).status == "withdrawn"


async def test_a_reader_finds_only_what_they_may_read_by_id_or_title(
    service: ReportService, database: Database
) -> None:
    public = await publish(service, "Open data", year=2024, visibility="public")
    members_only = await publish(service, "Members report", year=2026)
    other_server, _count = await service.publish(
        GUILD + 1,
        title="Elsewhere",
        year=2026,
        summary="s",
        language="en",
        publisher_id=7,
        url="https://x.org",
    )
    plain = person(1)
    assert (await service.readable(plain, "open data")).id == public
    for value in (
        str(members_only),
        "Members report",
        "Members report (2026)",
        str(other_server.id),
        "Elsewhere",
    ):
        with pytest.raises(NotFound, match=NO_SUCH):
            await service.readable(plain, value)
    assert [r.id for r in await service.readable_choices(plain, str(members_only))] == []
    await approve(database, 4)
    assert (await service.readable(person(4), "Members report")).id == members_only
    assert [r.id for r in await service.readable_choices(person(4), str(members_only))] == [members_only]
    with pytest.raises(NotFound, match=NO_SUCH):
        await service.find(GUILD, str(other_server.id))  # staff of one server do not reach another's


@pytest.mark.parametrize(
    "typed",
    ["", "x" * 6000, "\x00", "Re\x00port", "9" * 6000, str(2**64), "%", "_", "\\", ZERO_WIDTH, "'; --"],
)
async def test_autocomplete_answers_any_text(service: ReportService, typed: str) -> None:
    await publish(service, "Report", year=2026)
    found = [r.title for r in await service.search(GUILD, typed, members=True)]
    assert found == (["Report"] if typed in ("", "\x00", "Re\x00port", ZERO_WIDTH) else [])
    assert await service.readable_choices(person(1), typed) == []


async def test_autocomplete_offers_a_report_by_its_id_too(service: ReportService) -> None:
    report_id = await publish(service, "Report", year=2026)
    assert [r.id for r in await service.search(GUILD, str(report_id), members=True)] == [report_id]
    assert [r.id for r in await service.search(GUILD, "50%", members=True)] == []


class FakeTime:
    """A clock that moves only when a task sleeps (to the end of its sleep)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, until)


def most_in_one_second(grants: list[float]) -> int:
    """The most requests granted in any window [t, t + 1 s)."""
    times = sorted(grants)
    return max(sum(1 for u in times if t <= u < t + 1 - 1e-9) for t in times)


async def test_the_pacer_never_grants_more_than_rate_plus_one_in_any_second() -> None:
    time = FakeTime()
    pacer = Pacer(45, burst=1, clock=time.clock, sleep=time.sleep)
    grants: list[float] = []

    async def worker(n: int) -> None:
        for i in range(60):
            cost = 2 if (n + i) % 3 == 0 else 1  # a DM that opens its channel costs two requests
            at = await pacer.acquire(cost)
            assert time.clock() >= at - 1e-9  # never returns before its slot
            grants.extend([at] * cost)

    started = time.now
    await asyncio.gather(*(worker(n) for n in range(8)))
    assert len(grants) / (time.now - started) > 44  # it does not pace far below its rate
    await time.sleep(5)  # idle: no burst is saved up meanwhile
    await asyncio.gather(*(worker(n) for n in range(8)))

    assert most_in_one_second(grants) <= 46  # 45/s + one: Discord's global limit is 50


async def test_a_burst_is_bounded_too() -> None:
    time = FakeTime()
    pacer = Pacer(10, burst=5, clock=time.clock, sleep=time.sleep)
    grants = [await pacer.acquire() for _ in range(100)]
    assert grants[:5] == pytest.approx([1000.0] * 5)  # the burst, at once
    assert most_in_one_second(grants) <= 10 + 5 - 1


async def test_the_engine_paces_its_sends_counting_the_channel_to_open(service: ReportService) -> None:
    for user in range(1, 11):
        await service.subscribe(GUILD, user)
    report_id = await publish(service)
    engine = DeliveryEngine(service, EngineOptions(workers=4, flush_every=0.01, progress_every=60))
    assert engine.pacer is not None  # paced by default
    costs: list[int] = []
    acquire = engine.pacer.acquire

    async def recording(cost: int = 1) -> float:
        costs.append(cost)
        return await acquire(cost)

    engine.pacer.acquire = recording  # type: ignore[method-assign]
    sender = FakeSender()
    counts = await engine.run(report_id, sender)
    assert counts.sent == 10
    assert costs == [2] * 10  # no DM channel known yet: opening it is a request too

    later = await publish(service, "Later")
    costs.clear()
    engine = DeliveryEngine(service, EngineOptions(workers=4, flush_every=0.01, progress_every=60))
    assert engine.pacer is not None
    acquire = engine.pacer.acquire
    engine.pacer.acquire = recording  # type: ignore[method-assign]
    await engine.run(later, FakeSender())
    assert costs == [1] * 10  # the channels opened for the first report are remembered


async def test_the_steady_pacer_releases_no_burst_after_a_stall() -> None:
    """The bot-wide pacer (bot.ui.pacing) spaces grants as they really happen: a stalled loop
    (here: the clock jumping 3 s while 40 callers wait) is followed by one grant, then the
    rate again, never by the slots that fell due during the stall."""
    time = FakeTime()
    steady = SteadyPacer(48, clock=time.clock, sleep=time.sleep)
    reserving = Pacer(48, clock=time.clock, sleep=time.sleep)
    for pacer in (steady, reserving):
        grants: list[float] = []

        async def caller(pacer: Pacer | SteadyPacer = pacer, grants: list[float] = grants) -> None:
            await pacer.acquire()
            grants.append(time.clock())  # when the request really goes

        first = [asyncio.ensure_future(caller()) for _ in range(40)]
        await asyncio.sleep(0)  # every caller is waiting for its slot
        time.now += 3  # the loop stalls
        await asyncio.gather(*first, *(caller() for _ in range(100)))
        assert len(grants) == 140
        if pacer is steady:
            assert most_in_one_second(grants) <= 49
        else:  # why the bot-wide pacer is not a Pacer: every slot due in the stall goes at once
            assert most_in_one_second(grants) > 49
