"""Workshops: editions, seats and the waitlist, reminders and the yearly series. No discord here.

Every scheduled thing is a scheduler row written in the same transaction as the change that needs
it: one ``workshop.reminder`` row per workshop and reminder offset, one ``workshop.ended`` row at
the end, and for a series edition one ``workshop.call`` row (the call for participants). Their
dedupe keys carry the start time, so an edit that moves the start cancels the old rows and writes
new ones. Each member gets each reminder at most once: deliveries are recorded per member.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models_workshops import (
    Workshop,
    WorkshopRegistration,
    WorkshopReminderDelivery,
    WorkshopSeries,
)
from bot.errors import DomainError, NotFound
from bot.fields import (
    CALL_WEEKS,
    CANCEL_REASON,
    CAPACITY,
    MAX_ID,
    TIMEZONE,
    WORKSHOP_DESCRIPTION,
    WORKSHOP_LOCATION,
    WORKSHOP_REFERENCE,
    WORKSHOP_REMINDERS,
    WORKSHOP_TIME,
    WORKSHOP_TITLE,
    canonical_text,
)
from bot.i18n import _, half_width
from bot.scheduler import Clock, Scheduler
from bot.scheduler.recurrence import zone
from bot.services.access import Person
from bot.services.batching import KeyedBatcher
from bot.services.dates import local_input, parse_local
from bot.services.membership import MemberGate, MembershipService
from bot.services.personal_data import PersonalDataHolder, iso

log = logging.getLogger(__name__)

DRAFT, SCHEDULED, CANCELLED, ENDED = "draft", "scheduled", "cancelled", "ended"
REGISTERED, WAITLISTED, LEFT = "registered", "waitlisted", "left"
SENT = "sent"  # a delivery's status; a DM's other outcomes are recorded by their Outcome value
CHANNEL_POST = 0  # the user_id of a reminder's post in the workshops channel

DEFAULT_REMINDERS = "7d,1d,1h"
NO_REMINDERS = ("none", "-", "无")
MAX_REMINDERS = 5
_OFFSET = re.compile(r"^(\d{1,3})\s*(w|d|h|m)$")
_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
# A workshop named by its number, as autocomplete sends it ("12") or as its choice reads
# ("#12 Title (2027-08-20)"), typed with or without the hash, on any keyboard.
_NUMBERED = re.compile(r"^[#＃]?\s*([0-9]+)(?:\s+(.+))?$", re.ASCII | re.DOTALL)
_CHOICE_DATE = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}\)$")
_ELLIPSIS = "…"

REMINDER_JOB, ENDED_JOB, CALL_JOB = "workshop.reminder", "workshop.ended", "workshop.call"
# When check-in opens (CHECKIN_OPENS_BEFORE the start): the announcement gets its I'm here button.
CHECKIN_JOB = "workshop.checkin"
CHECKIN_OPENS_BEFORE = timedelta(hours=1)


def parse_reminders(text: str | None) -> list[str]:
    """'7d, 1d, 1h' -> ['7d', '1d', '1h'] (largest first); 'none' -> no reminders; None -> the
    default. Text with nothing visible in it is refused, not taken for "none"."""
    if text is None:
        text = DEFAULT_REMINDERS
    cleaned = half_width(WORKSHOP_REMINDERS.clean(text)).lower()
    if cleaned in NO_REMINDERS:
        return []
    tokens: dict[str, int] = {}
    for part in re.split(r"[,\s;]+", cleaned):
        if not part:
            continue
        match = _OFFSET.match(part)
        if match is None or int(match.group(1)) == 0:
            raise DomainError(
                _("'{offset}' is not a reminder offset: write numbers with w, d, h or m, like 7d,1d,1h."),
                offset=part[:20],
            )
        number, unit = int(match.group(1)), match.group(2)
        tokens[f"{number}{unit}"] = number * _UNIT_MINUTES[unit]
    if len(tokens) > MAX_REMINDERS:
        raise DomainError(_("At most {count:n} reminders per workshop."), count=MAX_REMINDERS)
    if any(minutes > 365 * 24 * 60 for minutes in tokens.values()):
        raise DomainError(_("A reminder can be at most a year before the start."))
    return sorted(tokens, key=lambda token: -tokens[token])


def no_match(typed: str) -> NotFound:
    """The one answer to a reference that names no workshop the reader may see."""
    limit = WORKSHOP_REFERENCE.max_length
    shown = typed if len(typed) <= limit else typed[: limit - 1].rstrip() + _ELLIPSIS
    return NotFound(_("No workshop matches '{value}'."), value=shown)


def _titled(rest: str, title: str) -> bool:
    """Whether ``rest`` (what follows the number in "#12 Title (2027-08-20)") is the start of
    ``title``: a choice copied by hand, perhaps cut short with an ellipsis."""
    words = _CHOICE_DATE.sub("", rest).removesuffix(_ELLIPSIS).strip().casefold()
    return bool(words) and title.casefold().startswith(words)


def hidden_from(*, staff: bool) -> tuple[str, ...]:
    """The statuses a reader may not see: a draft is staff's until they confirm it."""
    return () if staff else (DRAFT,)


def reminder_due(starts_at: datetime, tz: ZoneInfo, token: str) -> datetime:
    """When the reminder ``token`` is due. Weeks and days count in the workshop's wall-clock time
    (a day before 09:00 is 09:00 the day before, across a daylight-saving change); hours and
    minutes count in elapsed time."""
    number, unit = int(token[:-1]), token[-1]
    if unit in ("w", "d"):
        days = number * (7 if unit == "w" else 1)
        local = starts_at.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
        return local.replace(tzinfo=tz).astimezone(UTC)
    return starts_at - timedelta(minutes=number * _UNIT_MINUTES[unit])


@dataclass(frozen=True)
class WorkshopForm:
    """What staff typed (modal) and chose (options), before validation."""

    title: str
    starts: str
    ends: str
    location: str
    description: str
    timezone: str
    capacity: int
    deadline: str | None = None
    reminders: str | None = None
    ping_role_id: int | None = None
    members_only: bool = True


@dataclass(frozen=True)
class FormOptions:
    """The command options that go with the form, checked before it opens."""

    timezone: str
    capacity: int
    reminders: str | None
    deadline: str | None = None
    ping_role_id: int | None = None
    members_only: bool = True

    def form(self, *, title: str, starts: str, ends: str, location: str, description: str) -> WorkshopForm:
        """The whole form once staff have filled it in."""
        return WorkshopForm(
            title=title, starts=starts, ends=ends, location=location, description=description, **asdict(self)
        )


@dataclass(frozen=True)
class Seats:
    taken: int
    capacity: int
    waitlisted: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)


@dataclass(frozen=True)
class Registration:
    status: str  # registered or waitlisted
    position: int  # on the waitlist (1 is next), 0 when registered
    workshop: Workshop
    already: bool = False


@dataclass(frozen=True)
class Departure:
    workshop: Workshop
    previous: str
    promoted: list[int]


REGISTER, LEAVE = "register", "leave"


@dataclass(frozen=True)
class _Ask:
    kind: str  # REGISTER or LEAVE
    person: Person
    at: datetime  # when the member asked


@dataclass
class _Line:
    """Seats and the waitlist of one workshop while a batch is decided under its lock."""

    taken: int
    waiting: int
    last_place: datetime | None
    placed: dict[int, tuple[str, int]]  # members placed in this batch: status, waitlist number
    inserts: list[dict[str, Any]]  # their new rows, not written yet

    def __init__(self, seats: Seats, last_place: datetime | None) -> None:
        self.taken, self.waiting, self.last_place = seats.taken, seats.waitlisted, last_place
        self.placed, self.inserts = {}, []

    def next_place(self, now: datetime) -> datetime:
        """Each ask its own place in line, later than every place given before (a microsecond
        apart within a batch), so the order told is the order kept, whatever the clocks."""
        place = now if self.last_place is None or now > self.last_place else self.last_place
        if self.last_place is not None and place <= self.last_place:
            place = self.last_place + timedelta(microseconds=1)
        self.last_place = place
        return place


@dataclass(frozen=True)
class Reminder:
    workshop: Workshop
    targets: list[int]  # registered members not yet reminded
    channel_due: bool  # the channel post is still owed


@dataclass(frozen=True)
class Attendee:
    user_id: int
    status: str
    registered_at: datetime


_CSV_HEADER = ["name", "organization", "country", "registered at", "status"]


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running member-typed text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def seated_in_order(workshop_id: int) -> Select[int]:
    """The members holding a seat in a workshop, in registration order."""
    return (
        select(WorkshopRegistration.user_id)
        .where(WorkshopRegistration.workshop_id == workshop_id, WorkshopRegistration.status == REGISTERED)
        .order_by(WorkshopRegistration.registered_at, WorkshopRegistration.id)
    )


@dataclass(frozen=True)
class AttendeeList:
    """A workshop's registrations with what members gave when they applied (name, organization,
    country); the Discord side names those who never applied."""

    workshop: Workshop
    attendees: list[Attendee]
    records: dict[int, tuple[str, str, str]]

    @property
    def unnamed(self) -> list[int]:
        """Attendees without an application: only the Discord side knows their display name."""
        return [a.user_id for a in self.attendees if a.user_id not in self.records]

    @property
    def filename(self) -> str:
        return f"workshop-{self.workshop.id}-attendees.csv"

    def as_csv(
        self, display_names: Mapping[int, str], attended: Mapping[int, Sequence[date]] | None = None
    ) -> bytes:
        """UTF-8 with a BOM (Excel reads it), one row per registration, formulas defused. Once
        anyone has checked in (``attended``: the days of each member who did), a last column
        ``attended`` lists each member's days, ``;``-separated (empty: did not come)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*_CSV_HEADER, "attended"] if attended else _CSV_HEADER)
        for row in self.attendees:
            fallback = (display_names.get(row.user_id, str(row.user_id)), "", "")
            name, organization, country = self.records.get(row.user_id, fallback)
            writer.writerow(
                [
                    _csv_safe(name),
                    _csv_safe(organization),
                    _csv_safe(country),
                    row.registered_at.isoformat(),
                    row.status,
                    *(["; ".join(d.isoformat() for d in attended.get(row.user_id, []))] if attended else []),
                ]
            )
        return out.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class WorkshopsErased:
    """A person's registrations erased; a seat they held went to the next on the waitlist."""

    registrations: int
    promoted: dict[int, list[int]]  # workshop id -> members promoted into the freed seats
    changed: tuple[int, ...] = ()  # scheduled workshops whose seats or waitlist the erasure changed


class WorkshopService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "workshops"
    personal_tables: ClassVar[tuple[str, ...]] = (
        "workshops",
        "workshop_registrations",
        "workshop_reminder_deliveries",
    )

    def __init__(
        self,
        database: Database,
        clock: Clock,
        scheduler: Scheduler,
        *,
        memberships: MembershipService,
    ) -> None:
        self.db = database
        self.clock = clock
        self.scheduler = scheduler
        self.memberships = memberships
        # Registrations and departures of one workshop are decided as one stream, a batch at a time.
        self._desk: KeyedBatcher[int, _Ask, Registration | Departure] = KeyedBatcher(self._decide)
        self._counter = 0
        self._watchers: list[Callable[[int], None]] = []

    def watch(self, seats_changed: Callable[[int], None]) -> None:
        """Call ``seats_changed(workshop_id)`` after each batch of registrations and departures that
        changed a workshop's seats (once per batch, however many members it seated)."""
        self._watchers.append(seats_changed)

    def unwatch(self, seats_changed: Callable[[int], None]) -> None:
        self._watchers = [w for w in self._watchers if w != seats_changed]

    # -- validation ---------------------------------------------------------------------------

    def check_options(
        self,
        timezone: str,
        capacity: int,
        reminders: str | None,
        *,
        deadline: str | None = None,
        ping_role_id: int | None = None,
        members_only: bool = True,
    ) -> FormOptions:
        """Check the command's options before the form opens (so a typo does not cost the form);
        returns them cleaned. The ping role is checked on the Discord side (the ping rule needs the
        channel)."""
        tz = zone(TIMEZONE.clean(timezone))
        capacity = CAPACITY.check(capacity)
        if reminders is not None:
            reminders = WORKSHOP_REMINDERS.clean(reminders)
            parse_reminders(reminders)
        deadline = WORKSHOP_TIME.clean_optional(deadline)
        if deadline is not None:
            parse_local(deadline, tz)  # read again with the start once the form is in
        return FormOptions(tz.key, capacity, reminders, deadline, ping_role_id, members_only)

    def check_edit_options(
        self,
        workshop: Workshop,
        *,
        timezone: str | None = None,
        capacity: int | None = None,
        reminders: str | None = None,
        deadline: str | None = None,
        ping_role_id: int | None = None,
        members_only: bool | None = None,
    ) -> FormOptions:
        """The options of an edit: each one not given keeps the workshop's current value."""
        options = self.check_options(
            workshop.timezone if timezone is None else timezone,
            workshop.capacity if capacity is None else capacity,
            (workshop.reminders or NO_REMINDERS[0]) if reminders is None else reminders,
            deadline=deadline,
        )
        return replace(
            options,
            deadline=options.deadline or local_input(workshop.deadline, zone(options.timezone)),
            ping_role_id=workshop.ping_role_id if ping_role_id is None else ping_role_id,
            members_only=workshop.members_only if members_only is None else members_only,
        )

    def _validated(self, form: WorkshopForm, *, is_new: bool, old_start: datetime | None = None) -> dict:
        """The form's values as they are stored: every text cleaned by its field before any rule
        reads it, every number checked; a DomainError naming the first thing wrong."""
        title = WORKSHOP_TITLE.clean(form.title)
        location = WORKSHOP_LOCATION.clean(form.location)
        description = WORKSHOP_DESCRIPTION.clean(form.description, required=False)
        tz = zone(TIMEZONE.clean(form.timezone))
        starts = parse_local(WORKSHOP_TIME.clean(form.starts), tz)
        ends = parse_local(WORKSHOP_TIME.clean(form.ends), tz)
        deadline_text = WORKSHOP_TIME.clean_optional(form.deadline)
        capacity = CAPACITY.check(form.capacity)
        reminders = ",".join(parse_reminders(form.reminders))
        now = self.clock.now()
        if ends <= starts:
            raise DomainError(_("The workshop must end after it starts."))
        if starts <= now and (is_new or starts != old_start):
            raise DomainError(_("The start is in the past: choose a time still to come."))
        deadline = parse_local(deadline_text, tz) if deadline_text is not None else starts
        if deadline > starts:
            raise DomainError(_("The registration deadline must be at or before the start."))
        return {
            "title": title,
            "location": location,
            "description": description,
            "starts_at": starts,
            "ends_at": ends,
            "timezone": tz.key,
            "capacity": capacity,
            "deadline": deadline,
            "reminders": reminders,
            "ping_role_id": form.ping_role_id,
            "members_only": bool(form.members_only),
        }

    # -- staff --------------------------------------------------------------------------------

    async def create(
        self, guild_id: int, actor_id: int | None, form: WorkshopForm, *, series_name: str | None = None
    ) -> Workshop:
        values = self._validated(form, is_new=True)
        now = self.clock.now()
        async with self.db.transaction() as session:
            series_id = None
            if series_name:
                series = WorkshopSeries(
                    guild_id=guild_id, name=WORKSHOP_TITLE.clean(series_name), call_weeks=8, created_at=now
                )
                session.add(series)
                await session.flush()
                series_id = series.id
            workshop = Workshop(
                guild_id=guild_id,
                series_id=series_id,
                status=SCHEDULED,
                created_by=actor_id,
                created_at=now,
                updated_at=now,
                **values,
            )
            session.add(workshop)
            await session.flush()
            await self._schedule(session, workshop)
        self.scheduler.wake()
        return workshop

    async def update(self, guild_id: int, workshop_id: int, form: WorkshopForm) -> Departure:
        """Apply an edit; a larger capacity promotes from the waitlist (``promoted``)."""
        async with self.db.transaction() as session:
            workshop = await self._get(session, guild_id, workshop_id, lock=True)
            if workshop.status not in (SCHEDULED, DRAFT):
                raise not_open(workshop)
            values = self._validated(form, is_new=False, old_start=workshop.starts_at)
            timing_changed = (workshop.starts_at, workshop.reminders, workshop.ends_at) != (
                values["starts_at"],
                values["reminders"],
                values["ends_at"],
            )
            for name, value in values.items():
                setattr(workshop, name, value)
            workshop.updated_at = self.clock.now()
            workshop.sequence += 1  # its calendar event changed (bot.web.feeds)
            if timing_changed:
                await self.scheduler.cancel(dedupe_prefix=f"workshop:{workshop.id}:", session=session)
                await self._schedule(session, workshop)
            promoted = await self._promote(session, workshop) if workshop.status == SCHEDULED else []
        self.scheduler.wake()
        return Departure(workshop, workshop.status, promoted)

    async def cancel(self, guild_id: int, workshop_id: int, reason: str | None) -> tuple[Workshop, list[int]]:
        """Cancel; returns the workshop and every member to tell (registered and waitlisted). The
        reason (optional, but never blank) is shown to them."""
        reason = CANCEL_REASON.clean_optional(reason)
        async with self.db.transaction() as session:
            workshop = await self._get(session, guild_id, workshop_id, lock=True)
            if workshop.status in (CANCELLED, ENDED):
                raise not_open(workshop)
            workshop.status = CANCELLED
            workshop.cancel_reason = reason
            workshop.updated_at = self.clock.now()
            workshop.sequence += 1  # its calendar event changed (bot.web.feeds)
            await self.scheduler.cancel(dedupe_prefix=f"workshop:{workshop.id}:", session=session)
            users = list(
                (
                    await session.scalars(
                        select(WorkshopRegistration.user_id)
                        .where(
                            WorkshopRegistration.workshop_id == workshop.id,
                            WorkshopRegistration.status.in_((REGISTERED, WAITLISTED)),
                        )
                        .order_by(WorkshopRegistration.queued_at, WorkshopRegistration.id)
                    )
                ).all()
            )
        self.scheduler.wake()
        return workshop, users

    async def set_announcement(self, workshop_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is not None:
                workshop.channel_id, workshop.message_id = channel_id, message_id

    async def set_event(self, workshop_id: int, event_id: int | None) -> None:
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is not None:
                workshop.event_id = event_id

    async def _schedule(self, session: AsyncSession, workshop: Workshop) -> None:
        stamp = workshop.starts_at.strftime("%Y%m%dT%H%MZ")
        tz = ZoneInfo(workshop.timezone)
        now = self.clock.now()
        payload = {"workshop_id": workshop.id, "starts_at": workshop.starts_at.isoformat()}
        if workshop.status == SCHEDULED:
            for token in filter(None, workshop.reminders.split(",")):
                due = reminder_due(workshop.starts_at, tz, token)
                if due <= now:
                    continue  # already inside this window when created: nothing is owed
                await self.scheduler.schedule(
                    REMINDER_JOB,
                    due,
                    {**payload, "offset": token},
                    dedupe_key=f"workshop:{workshop.id}:reminder:{token}@{stamp}",
                    session=session,
                )
            opens = workshop.starts_at - CHECKIN_OPENS_BEFORE
            if opens > now:
                await self.scheduler.schedule(
                    CHECKIN_JOB,
                    opens,
                    payload,
                    dedupe_key=f"workshop:{workshop.id}:checkin@{stamp}",
                    session=session,
                )
        await self.scheduler.schedule(
            ENDED_JOB,
            workshop.ends_at,
            payload,
            dedupe_key=f"workshop:{workshop.id}:ended@{stamp}",
            session=session,
        )

    # -- reading ------------------------------------------------------------------------------

    async def _get(
        self, session: AsyncSession, guild_id: int | None, workshop_id: int, *, lock: bool = False
    ) -> Workshop:
        query = select(Workshop).where(Workshop.id == workshop_id)
        if lock:
            query = query.with_for_update()
        workshop = await session.scalar(query)
        if workshop is None or (guild_id is not None and workshop.guild_id != guild_id):
            raise NotFound(_("There is no workshop #{id} in this server."), id=workshop_id)
        return workshop

    async def still_due(self, workshop_id: int, starts_at: str) -> Workshop | None:
        """The workshop a scheduled row was made for, unless the row is stale (the workshop is no
        longer scheduled, or was moved: its start is not the row's any more)."""
        async with self.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
        if workshop is None or workshop.status != SCHEDULED or workshop.starts_at.isoformat() != starts_at:
            return None
        return workshop

    async def get(self, guild_id: int | None, workshop_id: int) -> Workshop:
        async with self.db.session() as session:
            return await self._get(session, guild_id, workshop_id)

    async def seats(self, workshop_id: int) -> Seats:
        async with self.db.session() as session:
            return await self._seats(session, workshop_id)

    async def _seats(self, session: AsyncSession, workshop_id: int) -> Seats:
        rows = (
            await session.execute(
                select(WorkshopRegistration.status, func.count())
                .where(WorkshopRegistration.workshop_id == workshop_id)
                .group_by(WorkshopRegistration.status)
            )
        ).all()
        counts = {status: int(count) for status, count in rows}
        capacity = await session.scalar(select(Workshop.capacity).where(Workshop.id == workshop_id))
        return Seats(counts.get(REGISTERED, 0), int(capacity or 0), counts.get(WAITLISTED, 0))

    async def upcoming(self, guild_id: int, *, include_drafts: bool = False) -> list[Workshop]:
        statuses = (SCHEDULED, DRAFT) if include_drafts else (SCHEDULED,)
        async with self.db.session() as session:
            return list(
                (
                    await session.scalars(
                        select(Workshop)
                        .where(
                            Workshop.guild_id == guild_id,
                            Workshop.status.in_(statuses),
                            Workshop.ends_at > self.clock.now(),
                        )
                        .order_by(Workshop.starts_at, Workshop.id)
                        .limit(25)
                    )
                ).all()
            )

    async def resolve(self, guild_id: int, text: str, *, staff: bool) -> Workshop:
        """The workshop of this server that ``text`` names, if the reader may see it (a draft is
        staff's): its number as autocomplete sends it ("12", of any size), typed on any keyboard
        ("#12", "１２"), its choice copied by hand ("#12 Title (2027-08-20)"), or its exact title
        (any letter case; of several editions with one title, the next one to come, else the
        latest). Anything else is NotFound "No workshop matches '...'", whatever the reason."""
        typed = canonical_text(text) if isinstance(text, str) else ""
        hidden = hidden_from(staff=staff)
        async with self.db.session() as session:
            numbered = _NUMBERED.match(half_width(typed))
            if numbered is not None:
                found = await self._visible(session, guild_id, numbered.group(1), hidden)
                rest = numbered.group(2)
                if found is not None and (rest is None or _titled(rest, found.title)):
                    return found
            if typed:
                found = await self._by_title(session, guild_id, typed, hidden)
                if found is not None:
                    return found
        raise no_match(typed)

    @staticmethod
    async def _visible(
        session: AsyncSession, guild_id: int, digits: str, hidden: tuple[str, ...]
    ) -> Workshop | None:
        """Workshop number ``digits`` when it is this server's and not hidden from the reader; None
        for a number no id can be (0, or larger than any the table holds)."""
        significant = digits.lstrip("0")
        if not significant or len(significant) > len(str(MAX_ID)) or int(significant) > MAX_ID:
            return None
        workshop = await session.get(Workshop, int(significant))
        if workshop is None or workshop.guild_id != guild_id or workshop.status in hidden:
            return None
        return workshop

    async def _by_title(
        self, session: AsyncSession, guild_id: int, title: str, hidden: tuple[str, ...]
    ) -> Workshop | None:
        query = select(Workshop).where(
            Workshop.guild_id == guild_id,
            (Workshop.title == title) | (func.lower(Workshop.title) == title.lower()),
        )
        if hidden:
            query = query.where(Workshop.status.not_in(hidden))
        found = [w for w in await session.scalars(query) if w.title.casefold() == title.casefold()]
        coming = [w for w in found if w.status == SCHEDULED and w.ends_at > self.clock.now()]
        if coming:
            return min(coming, key=lambda w: (w.starts_at, w.id))
        return max(found, key=lambda w: (w.starts_at, w.id), default=None)

    async def search(self, guild_id: int, text: str, *, staff: bool) -> list[Workshop]:
        """For autocomplete: the workshops of this server the reader may see whose title contains
        ``text``, newest first (after the one ``text`` names by its number, if any)."""
        typed = canonical_text(text) if isinstance(text, str) else ""
        hidden = hidden_from(staff=staff)
        async with self.db.session() as session:
            first: list[Workshop] = []
            numbered = _NUMBERED.match(half_width(typed))
            if numbered is not None:
                found = await self._visible(session, guild_id, numbered.group(1), hidden)
                first = [found] if found is not None else []
            query = select(Workshop).where(Workshop.guild_id == guild_id)
            if hidden:
                query = query.where(Workshop.status.not_in(hidden))
            if typed:
                query = query.where(func.lower(Workshop.title).contains(typed.lower(), autoescape=True))
            matching = (await session.scalars(query.order_by(Workshop.starts_at.desc()).limit(25))).all()
            return [*first, *(w for w in matching if w not in first)][:25]

    async def mine(self, guild_id: int, user_id: int) -> list[tuple[Workshop, str, int]]:
        """The member's upcoming workshops with their status and waitlist position (0 if registered)."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Workshop, WorkshopRegistration)
                    .join(WorkshopRegistration, WorkshopRegistration.workshop_id == Workshop.id)
                    .where(
                        Workshop.guild_id == guild_id,
                        Workshop.status == SCHEDULED,
                        Workshop.ends_at > self.clock.now(),
                        WorkshopRegistration.user_id == user_id,
                        WorkshopRegistration.status.in_((REGISTERED, WAITLISTED)),
                    )
                    .order_by(Workshop.starts_at)
                )
            ).all()
            out = []
            for workshop, registration in rows:
                position = 0
                if registration.status == WAITLISTED:
                    position = await self._position(session, registration)
                out.append((workshop, registration.status, position))
            return out

    async def attendees(self, guild_id: int, workshop_id: int) -> list[Attendee]:
        async with self.db.session() as session:
            await self._get(session, guild_id, workshop_id)
            rows = await session.scalars(
                select(WorkshopRegistration)
                .where(WorkshopRegistration.workshop_id == workshop_id)
                .order_by(WorkshopRegistration.registered_at, WorkshopRegistration.id)
            )
            return [Attendee(r.user_id, r.status, r.registered_at) for r in rows]

    async def attendee_list(self, guild_id: int, workshop_id: int) -> AttendeeList:
        """The registrations of a workshop for its CSV, with the applicants' own details."""
        workshop = await self.get(guild_id, workshop_id)
        attendees = await self.attendees(guild_id, workshop_id)
        records = await self.memberships.records(guild_id, [a.user_id for a in attendees])
        return AttendeeList(workshop, attendees, records)

    # -- members ------------------------------------------------------------------------------

    async def register(
        self, workshop_id: int, person: Person, *, at: datetime | None = None, order: int | None = None
    ) -> Registration:
        """A seat, or a place on the waitlist; a repeated ask answers where the member stands.

        Decided with every other ask for this workshop that is waiting, first come first served:
        ``order`` is the ask's place in line (the interaction's snowflake, in which Discord
        created the clicks) and ``at`` when the member asked (default: now). A members-only
        workshop admits whom the member gate admits."""
        if person.guild_id is None:
            raise NotFound(_("There is no workshop #{id} in this server."), id=workshop_id)
        ask = _Ask(REGISTER, person, at or self.clock.now())
        result = await self._desk.ask(workshop_id, ask, order=order or self._next_order())
        assert isinstance(result, Registration)
        return result

    async def leave(self, workshop_id: int, user_id: int, *, order: int | None = None) -> Departure:
        """Give up a seat or a waitlist place; the next on the waitlist is promoted (in line with
        the registrations being decided)."""
        ask = _Ask(LEAVE, Person(user_id, None), self.clock.now())
        result = await self._desk.ask(workshop_id, ask, order=order or self._next_order())
        assert isinstance(result, Departure)
        return result

    def _next_order(self) -> int:
        """A place in line for an ask that carries none: the clock, as a snowflake would."""
        self._counter += 1
        return (int(self.clock.now().timestamp() * 1000) << 22) | (self._counter & 0x3FFFFF)

    async def _decide(
        self, workshop_id: int, asks: Sequence[_Ask]
    ) -> list[Registration | Departure | DomainError]:
        """One batch of asks for one workshop, in their order, in one transaction that holds the
        workshop (its row on PostgreSQL, the write lock on SQLite): seats are counted once, under
        the lock, and handed out one by one, so never more are taken than there are."""
        joining = [a.person for a in asks if a.kind == REGISTER]
        # Few round trips: under a rush every await waits behind hundreds of other clicks.
        async with self.db.transaction() as session:
            workshop = await self._get(session, None, workshop_id, lock=True)
            gates = {
                guild_id: await self.memberships.gate(
                    guild_id, [p.user_id for p in joining if p.guild_id == guild_id], session=session
                )
                for guild_id in {p.guild_id for p in joining if p.guild_id is not None}
            }
            users = {a.person.user_id for a in asks}
            rows = {
                r.user_id: r
                for r in await session.scalars(
                    select(WorkshopRegistration).where(
                        WorkshopRegistration.workshop_id == workshop_id,
                        WorkshopRegistration.user_id.in_(users),
                    )
                )
            }
            line = await self._line(session, workshop)
            now = self.clock.now()
            results: list[Registration | Departure | DomainError] = []
            for ask in asks:
                try:
                    if ask.kind == REGISTER:
                        gate = gates.get(ask.person.guild_id or 0)
                        results.append(await self._seat(session, workshop, rows, line, ask, gate, now))
                    else:
                        results.append(await self._unseat(session, workshop, rows, line, ask, now))
                except DomainError as refused:
                    results.append(refused)
            await self._write_new(session, line)
        if any(isinstance(r, Departure) or (isinstance(r, Registration) and not r.already) for r in results):
            for watcher in self._watchers:
                watcher(workshop_id)
        return results

    async def _seat(
        self,
        session: AsyncSession,
        workshop: Workshop,
        rows: dict[int, WorkshopRegistration],
        line: _Line,
        ask: _Ask,
        gate: MemberGate | None,
        now: datetime,
    ) -> Registration:
        person = ask.person
        if person.guild_id != workshop.guild_id:
            raise NotFound(_("There is no workshop #{id} in this server."), id=workshop.id)
        if workshop.status != SCHEDULED:
            raise not_open(workshop)
        if now > workshop.deadline:
            raise DomainError(
                _("Registration for this workshop closed on {deadline:F}."), deadline=workshop.deadline
            )
        assert gate is not None  # asked for every server of the batch's members
        if workshop.members_only and not gate.admits(person):
            raise gate.refusal()
        placed = line.placed.get(person.user_id)
        if placed is not None:  # a second click in the same batch: where the first put them
            return Registration(placed[0], placed[1], workshop, already=True)
        existing = rows.get(person.user_id)
        if existing is not None and existing.status in (REGISTERED, WAITLISTED):
            position = await self._position(session, existing) if existing.status == WAITLISTED else 0
            return Registration(existing.status, position, workshop, already=True)
        status = REGISTERED if line.taken < workshop.capacity and line.waiting == 0 else WAITLISTED
        place = line.next_place(now)
        if existing is None:  # written with the batch's other new rows, in one statement
            line.inserts.append(
                {
                    "workshop_id": workshop.id,
                    "user_id": person.user_id,
                    "status": status,
                    "registered_at": ask.at,
                    "queued_at": place,
                    "updated_at": now,
                }
            )
        else:  # came back after leaving
            existing.status, existing.registered_at, existing.queued_at = status, ask.at, place
            existing.updated_at = now
        if status == REGISTERED:
            line.taken += 1
            position = 0
        else:
            line.waiting += 1
            position = line.waiting
        line.placed[person.user_id] = (status, position)
        return Registration(status, position, workshop)

    @staticmethod
    async def _write_new(session: AsyncSession, line: _Line) -> None:
        if line.inserts:
            await session.execute(insert(WorkshopRegistration), line.inserts)
            line.inserts = []

    async def _unseat(
        self,
        session: AsyncSession,
        workshop: Workshop,
        rows: dict[int, WorkshopRegistration],
        line: _Line,
        ask: _Ask,
        now: datetime,
    ) -> Departure:
        await self._write_new(session, line)
        registration = rows.get(ask.person.user_id)
        if registration is None and ask.person.user_id in line.placed:  # registered in this batch
            registration = await session.scalar(
                select(WorkshopRegistration).where(
                    WorkshopRegistration.workshop_id == workshop.id,
                    WorkshopRegistration.user_id == ask.person.user_id,
                )
            )
            if registration is not None:
                rows[ask.person.user_id] = registration
                del line.placed[ask.person.user_id]
        if registration is None or registration.status == LEFT:
            raise DomainError(_("You are not registered for this workshop."))
        if workshop.status != SCHEDULED:
            raise not_open(workshop)
        previous = registration.status
        registration.status, registration.updated_at = LEFT, now
        if previous == REGISTERED:
            line.taken -= 1
        else:
            line.waiting -= 1
        await session.flush()
        promoted = await self._promote(session, workshop)
        line.taken += len(promoted)
        line.waiting -= len(promoted)
        return Departure(workshop, previous, promoted)

    @staticmethod
    async def _line(session: AsyncSession, workshop: Workshop) -> _Line:
        """Seats taken, the waitlist and the last place given, in one query."""
        rows = (
            await session.execute(
                select(WorkshopRegistration.status, func.count(), func.max(WorkshopRegistration.queued_at))
                .where(WorkshopRegistration.workshop_id == workshop.id)
                .group_by(WorkshopRegistration.status)
            )
        ).all()
        counts = {status: int(count) for status, count, _last in rows}
        last = max((place for _status, _count, place in rows if place is not None), default=None)
        return _Line(Seats(counts.get(REGISTERED, 0), workshop.capacity, counts.get(WAITLISTED, 0)), last)

    async def _promote(self, session: AsyncSession, workshop: Workshop) -> list[int]:
        """Fill free seats from the waitlist, in order; returns who was promoted."""
        seats = await self._seats(session, workshop.id)
        if seats.free == 0 or seats.waitlisted == 0:
            return []
        waiting = (
            await session.scalars(
                select(WorkshopRegistration)
                .where(
                    WorkshopRegistration.workshop_id == workshop.id, WorkshopRegistration.status == WAITLISTED
                )
                .order_by(WorkshopRegistration.queued_at, WorkshopRegistration.id)
                .limit(seats.free)
            )
        ).all()
        now = self.clock.now()
        for registration in waiting:
            registration.status, registration.updated_at = REGISTERED, now
        return [r.user_id for r in waiting]

    async def _position(self, session: AsyncSession, registration: WorkshopRegistration) -> int:
        ahead = await session.scalar(
            select(func.count())
            .select_from(WorkshopRegistration)
            .where(
                WorkshopRegistration.workshop_id == registration.workshop_id,
                WorkshopRegistration.status == WAITLISTED,
                (WorkshopRegistration.queued_at < registration.queued_at)
                | (
                    (WorkshopRegistration.queued_at == registration.queued_at)
                    & (WorkshopRegistration.id < registration.id)
                ),
            )
        )
        return int(ahead or 0) + 1

    # -- reminders ----------------------------------------------------------------------------

    async def reminder(self, workshop_id: int, token: str, starts_at: str) -> Reminder | None:
        """What a reminder row still owes; None when nothing is: the workshop was cancelled or
        moved, or it has started (a reminder missed while the bot was down is late until the
        start, and pointless after it)."""
        async with self.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
            if (
                workshop is None
                or workshop.status != SCHEDULED
                or workshop.starts_at.isoformat() != starts_at
                or token not in workshop.reminders.split(",")
            ):
                log.info(
                    "workshop %s reminder %s skipped: the workshop was cancelled or moved", workshop_id, token
                )
                return None
            if self.clock.now() >= workshop.starts_at:
                log.warning(
                    "workshop %s reminder %s skipped: the workshop already started (the bot was down)",
                    workshop_id,
                    token,
                )
                return None
            done = select(WorkshopReminderDelivery.user_id).where(
                WorkshopReminderDelivery.workshop_id == workshop_id,
                WorkshopReminderDelivery.reminder == token,
            )
            delivered = set((await session.scalars(done)).all())
            targets = (await session.scalars(seated_in_order(workshop_id))).all()
            return Reminder(
                workshop, [u for u in targets if u not in delivered], CHANNEL_POST not in delivered
            )

    async def record_delivery(
        self, workshop_id: int, token: str, user_id: int, status: str, *, late: bool
    ) -> bool:
        """Record one delivery; False when it was recorded already (then it must not be sent again), or
        when the member no longer holds their seat (they left, or erased their data meanwhile)."""
        try:
            async with self.db.transaction() as session:
                if user_id != CHANNEL_POST and not await self._holds_seat(session, workshop_id, user_id):
                    return False
                session.add(
                    WorkshopReminderDelivery(
                        workshop_id=workshop_id,
                        reminder=token,
                        user_id=user_id,
                        status=status,
                        late=late,
                        delivered_at=self.clock.now(),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def holds_seat(self, workshop_id: int, user_id: int) -> bool:
        """Still registered: a reminder run asks just before each DM (a member may leave or erase
        their data while it runs)."""
        async with self.db.session() as session:
            return await self._holds_seat(session, workshop_id, user_id)

    @staticmethod
    async def _holds_seat(session: AsyncSession, workshop_id: int, user_id: int) -> bool:
        found = await session.scalar(
            select(WorkshopRegistration.id).where(
                WorkshopRegistration.workshop_id == workshop_id,
                WorkshopRegistration.user_id == user_id,
                WorkshopRegistration.status == REGISTERED,
            )
        )
        return found is not None

    async def deliveries(self, workshop_id: int) -> list[WorkshopReminderDelivery]:
        async with self.db.session() as session:
            return list(
                (
                    await session.scalars(
                        select(WorkshopReminderDelivery)
                        .where(WorkshopReminderDelivery.workshop_id == workshop_id)
                        .order_by(WorkshopReminderDelivery.id)
                    )
                ).all()
            )

    # -- end of an edition and the yearly series ---------------------------------------------

    async def end(self, workshop_id: int, starts_at: str) -> tuple[Workshop, Workshop | None] | None:
        """Mark the edition ended; for a series, draft next year's edition (same local times).

        Returns (ended, draft) or None when the row is stale (the workshop moved or was cancelled).
        """
        async with self.db.transaction() as session:
            # Locked: two processes ending it at once must not both draft next year's edition.
            workshop = await session.get(Workshop, workshop_id, with_for_update=True)
            if (
                workshop is None
                or workshop.status != SCHEDULED
                or workshop.starts_at.isoformat() != starts_at
            ):
                return None
            workshop.status, workshop.updated_at = ENDED, self.clock.now()
            if workshop.series_id is None:
                return workshop, None
            tz = ZoneInfo(workshop.timezone)
            now = self.clock.now()

            def next_year(when: datetime) -> datetime:
                local = when.astimezone(tz).replace(tzinfo=None)
                try:
                    local = local.replace(year=local.year + 1)
                except ValueError:  # 29 February
                    local = local.replace(year=local.year + 1, day=28)
                return local.replace(tzinfo=tz).astimezone(UTC)

            draft = Workshop(
                guild_id=workshop.guild_id,
                series_id=workshop.series_id,
                status=DRAFT,
                title=workshop.title,
                description=workshop.description,
                location=workshop.location,
                starts_at=next_year(workshop.starts_at),
                ends_at=next_year(workshop.ends_at),
                timezone=workshop.timezone,
                capacity=workshop.capacity,
                deadline=next_year(workshop.deadline),
                reminders=workshop.reminders,
                ping_role_id=workshop.ping_role_id,
                members_only=workshop.members_only,
                created_by=None,
                created_at=now,
                updated_at=now,
            )
            session.add(draft)
            await session.flush()
            return workshop, draft

    async def confirm(
        self, guild_id: int, workshop_id: int, *, call_weeks: int | None = None
    ) -> tuple[Workshop, datetime]:
        """Confirm a drafted edition; its call for participants is scheduled the series'
        ``call_weeks`` (set here first when given) before the start, at once when that has passed.
        Returns the workshop and when the call goes out. A refusal changes nothing."""
        if call_weeks is not None:
            call_weeks = CALL_WEEKS.check(call_weeks)
        async with self.db.transaction() as session:
            workshop = await self._get(session, guild_id, workshop_id, lock=True)
            if workshop.status != DRAFT:
                raise DomainError(
                    _("Workshop #{id} is not a draft waiting for confirmation."), id=workshop_id
                )
            if workshop.starts_at <= self.clock.now():
                raise DomainError(_("The start is in the past: choose a time still to come."))
            series = await session.get(WorkshopSeries, workshop.series_id) if workshop.series_id else None
            if call_weeks is not None:
                if series is None:
                    raise DomainError(_("Workshop #{id} is not part of a yearly series."), id=workshop_id)
                series.call_weeks = call_weeks
            weeks = series.call_weeks if series else 0
            workshop.status, workshop.updated_at = SCHEDULED, self.clock.now()
            await session.flush()
            await self._schedule(session, workshop)
            call_at = max(self.clock.now(), workshop.starts_at - timedelta(weeks=weeks))
            await self.scheduler.schedule(
                CALL_JOB,
                call_at,
                {"workshop_id": workshop.id},
                dedupe_key=f"workshop:{workshop.id}:call",
                session=session,
            )
        self.scheduler.wake()
        return workshop, call_at

    async def call_due(self, workshop_id: int) -> Workshop | None:
        """The workshop whose call for participants is to be posted now, or None: the call goes
        out only while the workshop is scheduled and registration is still open."""
        async with self.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
        if workshop is None or workshop.status != SCHEDULED or self.clock.now() >= workshop.deadline:
            return None
        return workshop

    # -- personal data ------------------------------------------------------------------------

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        registrations = (
            await session.execute(
                select(Workshop, WorkshopRegistration)
                .join(WorkshopRegistration, WorkshopRegistration.workshop_id == Workshop.id)
                .where(Workshop.guild_id == guild_id, WorkshopRegistration.user_id == user_id)
                .order_by(Workshop.starts_at)
            )
        ).all()
        reminders = (
            await session.execute(
                select(Workshop.title, WorkshopReminderDelivery)
                .join(WorkshopReminderDelivery, WorkshopReminderDelivery.workshop_id == Workshop.id)
                .where(Workshop.guild_id == guild_id, WorkshopReminderDelivery.user_id == user_id)
                .order_by(WorkshopReminderDelivery.id)
            )
        ).all()
        created = (
            await session.scalars(
                select(Workshop.title).where(Workshop.guild_id == guild_id, Workshop.created_by == user_id)
            )
        ).all()
        if not registrations and not reminders and not created:
            return None
        return {
            "registrations": [
                {
                    "workshop": f"#{workshop.id} {workshop.title}",
                    "starts_at": iso(workshop.starts_at),
                    "status": registration.status,
                    "registered_at": iso(registration.registered_at),
                }
                for workshop, registration in registrations
            ],
            "reminders_received": [
                {"workshop": title, "reminder": d.reminder, "status": d.status, "at": iso(d.delivered_at)}
                for title, d in reminders
            ],
            "workshops_you_created": list(created),
        }

    async def erase_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> WorkshopsErased | None:
        """Delete the person's registrations and reminder records; a seat they held goes to the next
        on the waitlist, as if they had left. Workshops they created stay, without their name."""
        ours = select(Workshop.id).where(Workshop.guild_id == guild_id)
        changed = (
            await session.scalars(
                select(WorkshopRegistration.workshop_id)
                .join(Workshop, Workshop.id == WorkshopRegistration.workshop_id)
                .where(
                    Workshop.guild_id == guild_id,
                    Workshop.status == SCHEDULED,
                    WorkshopRegistration.user_id == user_id,
                    WorkshopRegistration.status.in_((REGISTERED, WAITLISTED)),
                )
                .order_by(WorkshopRegistration.workshop_id)
            )
        ).all()
        held = (
            await session.scalars(
                select(WorkshopRegistration.workshop_id).where(
                    WorkshopRegistration.workshop_id.in_(ours),
                    WorkshopRegistration.user_id == user_id,
                    WorkshopRegistration.status == REGISTERED,
                )
            )
        ).all()
        gone = await session.execute(
            delete(WorkshopRegistration).where(
                WorkshopRegistration.workshop_id.in_(ours), WorkshopRegistration.user_id == user_id
            )
        )
        await session.execute(
            delete(WorkshopReminderDelivery).where(
                WorkshopReminderDelivery.workshop_id.in_(ours), WorkshopReminderDelivery.user_id == user_id
            )
        )
        await session.execute(
            update(Workshop)
            .where(Workshop.guild_id == guild_id, Workshop.created_by == user_id)
            .values(created_by=None)
        )
        promoted: dict[int, list[int]] = {}
        for workshop_id in held:
            workshop = await self._get(session, None, workshop_id, lock=True)
            if workshop.status == SCHEDULED:
                promoted[workshop_id] = await self._promote(session, workshop)
        count = int(getattr(gone, "rowcount", 0) or 0)
        return WorkshopsErased(count, promoted, tuple(changed)) if count else None


def not_open(workshop: Workshop) -> DomainError:
    """Why a cancelled, ended or drafted workshop refuses what was asked."""
    if workshop.status == CANCELLED:
        return DomainError(_("Workshop #{id} was cancelled."), id=workshop.id)
    if workshop.status == ENDED:
        return DomainError(_("Workshop #{id} has already ended."), id=workshop.id)
    return DomainError(_("Workshop #{id} is a draft that staff have not confirmed yet."), id=workshop.id)
