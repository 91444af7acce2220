"""Check-in at a workshop and the attendance figures. No discord here.

Check-in is open from an hour before a workshop starts until it ends, while it is scheduled. A
member is checked in once per local day of the workshop (its IANA zone), by staff or with the day's
venue code, which staff reveal (one per workshop and day, made the first time it is asked for).

Wrong codes are counted per member and workshop: the fifth wrong try in a row locks the member out
for 15 minutes. Each try is decided in one transaction that holds the member's row of tries
(``claim_row``: ``ON CONFLICT DO NOTHING`` then ``FOR UPDATE`` on PostgreSQL, the write lock on
SQLite), so concurrent wrong tries never count past the limit, and a check-in is one row per
workshop, member and day (a unique key), so concurrent check-ins record one attendance.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, claim_row
from bot.db.models_attendance import WorkshopCheckin, WorkshopCheckinCode, WorkshopCheckinTries
from bot.db.models_workshops import Workshop, WorkshopRegistration
from bot.errors import DomainError
from bot.fields import TextField
from bot.i18n import _, half_width
from bot.scheduler import Clock
from bot.services.personal_data import PersonalDataHolder, iso
from bot.services.workshops import (
    CANCELLED,
    CHECKIN_OPENS_BEFORE,
    DRAFT,
    REGISTERED,
    SCHEDULED,
    WAITLISTED,
    not_open,
    seated_in_order,
)

OPENS_BEFORE = CHECKIN_OPENS_BEFORE  # check-in opens this long before the start
MAX_WRONG = 5  # wrong codes in a row before a lockout
LOCKOUT = timedelta(minutes=15)
# Venue codes: no 0/O, 1/I/L, so that a code read off a screen is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
CHECKIN_CODE = TextField(_("venue code"), 20)
BY_CODE, BY_STAFF = "code", "staff"


def local_day(workshop: Workshop, when: datetime) -> date:
    return when.astimezone(ZoneInfo(workshop.timezone)).date()


def workshop_days(workshop: Workshop) -> list[date]:
    """The local dates the workshop runs on, in its zone (an end at midnight adds no day)."""
    first = local_day(workshop, workshop.starts_at)
    last = local_day(workshop, workshop.ends_at - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def minutes_on(workshop: Workshop, day: date) -> int:
    """How long the workshop runs on one of its days. A one-day workshop: start to end. Over several
    days: each day from the start's local time to the end's (09:00 to 17:00 is 8 hours a day), or,
    when those do not make a span (an evening to the next morning), the part of the run that day."""
    tz = ZoneInfo(workshop.timezone)
    start, end = workshop.starts_at.astimezone(tz), workshop.ends_at.astimezone(tz)
    days = workshop_days(workshop)
    if len(days) == 1:
        return int((workshop.ends_at - workshop.starts_at).total_seconds() // 60)
    daily = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if daily > 0:
        return daily
    day_start = datetime(day.year, day.month, day.day, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    overlap = min(end, day_end) - max(start, day_start)
    return max(0, int(overlap.total_seconds() // 60))


def normalised_code(typed: str) -> str:
    """What a member typed, as codes are kept: full-width and lower case forgiven, spaces and
    dashes ignored."""
    cleaned = half_width(CHECKIN_CODE.clean(typed)).upper()
    return "".join(ch for ch in cleaned if ch not in " -")


@dataclass(frozen=True)
class CheckIn:
    workshop: Workshop
    user_id: int
    day: date
    already: bool  # they were checked in for that day before


@dataclass(frozen=True)
class VenueCode:
    workshop: Workshop
    day: date
    code: str
    closes_at: datetime  # the end of the day's check-in (the day's local midnight, or the end)


@dataclass(frozen=True)
class Figures:
    registered: int
    waitlisted: int
    attended: int
    no_show: int
    editions: int = 1


@dataclass(frozen=True)
class EditionFigures:
    edition: Figures
    year: Figures
    year_label: int  # the local year of the start


@dataclass(frozen=True)
class _Outcome:
    """What one try with a code decided, committed before anything is refused (a wrong try counts)."""

    checkin: CheckIn | None = None
    wrong: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class AttendanceErased:
    checkins: int


class AttendanceService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "attendance"
    personal_tables: ClassVar[tuple[str, ...]] = ("workshop_checkins", "workshop_checkin_tries")

    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock

    # -- the window ---------------------------------------------------------------------------

    @staticmethod
    def opens_at(workshop: Workshop) -> datetime:
        return workshop.starts_at - OPENS_BEFORE

    def is_open(self, workshop: Workshop) -> bool:
        now = self.clock.now()
        return workshop.status == SCHEDULED and self.opens_at(workshop) <= now < workshop.ends_at

    def _open_day(self, workshop: Workshop, now: datetime) -> date:
        """The workshop day a check-in now counts for: the hour before the start counts for the
        first day (even when it falls on the local day before)."""
        return max(local_day(workshop, now), workshop_days(workshop)[0])

    def _check_window(self, workshop: Workshop, now: datetime) -> None:
        if workshop.status in (CANCELLED, DRAFT):
            raise not_open(workshop)
        if now < self.opens_at(workshop):
            raise DomainError(
                _("Check-in for **{title}** opens {opens:FR}."),
                title=workshop.title,
                opens=self.opens_at(workshop),
            )
        if now >= workshop.ends_at or workshop.status != SCHEDULED:
            raise DomainError(_("**{title}** has ended: check-in is closed."), title=workshop.title)

    @staticmethod
    async def _workshop(session: AsyncSession, guild_id: int, workshop_id: int) -> Workshop:
        workshop = await session.get(Workshop, workshop_id)
        if workshop is None or workshop.guild_id != guild_id:
            raise DomainError(_("There is no workshop #{id} in this server."), id=workshop_id)
        return workshop

    @staticmethod
    async def _require_seat(session: AsyncSession, workshop: Workshop, user_id: int, *, staff: bool) -> None:
        status = await session.scalar(
            select(WorkshopRegistration.status).where(
                WorkshopRegistration.workshop_id == workshop.id, WorkshopRegistration.user_id == user_id
            )
        )
        if status == REGISTERED:
            return
        if staff:
            raise DomainError(
                _("That member is not registered for **{title}**: only registered members are checked in."),
                title=workshop.title,
            )
        raise DomainError(
            _("You are not registered for **{title}**: only registered members can check in."),
            title=workshop.title,
        )

    # -- the venue code -----------------------------------------------------------------------

    async def venue_code(self, guild_id: int, workshop_id: int) -> VenueCode:
        """Today's code of a running workshop, made the first time staff ask for it."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            workshop = await self._workshop(session, guild_id, workshop_id)
            self._check_window(workshop, now)
            day = self._open_day(workshop, now)
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            row = await claim_row(
                session,
                WorkshopCheckinCode,
                {"code": code, "created_at": now},
                workshop_id=workshop.id,
                day=day.isoformat(),
            )
        tz = ZoneInfo(workshop.timezone)
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
        return VenueCode(workshop, day, row.code, min(workshop.ends_at, midnight))

    # -- checking in --------------------------------------------------------------------------

    async def before_code(self, guild_id: int, workshop_id: int, user_id: int) -> CheckIn | None:
        """Asked when a member presses I'm here, before the form for the code opens: a refusal
        (check-in not open, no seat, locked out), their check-in when they have one for today, or
        None (ask for the code)."""
        now = self.clock.now()
        async with self.db.session() as session:
            workshop = await self._workshop(session, guild_id, workshop_id)
            self._check_window(workshop, now)
            await self._require_seat(session, workshop, user_id, staff=False)
            day = self._open_day(workshop, now)
            if await self._checked_in(session, workshop.id, user_id, day):
                return CheckIn(workshop, user_id, day, already=True)
            locked = await session.scalar(
                select(WorkshopCheckinTries.locked_until).where(
                    WorkshopCheckinTries.workshop_id == workshop.id, WorkshopCheckinTries.user_id == user_id
                )
            )
        if locked is not None and locked > now:
            raise DomainError(_("Too many wrong codes: you can try again {until:R}."), until=locked)
        return None

    async def check_in_with_code(self, guild_id: int, workshop_id: int, user_id: int, typed: str) -> CheckIn:
        """A member checks themself in with the day's venue code. Refused (DomainError) outside the
        window, for a member without a seat, while locked out, and for a wrong code (counted)."""
        code = normalised_code(typed)
        now = self.clock.now()
        async with self.db.transaction() as session:
            outcome = await self._try_code(session, guild_id, workshop_id, user_id, code, now)
        if outcome.checkin is not None:
            return outcome.checkin
        if outcome.locked_until is not None:
            raise DomainError(
                _("Too many wrong codes: you can try again {until:R}."), until=outcome.locked_until
            )
        raise DomainError(
            _("That is not today's venue code (wrong tries: {count:n} of {max:n})."),
            count=outcome.wrong,
            max=MAX_WRONG,
        )

    async def _try_code(
        self, session: AsyncSession, guild_id: int, workshop_id: int, user_id: int, code: str, now: datetime
    ) -> _Outcome:
        workshop = await self._workshop(session, guild_id, workshop_id)
        self._check_window(workshop, now)
        await self._require_seat(session, workshop, user_id, staff=False)
        day = self._open_day(workshop, now)
        done = await self._checked_in(session, workshop.id, user_id, day)
        if done:
            return _Outcome(CheckIn(workshop, user_id, day, already=True))
        tries = await claim_row(
            session,
            WorkshopCheckinTries,
            {"failures": 0, "locked_until": None, "updated_at": now},
            workshop_id=workshop.id,
            user_id=user_id,
        )
        if tries.locked_until is not None:
            if tries.locked_until > now:
                return _Outcome(locked_until=tries.locked_until)
            tries.locked_until, tries.failures = None, 0
        expected = await session.scalar(
            select(WorkshopCheckinCode.code).where(
                WorkshopCheckinCode.workshop_id == workshop.id, WorkshopCheckinCode.day == day.isoformat()
            )
        )
        if expected is None:
            # Nothing to guess against: not a wrong try. Staff reveal the code at the venue.
            raise DomainError(_("Staff have not shown today's venue code yet: ask them at the venue."))
        if not secrets.compare_digest(code.encode(), expected.encode()):
            tries.failures += 1
            tries.updated_at = now
            if tries.failures >= MAX_WRONG:
                tries.failures, tries.locked_until = 0, now + LOCKOUT
                return _Outcome(locked_until=tries.locked_until)
            return _Outcome(wrong=tries.failures)
        tries.failures, tries.updated_at = 0, now
        recorded = await self._record(session, workshop.id, user_id, day, BY_CODE, now)
        return _Outcome(CheckIn(workshop, user_id, day, already=not recorded))

    async def check_in_by_staff(self, guild_id: int, workshop_id: int, user_id: int) -> CheckIn:
        """Staff check a registered member in for today (while check-in is open)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            workshop = await self._workshop(session, guild_id, workshop_id)
            self._check_window(workshop, now)
            await self._require_seat(session, workshop, user_id, staff=True)
            day = self._open_day(workshop, now)
            recorded = await self._record(session, workshop.id, user_id, day, BY_STAFF, now)
        return CheckIn(workshop, user_id, day, already=not recorded)

    @staticmethod
    async def _checked_in(session: AsyncSession, workshop_id: int, user_id: int, day: date) -> bool:
        found = await session.scalar(
            select(WorkshopCheckin.id).where(
                WorkshopCheckin.workshop_id == workshop_id,
                WorkshopCheckin.user_id == user_id,
                WorkshopCheckin.day == day.isoformat(),
            )
        )
        return found is not None

    @staticmethod
    async def _record(
        session: AsyncSession, workshop_id: int, user_id: int, day: date, method: str, now: datetime
    ) -> bool:
        """One attendance per workshop, member and day, whoever writes first; False if it was there."""
        dialect: Any = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
        result = await session.execute(
            dialect.insert(WorkshopCheckin)
            .values(
                workshop_id=workshop_id,
                user_id=user_id,
                day=day.isoformat(),
                method=method,
                checked_in_at=now,
            )
            .on_conflict_do_nothing()
        )
        return bool(getattr(result, "rowcount", 0))

    # -- reading ------------------------------------------------------------------------------

    async def registered(self, guild_id: int, workshop_id: int) -> list[int]:
        """The registered members of a workshop, in registration order (staff's autocomplete)."""
        async with self.db.session() as session:
            await self._workshop(session, guild_id, workshop_id)
            return list((await session.scalars(seated_in_order(workshop_id))).all())

    async def attended_days(self, workshop_id: int) -> dict[int, list[date]]:
        """Each member who attended, with the days they were checked in for."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(WorkshopCheckin.user_id, WorkshopCheckin.day)
                    .where(WorkshopCheckin.workshop_id == workshop_id)
                    .order_by(WorkshopCheckin.user_id, WorkshopCheckin.day)
                )
            ).all()
        days: dict[int, list[date]] = {}
        for user_id, day in rows:
            days.setdefault(int(user_id), []).append(date.fromisoformat(day))
        return days

    async def checked_in_today(self, workshop: Workshop, user_id: int) -> bool:
        async with self.db.session() as session:
            return await self._checked_in(
                session, workshop.id, user_id, self._open_day(workshop, self.clock.now())
            )

    async def figures(self, workshop: Workshop) -> EditionFigures:
        """Registered, waitlisted, attended and no-shows of this edition, and of every edition of
        the server whose start falls in the same (local) year, cancelled and drafted ones left out."""
        year = local_day(workshop, workshop.starts_at).year
        async with self.db.session() as session:
            candidates = (
                await session.scalars(
                    select(Workshop).where(
                        Workshop.guild_id == workshop.guild_id,
                        Workshop.status.not_in((CANCELLED, DRAFT)),
                        Workshop.starts_at >= datetime(year - 1, 12, 30, tzinfo=ZoneInfo("UTC")),
                        Workshop.starts_at < datetime(year + 1, 1, 2, tzinfo=ZoneInfo("UTC")),
                    )
                )
            ).all()
            same_year = [w for w in candidates if local_day(w, w.starts_at).year == year]
            edition = await self._figures(session, [workshop.id])
            total = (
                await self._figures(session, [w.id for w in same_year]) if same_year else Figures(0, 0, 0, 0)
            )
        return EditionFigures(edition, replace_editions(total, len(same_year)), year)

    @staticmethod
    async def _figures(session: AsyncSession, workshop_ids: Iterable[int]) -> Figures:
        ids = list(workshop_ids)
        counts = {
            status: int(count)
            for status, count in (
                await session.execute(
                    select(WorkshopRegistration.status, func.count())
                    .where(WorkshopRegistration.workshop_id.in_(ids))
                    .group_by(WorkshopRegistration.status)
                )
            ).all()
        }
        attended = (
            await session.execute(
                select(WorkshopCheckin.workshop_id, WorkshopCheckin.user_id)
                .where(WorkshopCheckin.workshop_id.in_(ids))
                .distinct()
            )
        ).all()
        seated = set(
            (
                await session.execute(
                    select(WorkshopRegistration.workshop_id, WorkshopRegistration.user_id).where(
                        WorkshopRegistration.workshop_id.in_(ids), WorkshopRegistration.status == REGISTERED
                    )
                )
            ).all()
        )
        came = {(int(w), int(u)) for w, u in attended}
        return Figures(
            registered=counts.get(REGISTERED, 0),
            waitlisted=counts.get(WAITLISTED, 0),
            attended=len(came),
            no_show=len({(int(w), int(u)) for w, u in seated} - came),
            editions=len(ids),
        )

    # -- personal data ------------------------------------------------------------------------

    async def export_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        rows = (
            await session.execute(
                select(Workshop.id, Workshop.title, WorkshopCheckin)
                .join(WorkshopCheckin, WorkshopCheckin.workshop_id == Workshop.id)
                .where(Workshop.guild_id == guild_id, WorkshopCheckin.user_id == user_id)
                .order_by(WorkshopCheckin.id)
            )
        ).all()
        tries = (
            await session.execute(
                select(Workshop.id, Workshop.title, WorkshopCheckinTries)
                .join(WorkshopCheckinTries, WorkshopCheckinTries.workshop_id == Workshop.id)
                .where(Workshop.guild_id == guild_id, WorkshopCheckinTries.user_id == user_id)
            )
        ).all()
        if not rows and not tries:
            return None
        return {
            "check_ins": [
                {"workshop": f"#{wid} {title}", "day": c.day, "how": c.method, "at": iso(c.checked_in_at)}
                for wid, title, c in rows
            ],
            "wrong_venue_codes": [
                {
                    "workshop": f"#{wid} {title}",
                    "wrong_tries": t.failures,
                    "locked_until": iso(t.locked_until),
                }
                for wid, title, t in tries
            ],
        }

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        ours = select(Workshop.id).where(Workshop.guild_id == guild_id)
        gone = await session.execute(
            delete(WorkshopCheckin).where(
                WorkshopCheckin.workshop_id.in_(ours), WorkshopCheckin.user_id == user_id
            )
        )
        tried = await session.execute(
            delete(WorkshopCheckinTries).where(
                WorkshopCheckinTries.workshop_id.in_(ours), WorkshopCheckinTries.user_id == user_id
            )
        )
        count = int(getattr(gone, "rowcount", 0) or 0)
        return AttendanceErased(count) if count or getattr(tried, "rowcount", 0) else None


def replace_editions(figures: Figures, editions: int) -> Figures:
    return Figures(figures.registered, figures.waitlisted, figures.attended, figures.no_show, editions)
