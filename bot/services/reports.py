"""Reports: publishing (a PDF, kept in the database, or a URL), subscriptions and delivery rows, and who
may read or receive a report (members-only ones go through the member gate of
``bot.services.membership``, one answer for browsing, fetching and DMs).

Nothing here knows discord.py. The cog announces and sends; this service decides and remembers.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, claim_row
from bot.db.models_reports import Report, ReportDelivery, ReportFile, ReportSubscription
from bot.errors import DomainError, NotFound
from bot.fields import (
    FILE_NAME,
    MAX_ID,
    REPORT_REFERENCE,
    REPORT_SUMMARY,
    REPORT_TITLE,
    REPORT_YEAR,
    WEB_ADDRESS,
    canonical_text,
)
from bot.i18n import Message, _
from bot.scheduler import Scheduler
from bot.scheduler.clock import Clock
from bot.services.access import Person
from bot.services.delivery import DeliveryCounts, PendingDelivery, Settled
from bot.services.membership import MemberGate, MembershipService
from bot.services.personal_data import PersonalDataHolder, iso

PDF_MAGIC = b"%PDF-"
DEFAULT_VISIBILITY = "members"
VISIBILITIES = {"members": _("Members only"), "public": _("Public")}
LANGUAGES = {"en": _("English"), "zh": _("Chinese"), "en+zh": _("English and Chinese"), "other": _("Other")}
PDF_SUFFIX = ".pdf"
# The scheduled row that delivers a report (payload: report_id); cogs/reports runs it.
DELIVERY_JOB = "report.delivery"
# A run that fails as a whole (its server out of reach, the database gone) is retried with the
# scheduler's backoff, up to an hour apart: 12 attempts span about half a day.
DELIVERY_MAX_ATTEMPTS = 12
# A new report's delivery waits for its announcement (its DMs link to it): the publisher's process
# starts it as soon as the announcement is posted (start_delivery); this long if that process died
# in between.
DELIVERY_HOLD = timedelta(seconds=60)
NO_HOLD = timedelta(0)
# Characters a file name keeps (letters and digits of any script, dot, dash, underscore, space):
# the rest (path separators, quotes, wildcards) would be unsafe in a download's name.
_FILENAME_UNSAFE = re.compile(r"[^\w. -]+")
# What a report option may name by number: an id (what autocomplete sends), ``#12`` or ``#12 Title``.
_NUMBER = re.compile(r"#?([0-9]+)")
_NUMBERED = re.compile(r"#([0-9]+)\s.*")
# How autocomplete labels a report, typed in full without picking: ``Title (2026)``.
_LABELLED = re.compile(r"(.+?)\s*\(([0-9]{4})\)")
NO_MATCH = _("No report matches '{value}'.")
SEVERAL_MATCH = _("Several reports match '{value}': pick one from the list.")


@dataclass(frozen=True)
class PdfFile:
    """A PDF checked for publishing (:meth:`ReportService.check_pdf`), not stored yet."""

    data: bytes = field(repr=False)
    sha256: str
    name: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FolderImport:
    """What :meth:`ReportService.import_folder` did: reports whose PDF it copied in (``files``
    files), reports whose file was not in the folder, and files whose bytes did not match."""

    reports: int = 0
    files: int = 0
    missing: int = 0
    damaged: tuple[Path, ...] = ()


def check_url(url: str) -> str:
    """``url`` cleaned (``WEB_ADDRESS``: nothing invisible, at most 500 characters) when it is an
    http(s) address, else a DomainError quoting it."""
    url = WEB_ADDRESS.clean(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise DomainError(_("'{url}' is not a web address: give one starting with https://."), url=url)
    return url


def safe_filename(name: str) -> str:
    """The name a PDF is offered under: its stem cleaned of what is invisible or unsafe in a file
    name, at most ``FILE_NAME`` characters with ``.pdf``; ``report.pdf`` when nothing is left."""
    text = canonical_text(name) if isinstance(name, str) else ""
    stem = text.replace("\\", "/").rsplit("/", 1)[-1]
    if stem.lower().endswith(PDF_SUFFIX):
        stem = stem[: -len(PDF_SUFFIX)]
    stem = _FILENAME_UNSAFE.sub("_", stem)
    stem = canonical_text(stem[: FILE_NAME.max_length - len(PDF_SUFFIX)]).strip(" ._")
    return f"{stem or 'report'}{PDF_SUFFIX}"


def quoted(value: str) -> str:
    """``value`` as a refusal quotes it: cleaned, and cut to what the option takes."""
    text = canonical_text(value) if isinstance(value, str) else ""
    limit = REPORT_REFERENCE.max_length
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def number_in(text: str) -> int | None:
    """The id ``text`` names by number (``12``, ``#12``, ``#12 Title``), if any id could be it."""
    match = _NUMBER.fullmatch(text) or _NUMBERED.fullmatch(text)
    if match is None or len(match.group(1)) > len(str(MAX_ID)):
        return None
    number = int(match.group(1))
    return number if 0 < number <= MAX_ID else None


@dataclass(frozen=True)
class Audience:
    """Who still gets one report's DM, loaded for the whole server at once (a delivery run asks it
    about thousands of members): subscribed now, and through the member gate for a members-only
    report. The sender reloads it every few seconds, so an unsubscription or an erasure during a
    run takes effect then (or at once with :meth:`without`)."""

    subscribers: frozenset[int]
    gate: MemberGate | None  # None: a public report

    def skip_reason(self, person: Person | None) -> str | None:
        """Why this member gets no DM (``person`` None: no longer in the server), or None."""
        if person is None:
            return "left the server"
        if person.user_id not in self.subscribers:
            return "unsubscribed"
        if self.gate is not None and not self.gate.admits(person):
            return "not a verified member"
        return None

    def without(self, *user_ids: int) -> Audience:
        return replace(self, subscribers=self.subscribers.difference(user_ids))


@dataclass(frozen=True)
class ReportsErased:
    """A person's subscription and deliveries erased in one server."""

    subscription: bool
    deliveries: int


def first_delivery_key(report_id: int) -> str:
    """The dedupe key of a report's first delivery row (retries of failed DMs get rows of their own)."""
    return f"report-delivery:{report_id}"


class ReportService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "reports"
    personal_tables: ClassVar[tuple[str, ...]] = ("reports", "report_subscriptions", "report_deliveries")

    def __init__(
        self,
        database: Database,
        clock: Clock,
        max_bytes: int,
        *,
        memberships: MembershipService,
        scheduler: Scheduler,
    ) -> None:
        self.db = database
        self.clock = clock
        self.max_bytes = max_bytes
        self.memberships = memberships
        self.scheduler = scheduler

    async def _schedule_delivery(
        self,
        session: AsyncSession,
        report_id: int,
        *,
        dedupe_key: str | None = None,
        hold: timedelta = NO_HOLD,
    ) -> None:
        """In the transaction that set ``delivery_state`` to running: the scheduled row that
        delivers it. Leased like every row, so one process delivers it, and whichever process
        leads next resumes it; the caller wakes the scheduler after the commit."""
        await self.scheduler.schedule(
            DELIVERY_JOB,
            self.clock.now() + hold,
            {"report_id": report_id},
            dedupe_key=dedupe_key,
            max_attempts=DELIVERY_MAX_ATTEMPTS,
            session=session,
        )

    async def start_delivery(self, report_id: int) -> None:
        """The new report is announced: deliver it now instead of after ``DELIVERY_HOLD``."""
        await self.scheduler.bring_forward(first_delivery_key(report_id))

    # -- files --------------------------------------------------------------------------------------

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise DomainError(
                _("The file is {size:n} MB; reports can be at most {limit:n} MB."),
                size=math.ceil(size * 10 / 1024 / 1024) / 10,  # rounded up: never reads as the limit
                limit=round(self.max_bytes / 1024 / 1024, 1),
            )

    def check_pdf(self, data: bytes, filename: str) -> PdfFile:
        """The bytes as a PDF to publish: within ``REPORT_MAX_MB``, starting with ``%PDF-``, with its
        SHA-256 and the name it is offered under. Nothing is stored: :meth:`publish` stores it."""
        name = safe_filename(filename)
        self.check_size(len(data))
        if not data.startswith(PDF_MAGIC):
            raise DomainError(_("{name} is not a PDF: attach the report as a PDF file."), name=name)
        return PdfFile(data, hashlib.sha256(data).hexdigest(), name)

    async def pdf(self, report: Report) -> bytes | None:
        """The report's PDF, read from the database (the same for every bot process on it), or None
        when it has none (a URL only, or a file an older version kept in a folder not imported yet)."""
        if report.file_sha256 is None:
            return None
        async with self.db.session() as session:
            return await session.scalar(select(ReportFile.content).where(ReportFile.report_id == report.id))

    async def uploaded_before(self, guild_id: int, sha256: str) -> Report | None:
        """The newest withdrawn report of the server that had this PDF (a re-upload), if any."""
        async with self.db.session() as session:
            return await session.scalar(
                select(Report)
                .where(
                    Report.guild_id == guild_id, Report.file_sha256 == sha256, Report.status == "withdrawn"
                )
                .order_by(Report.id.desc())
                .limit(1)
            )

    async def import_folder(self, folder: Path) -> FolderImport:
        """Copy into the database the PDFs that older versions kept in ``folder``
        (``DATA_DIR/reports/<sha256>.pdf``) for the reports that have no file row yet, then delete
        each file copied. The one place that still reads that folder; run at every start, it reads
        nothing once every report's PDF is in the database (a second run, or another process, finds
        nothing to do). A file whose bytes do not match its name is left where it is."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Report.id, Report.file_sha256)
                    .outerjoin(ReportFile, ReportFile.report_id == Report.id)
                    .where(Report.file_sha256.is_not(None), ReportFile.report_id.is_(None))
                    .order_by(Report.id)
                )
            ).all()
        wanted: dict[str, list[int]] = {}
        for report_id, sha256 in rows:
            wanted.setdefault(str(sha256), []).append(int(report_id))
        result = FolderImport()
        for sha256, report_ids in wanted.items():
            path = folder / f"{sha256}.pdf"
            if not await asyncio.to_thread(path.is_file):
                result = replace(result, missing=result.missing + len(report_ids))
                continue
            data = await asyncio.to_thread(path.read_bytes)
            if hashlib.sha256(data).hexdigest() != sha256:
                result = replace(result, damaged=(*result.damaged, path))
                continue
            async with self.db.transaction() as session:
                dialect = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
                await session.execute(
                    dialect.insert(ReportFile)
                    .values(
                        [
                            {
                                "report_id": report_id,
                                "content": data,
                                "size": len(data),
                                "sha256": sha256,
                                "created_at": self.clock.now(),
                            }
                            for report_id in report_ids
                        ]
                    )
                    .on_conflict_do_nothing()
                )
            await asyncio.to_thread(path.unlink, missing_ok=True)
            result = replace(result, reports=result.reports + len(report_ids), files=result.files + 1)
        return result

    def check_source(self, *, file_size: int | None, url: str | None, upload_limit: int) -> str | None:
        """Before anything is stored: a PDF within the size limit, or a web address, or both; a PDF
        larger than the server's upload limit needs a URL too (members could not download it).
        Returns the URL, checked."""
        if file_size is None and url is None:
            raise DomainError(_("Attach the report as a PDF or give its URL."))
        link = check_url(url) if url is not None else None
        if file_size is not None:
            self.check_size(file_size)
            if file_size > upload_limit and link is None:
                raise DomainError(
                    _(
                        "The PDF is larger than this server's upload limit ({limit:n} MB), so members "
                        "could not download it here: give also a URL where it can be read."
                    ),
                    limit=round(upload_limit / (1024 * 1024), 1),
                )
        return link

    # -- publishing ---------------------------------------------------------------------------------

    def check_report(
        self, *, title: str, year: int, summary: str, language: str, visibility: str | None = None
    ) -> None:
        """Refuse what :meth:`publish` would refuse in the report's own fields, before a PDF is
        downloaded and stored for it."""
        REPORT_TITLE.clean(title)
        REPORT_SUMMARY.clean(summary)
        _check_fields(year, language, visibility or DEFAULT_VISIBILITY)

    async def publish(
        self,
        guild_id: int,
        *,
        title: str,
        year: int,
        summary: str,
        language: str,
        publisher_id: int,
        visibility: str | None = None,
        file: PdfFile | None = None,
        url: str | None = None,
    ) -> tuple[Report, int]:
        """Create the report and, in the same transaction, its PDF's row (``report_files``) and one
        pending delivery per subscriber. Reports are for members unless staff say otherwise."""
        visibility = visibility or DEFAULT_VISIBILITY
        title, summary = REPORT_TITLE.clean(title), REPORT_SUMMARY.clean(summary)
        year = _check_fields(year, language, visibility)
        if file is None and url is None:
            raise DomainError(_("Attach the report as a PDF or give its URL."))
        url = check_url(url) if url is not None else None
        if file is not None:
            self.check_size(file.size)
        now = self.clock.now()
        async with self.db.transaction() as session:
            if file is not None:
                twin = await session.scalar(
                    select(Report).where(
                        Report.guild_id == guild_id,
                        Report.file_sha256 == file.sha256,
                        Report.status == "published",
                    )
                )
                if twin is not None:
                    raise DomainError(
                        _("This PDF is already published as {title} ({year})."),
                        title=twin.title,
                        year=twin.year,
                    )
            report = Report(
                guild_id=guild_id,
                title=title,
                year=year,
                summary=summary,
                language=language,
                visibility=visibility,
                status="published",
                file_sha256=file.sha256 if file else None,
                file_name=file.name if file else None,
                file_size=file.size if file else None,
                url=url,
                published_by=publisher_id,
                delivery_state="running",
                progress_user_id=publisher_id,
                created_at=now,
                updated_at=now,
            )
            session.add(report)
            await session.flush()
            if file is not None:
                session.add(
                    ReportFile(
                        report_id=report.id,
                        content=file.data,
                        size=file.size,
                        sha256=file.sha256,
                        created_at=now,
                    )
                )
            subscribers = (
                await session.scalars(
                    select(ReportSubscription.user_id)
                    .where(ReportSubscription.guild_id == guild_id, ReportSubscription.active.is_(True))
                    .order_by(ReportSubscription.id)
                )
            ).all()
            if subscribers:
                await session.execute(
                    cast(Table, ReportDelivery.__table__).insert(),
                    [
                        {
                            "report_id": report.id,
                            "user_id": user_id,
                            "status": "pending",
                            "attempts": 0,
                            "updated_at": now,
                        }
                        for user_id in subscribers
                    ],
                )
            if subscribers:
                key = first_delivery_key(report.id)
                await self._schedule_delivery(session, report.id, dedupe_key=key, hold=DELIVERY_HOLD)
            else:
                report.delivery_state = "done"
        if subscribers:
            self.scheduler.wake()
        return report, len(subscribers)

    async def set_announcement(self, report_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            report = await session.get(Report, report_id)
            if report is not None:
                report.announcement_channel_id = channel_id
                report.announcement_message_id = message_id

    async def set_progress_message(self, report_id: int, channel_id: int, message_id: int) -> None:
        """Remember the publisher's progress DM (not once the publisher's data was erased)."""
        async with self.db.transaction() as session:
            report = await session.get(Report, report_id)
            if report is not None and report.progress_user_id is not None:
                report.progress_channel_id = channel_id
                report.progress_message_id = message_id

    async def edit(
        self,
        guild_id: int,
        report_id: int,
        *,
        title: str | None = None,
        year: int | None = None,
        summary: str | None = None,
        language: str | None = None,
        visibility: str | None = None,
        url: str | None = None,
    ) -> Report:
        """Change what is given (None: unchanged), every value checked before anything is."""
        title = REPORT_TITLE.clean_optional(title)
        summary = REPORT_SUMMARY.clean_optional(summary)
        year = REPORT_YEAR.check(year) if year is not None else None
        url = check_url(url) if url is not None else None
        async with self.db.transaction() as session:
            report = await self._get(session, guild_id, report_id)
            if report.status != "published":
                raise DomainError(_("{title} was withdrawn; publish it again instead."), title=report.title)
            _check_fields(
                report.year if year is None else year,
                report.language if language is None else language,
                report.visibility if visibility is None else visibility,
            )
            if title is not None:
                report.title = title
            if summary is not None:
                report.summary = summary
            if year is not None:
                report.year = year
            if language is not None:
                report.language = language
            if visibility is not None:
                report.visibility = visibility
            if url is not None:
                report.url = url
            report.updated_at = self.clock.now()
        return report

    async def withdraw(self, guild_id: int, report_id: int) -> tuple[Report, int]:
        """Withdraw a report; deliveries not made yet are skipped. Returns how many were."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            report = await self._get(session, guild_id, report_id)
            if report.status == "withdrawn":
                raise DomainError(_("{title} is already withdrawn."), title=report.title)
            report.status = "withdrawn"
            report.withdrawn_at = report.updated_at = now
            report.delivery_state = "done"
            result = await session.execute(
                update(ReportDelivery)
                .where(ReportDelivery.report_id == report.id, ReportDelivery.status == "pending")
                .values(status="skipped", last_error="withdrawn", updated_at=now)
            )
        return report, int(getattr(result, "rowcount", 0) or 0)

    async def retry_failed(self, guild_id: int, report_id: int, requested_by: int) -> int:
        """Put the failed deliveries back in the queue; the caller starts a delivery run."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            report = await self._get(session, guild_id, report_id)
            if report.status != "published":
                raise DomainError(_("{title} was withdrawn; publish it again instead."), title=report.title)
            # One statement decides, whoever presses Retry beside it: only the press that turns
            # the delivery from finished to running schedules a run.
            started = await session.execute(
                update(Report)
                .where(Report.id == report.id, Report.delivery_state != "running")
                .values(
                    delivery_state="running",
                    progress_user_id=requested_by,
                    progress_channel_id=None,
                    progress_message_id=None,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(started, "rowcount", 0):
                raise DomainError(
                    _("{title} is still being delivered: retry the failed ones when it has finished."),
                    title=report.title,
                )
            result = await session.execute(
                update(ReportDelivery)
                .where(ReportDelivery.report_id == report.id, ReportDelivery.status == "failed")
                .values(status="pending", attempts=0, updated_at=now)
            )
            count = int(getattr(result, "rowcount", 0) or 0)
            if count == 0:
                raise DomainError(_("No delivery of {title} failed: nothing to retry."), title=report.title)
            await self._schedule_delivery(session, report.id)
        self.scheduler.wake()
        return count

    # -- reading ------------------------------------------------------------------------------------

    async def get(self, guild_id: int, report_id: int) -> Report:
        async with self.db.session() as session:
            return await self._get(session, guild_id, report_id)

    async def get_any(self, report_id: int) -> Report | None:
        async with self.db.session() as session:
            return await session.get(Report, report_id)

    async def find(self, guild_id: int | None, value: str) -> Report:
        """The report a staff command's ``report`` option names, withdrawn ones too (see
        :meth:`_resolve`; by title, a published report before a withdrawn one of the same title)."""
        if guild_id is None:
            raise NotFound(NO_MATCH, value=quoted(value))
        ours = Report.guild_id == guild_id
        return await self._resolve(value, [ours, Report.status == "published"], [ours])

    async def _get(self, session: AsyncSession, guild_id: int, report_id: int) -> Report:
        report = await session.get(Report, report_id) if 0 < report_id <= MAX_ID else None
        if report is None or report.guild_id != guild_id:
            raise NotFound(NO_MATCH, value=f"#{report_id}")
        return report

    async def _resolve(self, value: str, *scopes: list[ColumnElement[bool]]) -> Report:
        """The one report ``value`` names within ``scopes`` (the narrowest first): the id that
        autocomplete sends (also as ``#12`` or ``#12 Title``), else a title typed in full without
        picking (exactly, or ignoring case, or as autocomplete labels it: ``Title (2026)``).
        NotFound "No report matches" for anything else: a number no report has, however large,
        or a report in another server or one the reader may not see."""
        text = canonical_text(value) if isinstance(value, str) else ""
        if not text:
            raise DomainError(_("The {field} cannot be empty."), field=Message(REPORT_REFERENCE.label))
        number = number_in(text)
        async with self.db.session() as session:
            if number is not None:
                report = await session.scalar(select(Report).where(Report.id == number, *scopes[-1]))
                if report is not None:
                    return report
            if len(text) <= REPORT_TITLE.max_length + len(" (2026)"):
                for scope in scopes:
                    for named in _titled(text):
                        found = (
                            await session.scalars(
                                select(Report)
                                .where(*scope, named)
                                .order_by(Report.year.desc(), Report.id.desc())
                                .limit(2)
                            )
                        ).all()
                        if len(found) > 1:
                            raise DomainError(SEVERAL_MATCH, value=quoted(text))
                        if found:
                            return found[0]
        raise NotFound(NO_MATCH, value=quoted(text))

    # -- what a member may read ---------------------------------------------------------------------

    async def reads_members_only(self, person: Person) -> bool:
        """May ``person`` read members-only reports: the member gate (staff, or a verified member;
        nobody else, even when no verified role is set up)."""
        return await self.memberships.is_verified_member(person)

    async def readable(self, person: Person, value: str) -> Report:
        """The report ``value`` names (see :meth:`_resolve`), if ``person`` may get it: published,
        and public or they pass the member gate. Any other report is one that does not exist, for
        them: the same "No report matches" as a report that does not exist at all."""
        if person.guild_id is None:
            raise NotFound(NO_MATCH, value=quoted(value))
        return await self._resolve(
            value, _readable(person.guild_id, members=await self.reads_members_only(person))
        )

    async def readable_choices(self, person: Person, typed: str) -> list[Report]:
        """The reports ``person`` may get whose title or year matches ``typed`` (for autocomplete)."""
        if person.guild_id is None:
            return []
        return await self.search(person.guild_id, typed, members=await self.reads_members_only(person))

    async def latest(self, person: Person) -> Report:
        """The newest report ``person`` may get."""
        if person.guild_id is None:
            raise NotFound(_("No report is published yet."))
        reports, _total = await self.browse(
            person.guild_id, members=await self.reads_members_only(person), limit=1
        )
        if not reports:
            raise NotFound(_("No report is published yet."))
        return reports[0]

    async def browse(
        self, guild_id: int, *, members: bool, offset: int = 0, limit: int = 5
    ) -> tuple[list[Report], int]:
        """Published reports, newest year first (members-only ones only when ``members``)."""
        where = _readable(guild_id, members=members)
        async with self.db.session() as session:
            total = await session.scalar(select(func.count()).select_from(Report).where(*where)) or 0
            rows = (
                await session.scalars(
                    select(Report)
                    .where(*where)
                    .order_by(Report.year.desc(), Report.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return list(rows), int(total)

    async def search(self, guild_id: int, typed: str, *, members: bool, limit: int = 25) -> list[Report]:
        """Published reports whose title or year matches ``typed``, or whose id it is (members-only
        ones when ``members``): what autocomplete offers. Any text gives an answer (no error)."""
        where = _readable(guild_id, members=members)
        text = canonical_text(typed)[: REPORT_TITLE.max_length] if isinstance(typed, str) else ""
        if text:
            escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses: list[ColumnElement[bool]] = [func.lower(Report.title).like(f"%{escaped}%", escape="\\")]
            if text.isascii() and text.isdigit() and len(text) <= 4:  # a year
                clauses.append(Report.year == int(text))
            number = number_in(text)
            if number is not None:
                clauses.append(Report.id == number)
            where.append(or_(*clauses))
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(Report).where(*where).order_by(Report.year.desc(), Report.id.desc()).limit(limit)
                )
            ).all()
        return list(rows)

    async def running(self) -> list[Report]:
        """Reports whose delivery was under way (to resume after a restart)."""
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(Report).where(Report.delivery_state == "running").order_by(Report.id)
                )
            ).all()
        return list(rows)

    # -- subscriptions ------------------------------------------------------------------------------

    async def subscribe(self, guild_id: int, user_id: int, dm_channel_id: int | None = None) -> bool:
        """Subscribe; False when already subscribed."""
        async with self.db.transaction() as session:
            defaults = {"active": False, "updated_at": self.clock.now()}
            row = await claim_row(session, ReportSubscription, defaults, guild_id=guild_id, user_id=user_id)
            was_active = row.active
            row.active = True
            if dm_channel_id is not None:
                row.dm_channel_id = dm_channel_id
            row.updated_at = self.clock.now()
        return not was_active

    async def unsubscribe(self, guild_id: int, user_id: int) -> bool:
        """Unsubscribe; False when not subscribed."""
        async with self.db.transaction() as session:
            # One statement decides: of several unsubscribing at once, one is told it worked.
            result = await session.execute(
                update(ReportSubscription)
                .where(
                    ReportSubscription.guild_id == guild_id,
                    ReportSubscription.user_id == user_id,
                    ReportSubscription.active.is_(True),
                )
                .values(active=False, updated_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )
        return bool(getattr(result, "rowcount", 0))

    async def is_subscribed(self, guild_id: int, user_id: int) -> bool:
        async with self.db.session() as session:
            return bool(
                await session.scalar(
                    select(ReportSubscription.active).where(
                        ReportSubscription.guild_id == guild_id, ReportSubscription.user_id == user_id
                    )
                )
            )

    async def subscribers(self, guild_id: int) -> set[int]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ReportSubscription.user_id).where(
                    ReportSubscription.guild_id == guild_id, ReportSubscription.active.is_(True)
                )
            )
            return set(rows.all())

    async def audience(self, report: Report) -> Audience:
        """Who gets ``report`` by DM now (see :class:`Audience`), for its whole server."""
        subscribers = frozenset(await self.subscribers(report.guild_id))
        gate = await self.memberships.gate(report.guild_id) if report.visibility == "members" else None
        return Audience(subscribers, gate)

    # -- the delivery store (see bot.services.delivery) ---------------------------------------------

    async def pending(self, report_id: int) -> list[PendingDelivery]:
        async with self.db.session() as session:
            report = await session.get(Report, report_id)
            if report is None or report.status != "published":
                return []
            rows = await session.execute(
                select(
                    ReportDelivery.id,
                    ReportDelivery.user_id,
                    ReportDelivery.attempts,
                    ReportSubscription.dm_channel_id,
                )
                .outerjoin(
                    ReportSubscription,
                    (ReportSubscription.guild_id == report.guild_id)
                    & (ReportSubscription.user_id == ReportDelivery.user_id),
                )
                .where(ReportDelivery.report_id == report_id, ReportDelivery.status == "pending")
                .order_by(ReportDelivery.id)
            )
            return [PendingDelivery(r.id, r.user_id, r.attempts, r.dm_channel_id) for r in rows]

    async def counts(self, report_id: int) -> DeliveryCounts:
        async with self.db.session() as session:
            rows = await session.execute(
                select(ReportDelivery.status, func.count())
                .where(ReportDelivery.report_id == report_id)
                .group_by(ReportDelivery.status)
            )
            by_status = {status: int(n) for status, n in rows}
        return DeliveryCounts(
            total=sum(by_status.values()),
            sent=by_status.get("sent", 0),
            dms_closed=by_status.get("dms_closed", 0),
            failed=by_status.get("failed", 0),
            skipped=by_status.get("skipped", 0),
        )

    async def settle(self, report_id: int, results: list[Settled]) -> None:
        if not results:
            return
        now = self.clock.now()
        async with self.db.transaction() as session:
            # Only rows still pending: a withdrawal in the meantime wins.
            deliveries = cast(Table, ReportDelivery.__table__)
            await session.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("b_id"), deliveries.c.status == "pending")
                .values(
                    status=bindparam("b_status"),
                    attempts=bindparam("b_attempts"),
                    message_id=bindparam("b_message_id"),
                    last_error=bindparam("b_error"),
                    updated_at=bindparam("b_now"),
                ),
                [
                    {
                        "b_id": r.id,
                        "b_status": r.status,
                        "b_attempts": r.attempts,
                        "b_message_id": r.message_id,
                        "b_error": (r.error or None) and r.error[:200],
                        "b_now": now,
                    }
                    for r in results
                ],
            )
            opened = [r for r in results if r.dm_channel_id is not None]
            if opened:
                report = await session.get(Report, report_id)
                assert report is not None
                table = cast(Table, ReportSubscription.__table__)
                await session.execute(
                    update(table)
                    .where(
                        table.c.guild_id == report.guild_id,
                        table.c.user_id == bindparam("b_user"),
                    )
                    .values(dm_channel_id=bindparam("b_channel")),
                    [{"b_user": r.user_id, "b_channel": r.dm_channel_id} for r in opened],
                )

    async def finish(self, report_id: int) -> None:
        async with self.db.transaction() as session:
            report = await session.get(Report, report_id)
            still = await session.scalar(
                select(func.count())
                .select_from(ReportDelivery)
                .where(ReportDelivery.report_id == report_id, ReportDelivery.status == "pending")
            )
            if report is not None and not still:
                report.delivery_state = "done"

    # -- personal data ------------------------------------------------------------------------------

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        subscription = await session.scalar(
            select(ReportSubscription).where(
                ReportSubscription.guild_id == guild_id, ReportSubscription.user_id == user_id
            )
        )
        deliveries = (
            await session.execute(
                select(Report.title, Report.year, ReportDelivery.status, ReportDelivery.updated_at)
                .join(Report, Report.id == ReportDelivery.report_id)
                .where(Report.guild_id == guild_id, ReportDelivery.user_id == user_id)
                .order_by(ReportDelivery.id)
            )
        ).all()
        published = (
            await session.scalars(
                select(Report).where(
                    Report.guild_id == guild_id,
                    or_(Report.published_by == user_id, Report.progress_user_id == user_id),
                )
            )
        ).all()
        if subscription is None and not deliveries and not published:
            return None
        return {
            "subscription": None
            if subscription is None
            else {"active": subscription.active, "updated_at": iso(subscription.updated_at)},
            "deliveries": [
                {"report": f"{title} ({year})", "status": status, "at": iso(at)}
                for title, year, status, at in deliveries
            ],
            "reports_you_published": [
                f"{r.title} ({r.year})" for r in published if r.published_by == user_id
            ],
        }

    async def erase_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> ReportsErased | None:
        """Forget the subscription and every delivery to the person (no DM goes out after this);
        reports they published stay, without their name."""
        ours = select(Report.id).where(Report.guild_id == guild_id)
        gone = await session.execute(
            delete(ReportDelivery).where(
                ReportDelivery.report_id.in_(ours), ReportDelivery.user_id == user_id
            )
        )
        unsubscribed = await session.execute(
            delete(ReportSubscription).where(
                ReportSubscription.guild_id == guild_id, ReportSubscription.user_id == user_id
            )
        )
        await session.execute(
            update(Report)
            .where(Report.guild_id == guild_id, Report.published_by == user_id)
            .values(published_by=None)
        )
        await session.execute(
            update(Report)
            .where(Report.guild_id == guild_id, Report.progress_user_id == user_id)
            .values(progress_user_id=None, progress_channel_id=None, progress_message_id=None)
        )
        deliveries = int(getattr(gone, "rowcount", 0) or 0)
        subscription = bool(getattr(unsubscribed, "rowcount", 0))
        if not deliveries and not subscription:
            return None
        return ReportsErased(subscription, deliveries)


def _readable(guild_id: int, *, members: bool) -> list[ColumnElement[bool]]:
    """Which reports a reader may get: the one definition behind list, latest, get and autocomplete."""
    where: list[ColumnElement[bool]] = [Report.guild_id == guild_id, Report.status == "published"]
    if not members:
        where.append(Report.visibility == "public")
    return where


def _titled(text: str) -> list[ColumnElement[bool]]:
    """The ways ``text`` can name a report by its title, most exact first: the title itself, the
    title in other letter case, the title with its year as autocomplete shows it."""
    ways: list[ColumnElement[bool]] = [Report.title == text, func.lower(Report.title) == text.lower()]
    labelled = _LABELLED.fullmatch(text)
    if labelled is not None:
        title, year = labelled.group(1), int(labelled.group(2))
        ways.append((func.lower(Report.title) == title.lower()) & (Report.year == year))
    return ways


def _check_fields(year: int, language: str, visibility: str) -> int:
    year = REPORT_YEAR.check(year)
    if language not in LANGUAGES:
        raise DomainError(_("Unknown language {language}."), language=language)
    if visibility not in VISIBILITIES:
        raise DomainError(_("Unknown visibility {visibility}."), visibility=visibility)
    return year
