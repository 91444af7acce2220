"""Certificates of completion: who gets one, their numbers, the PDF, and checking that one is
genuine. No discord here.

A member who checked in on at least one day of a workshop gets a certificate: the name and
organization they gave at verification (or the name the server shows, without organization),
the workshop's title, dates and location, and the time attended (the workshop's hours on each
day they checked in). Each certificate has a number of 80 random bits (``CISIP-XXXX-XXXX-XXXX-XXXX``,
unique by a key), one per member and workshop; issuing again keeps the number and refreshes what it
says. Anyone can check a number (``verify_certificate``): the name and the workshop, nothing else.

The PDF is one A4 page in English and Chinese, drawn with fpdf2 in a font that has Chinese
(``find_font``: the ``CERTIFICATE_FONT`` setting, else Noto Sans CJK or WenQuanYi Zen Hei where
Debian installs them). When the workshop ends, the ``workshop.certificates`` row sends each
attendee theirs by DM, once (``delivery`` is recorded), unless staff switched it off.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import public_address
from bot.db.database import Database, claim_row
from bot.db.models_attendance import WorkshopCertificate, WorkshopFollowUp
from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.fields import FULL_NAME, ORGANIZATION
from bot.i18n import _
from bot.scheduler import Clock, Scheduler
from bot.services.attendance import AttendanceService, minutes_on
from bot.services.membership import MembershipService
from bot.services.personal_data import PersonalDataHolder, iso
from bot.services.workshops import CANCELLED, DRAFT, ENDED

log = logging.getLogger(__name__)

CERTIFICATES_JOB = "workshop.certificates"
# Unambiguous upper-case letters and digits: 32 symbols, 16 of them make 80 random bits.
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NUMBER_GROUPS, GROUP_LENGTH = 4, 4
NUMBER_PREFIX = "CISIP-"
# Where Debian puts fonts with Chinese (fonts-noto-cjk, fonts-wqy-zenhei): the first found is used.
DEFAULT_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
NO_FONT = (
    "no font with Chinese for certificates: install Debian's fonts-noto-cjk, "
    "or set CERTIFICATE_FONT to a .ttf, .otf or .ttc file that has Chinese"
)


def new_number() -> str:
    groups = (
        "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(NUMBER_GROUPS)
    )
    return NUMBER_PREFIX + "-".join(groups)


def normalised_number(typed: str) -> str | None:
    """A number as typed or linked (any case, spaces, with or without the prefix), or None when it
    cannot be one."""
    text = "".join(ch for ch in str(typed).upper() if not ch.isspace() and ch != "-")
    text = text.removeprefix(NUMBER_PREFIX.rstrip("-"))
    length = NUMBER_GROUPS * GROUP_LENGTH
    if len(text) != length or any(ch not in NUMBER_ALPHABET for ch in text):
        return None
    return NUMBER_PREFIX + "-".join(text[i : i + GROUP_LENGTH] for i in range(0, length, GROUP_LENGTH))


def find_font(configured: str | None) -> tuple[Path, int] | None:
    """The font file to draw certificates with and, in a collection, the Simplified Chinese face;
    None when there is none (the caller logs ``NO_FONT``)."""
    candidates = [configured] if configured else list(DEFAULT_FONTS)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path, _face(str(path))
    return None


@cache
def _face(path: str) -> int:
    """In a font collection (.ttc), the face for Simplified Chinese (``... SC``), else the first."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
    except Exception:  # not a collection after all: fpdf2 will say what is wrong with it
        return 0
    names = [str(font["name"].getDebugName(1) or "") for font in collection.fonts]
    for index, name in enumerate(names):
        if name.endswith(" SC") and "Mono" not in name:
            return index
    return 0


@dataclass(frozen=True)
class Certificate:
    number: str
    workshop: Workshop
    user_id: int
    name: str
    organization: str
    days: int
    minutes: int
    issued_at: datetime
    delivery: str | None

    @property
    def filename(self) -> str:
        return f"certificate-{self.number}.pdf"


@dataclass(frozen=True)
class VerifiedCertificate:
    """What the public check of a number shows: whose it is and for which workshop."""

    number: str
    name: str
    workshop_title: str


@dataclass(frozen=True)
class CertificatesErased:
    count: int


class CertificateService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "certificates"
    personal_tables: ClassVar[tuple[str, ...]] = ("workshop_certificates",)

    def __init__(
        self,
        database: Database,
        clock: Clock,
        scheduler: Scheduler,
        *,
        attendance: AttendanceService,
        memberships: MembershipService,
        font: str | None = None,
        web_base_url: str | None = None,
    ) -> None:
        self.db = database
        self.clock = clock
        self.scheduler = scheduler
        self.attendance = attendance
        self.memberships = memberships
        self.font = font
        # A link on paper must reach the web pages from anywhere: certificates carry one only once
        # WEB_BASE_URL names a public address.
        self.web_base_url = public_address(web_base_url)

    def link(self, number: str) -> str | None:
        """The page that confirms a certificate is genuine, when the web pages have an address."""
        return f"{self.web_base_url}/certificates/{number}" if self.web_base_url else None

    # -- the switch ---------------------------------------------------------------------------

    async def sent_at_end(self, workshop_id: int) -> bool:
        async with self.db.session() as session:
            row = await session.get(WorkshopFollowUp, workshop_id)
        return True if row is None else row.certificates_at_end

    async def set_sent_at_end(self, guild_id: int, workshop_id: int, value: bool) -> Workshop:
        async with self.db.transaction() as session:
            workshop = await self._workshop(session, guild_id, workshop_id)
            row = await claim_row(
                session, WorkshopFollowUp, {"certificates_at_end": value}, workshop_id=workshop_id
            )
            row.certificates_at_end = value
        return workshop

    # -- issuing ------------------------------------------------------------------------------

    @staticmethod
    async def _workshop(session: AsyncSession, guild_id: int | None, workshop_id: int) -> Workshop:
        workshop = await session.get(Workshop, workshop_id)
        if workshop is None or (guild_id is not None and workshop.guild_id != guild_id):
            raise DomainError(_("There is no workshop #{id} in this server."), id=workshop_id)
        return workshop

    async def issue(
        self,
        guild_id: int | None,
        workshop_id: int,
        *,
        user_ids: list[int] | None = None,
        display_names: dict[int, str] | None = None,
    ) -> list[Certificate]:
        """A certificate for each attendee (or each of ``user_ids`` who attended): made once per
        member and workshop, brought up to date when issued again (the same number). Members
        without a verification record are named by ``display_names`` (else their id)."""
        days = await self.attendance.attended_days(workshop_id)
        async with self.db.session() as session:
            workshop = await self._workshop(session, guild_id, workshop_id)
        if workshop.status in (CANCELLED, DRAFT):
            raise DomainError(_("Workshop #{id} did not take place: it has no certificates."), id=workshop_id)
        wanted = sorted(days) if user_ids is None else [u for u in user_ids if u in days]
        if user_ids is not None and not wanted:
            raise DomainError(
                _("That member did not check in at **{title}**: there is no certificate to issue."),
                title=workshop.title,
            )
        records = await self.memberships.records(workshop.guild_id, wanted)
        now = self.clock.now()
        issued: list[Certificate] = []
        for user_id in wanted:
            name, organization = (
                (records[user_id][0], records[user_id][1]) if user_id in records else ("", "")
            )
            if not name:
                name = (display_names or {}).get(user_id) or str(user_id)
            minutes = sum(minutes_on(workshop, day) for day in days[user_id])
            values = {
                "name": name[: FULL_NAME.max_length],
                "organization": organization[: ORGANIZATION.max_length],
                "days": len(days[user_id]),
                "minutes": minutes,
            }
            row = await self._write(workshop.id, user_id, values, now)
            issued.append(_certificate(row, workshop))
        return issued

    async def _write(self, workshop_id: int, user_id: int, values: dict[str, Any], now: datetime) -> Any:
        """Insert the certificate with a fresh number or update what it says; a number already
        taken (80 random bits: practically never) is drawn again."""
        for _attempt in range(5):
            async with self.db.transaction() as session:
                dialect: Any = (
                    postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
                )
                number = new_number()
                taken = await session.scalar(
                    select(WorkshopCertificate.id).where(WorkshopCertificate.number == number)
                )
                if taken is not None:
                    continue
                await session.execute(
                    dialect.insert(WorkshopCertificate)
                    .values(workshop_id=workshop_id, user_id=user_id, number=number, issued_at=now, **values)
                    .on_conflict_do_nothing(index_elements=["workshop_id", "user_id"])
                )
                row = await session.scalar(
                    select(WorkshopCertificate)
                    .where(
                        WorkshopCertificate.workshop_id == workshop_id, WorkshopCertificate.user_id == user_id
                    )
                    .with_for_update()
                )
                assert row is not None
                for name, value in values.items():
                    setattr(row, name, value)
                await session.flush()
                return row
        raise RuntimeError("could not draw a free certificate number")

    async def undelivered(self, workshop_id: int) -> list[Certificate]:
        """The certificates whose DM at the end is still owed."""
        async with self.db.session() as session:
            workshop = await self._workshop(session, None, workshop_id)
            rows = await session.scalars(
                select(WorkshopCertificate)
                .where(WorkshopCertificate.workshop_id == workshop_id, WorkshopCertificate.delivery.is_(None))
                .order_by(WorkshopCertificate.id)
            )
            return [_certificate(row, workshop) for row in rows]

    async def record_delivery(self, number: str, outcome: str) -> bool:
        """Record the DM at the end; False when it was recorded already (then it is not sent again)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(WorkshopCertificate)
                .where(WorkshopCertificate.number == number, WorkshopCertificate.delivery.is_(None))
                .values(delivery=outcome, delivered_at=self.clock.now())
            )
        return bool(getattr(result, "rowcount", 0))

    async def of_member(self, guild_id: int, user_id: int) -> list[Certificate]:
        """A member's certificates, newest workshop first."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(WorkshopCertificate, Workshop)
                    .join(Workshop, Workshop.id == WorkshopCertificate.workshop_id)
                    .where(Workshop.guild_id == guild_id, WorkshopCertificate.user_id == user_id)
                    .order_by(Workshop.starts_at.desc())
                )
            ).all()
        return [_certificate(row, workshop) for row, workshop in rows]

    async def verify_certificate(self, number: str) -> VerifiedCertificate | None:
        """Whether ``number`` is a genuine certificate: the name on it and the workshop's title, or
        None. Nothing else is told (no organization, no server, no member id)."""
        wanted = normalised_number(number)
        if wanted is None:
            return None
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(WorkshopCertificate.name, Workshop.title)
                    .join(Workshop, Workshop.id == WorkshopCertificate.workshop_id)
                    .where(WorkshopCertificate.number == wanted)
                )
            ).first()
        return VerifiedCertificate(wanted, row[0], row[1]) if row is not None else None

    # -- scheduling ---------------------------------------------------------------------------

    async def after_end(self, workshop_id: int, starts_at: str) -> bool:
        """Schedule the certificates' DMs of an edition that has ended (once: a dedupe key).
        Called by every run of the end's row, so a run that stopped half-way still schedules it."""
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None or workshop.status != ENDED or workshop.starts_at.isoformat() != starts_at:
                return False
            stamp = workshop.starts_at.strftime("%Y%m%dT%H%MZ")
            await self.scheduler.schedule(
                CERTIFICATES_JOB,
                self.clock.now(),
                {"workshop_id": workshop.id},
                dedupe_key=f"workshop:{workshop.id}:certificates@{stamp}",
                session=session,
            )
        self.scheduler.wake()
        return True

    # -- the PDF ------------------------------------------------------------------------------

    def pdf(self, certificate: Certificate) -> bytes:
        """The certificate as a one-page PDF (CPU-bound: run it in a thread)."""
        font = find_font(self.font)
        if font is None:
            log.error(NO_FONT)
            raise DomainError(
                _("Certificates cannot be made now: the bot has no font with Chinese. Tell the staff.")
            )
        return render_pdf(certificate, font, self.link(certificate.number))

    # -- personal data ------------------------------------------------------------------------

    async def export_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        rows = (
            await session.execute(
                select(WorkshopCertificate, Workshop.id, Workshop.title)
                .join(Workshop, Workshop.id == WorkshopCertificate.workshop_id)
                .where(Workshop.guild_id == guild_id, WorkshopCertificate.user_id == user_id)
                .order_by(WorkshopCertificate.id)
            )
        ).all()
        return [
            {
                "number": row.number,
                "workshop": f"#{wid} {title}",
                "name": row.name,
                "organization": row.organization,
                "days": row.days,
                "minutes": row.minutes,
                "issued_at": iso(row.issued_at),
                "sent": row.delivery,
            }
            for row, wid, title in rows
        ] or None

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        ours = select(Workshop.id).where(Workshop.guild_id == guild_id)
        gone = await session.execute(
            delete(WorkshopCertificate).where(
                WorkshopCertificate.workshop_id.in_(ours), WorkshopCertificate.user_id == user_id
            )
        )
        count = int(getattr(gone, "rowcount", 0) or 0)
        return CertificatesErased(count) if count else None


def _certificate(row: WorkshopCertificate, workshop: Workshop) -> Certificate:
    return Certificate(
        number=row.number,
        workshop=workshop,
        user_id=row.user_id,
        name=row.name,
        organization=row.organization,
        days=row.days,
        minutes=row.minutes,
        issued_at=row.issued_at,
        delivery=row.delivery,
    )


def hours_text(minutes: int) -> str:
    """8 hours as '8', 7 h 30 as '7.5'."""
    hours = minutes / 60
    return f"{hours:.0f}" if minutes % 60 == 0 else f"{hours:.1f}"


def dates_text(workshop: Workshop, language: str) -> str:
    tz = ZoneInfo(workshop.timezone)
    first: date = workshop.starts_at.astimezone(tz).date()
    last: date = workshop.ends_at.astimezone(tz).date()
    locale = "zh_Hans_CN" if language == "zh" else "en"
    start = format_date(first, "long", locale=locale)
    if first == last:
        return start
    separator = " 至 " if language == "zh" else " – "
    return start + separator + format_date(last, "long", locale=locale)


def render_pdf(certificate: Certificate, font: tuple[Path, int], link: str | None) -> bytes:
    """One A4 landscape page, each line in English and in Chinese, the name large in the middle."""
    from fpdf import FPDF
    from fpdf.enums import Align, XPos, YPos

    workshop = certificate.workshop
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"Certificate {certificate.number}")
    pdf.set_author("CISIP")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    path, face = font
    pdf.add_font("cjk", fname=str(path), collection_font_number=face)
    width = pdf.w - 2 * pdf.l_margin
    pdf.set_draw_color(40, 70, 140)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)

    def line(text: str, size: float, *, gap: float = 2.0, lines: int = 0) -> None:
        """Centred text; with ``lines``, the size shrinks (to half at most) until the text takes at
        most that many lines, so the longest name, title or location still fits on the page."""
        pdf.set_font("cjk", size=size)
        while lines and size > 8 and pdf.get_string_width(text) > width * lines * 0.95:
            size -= 1
            pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, size * 0.5, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    pdf.set_y(20)
    line("Certificate of Completion", 26, gap=1)
    line("结业证书", 24, gap=6)
    line("This is to certify that  ·  兹证明", 12, gap=3)
    line(certificate.name, 30, gap=1, lines=2)
    if certificate.organization:
        line(certificate.organization, 14, gap=3, lines=2)
    line("has completed  ·  已完成", 12, gap=3)
    line(workshop.title, 20, gap=4, lines=2)
    hours = hours_text(certificate.minutes)
    days = f"{certificate.days} day{'s' if certificate.days != 1 else ''}"
    line(f"Dates: {dates_text(workshop, 'en')}  ·  日期：{dates_text(workshop, 'zh')}", 12, gap=1, lines=1)
    line(f"Location  ·  地点：{workshop.location}", 12, gap=1, lines=1)
    line(f"Hours attended: {hours} ({days})  ·  出席学时：{hours} 小时（{certificate.days} 天）", 12, gap=1)
    pdf.ln(6)
    line(f"Certificate number  ·  证书编号：{certificate.number}", 11, gap=1)
    if link:
        line(f"Verify at  ·  验证：{link}", 10, gap=1)
    issued = certificate.issued_at.date()
    issued_en, issued_zh = (
        format_date(issued, "long", locale="en"),
        format_date(issued, "long", locale="zh_Hans_CN"),
    )
    line(
        f"Issued by the Community of International Science-Industry Parks (CISIP), {issued_en}"
        f"  ·  CISIP 颁发，{issued_zh}",
        9,
        gap=0,
    )
    return bytes(pdf.output())
