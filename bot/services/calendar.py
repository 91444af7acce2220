"""The yearly calendar: staff-defined yearly announcements and the built-in cycles.

An entry is a ``CalendarEntry`` row plus one scheduler recurrence keyed ``calendar:<guild>:<id>``
(kind ``calendar.entry``); a built-in cycle is a ``CalendarBuiltin`` row plus a recurrence keyed
``calendar:<guild>:builtin:<key>``. The scheduler makes each occurrence a row claimed once, so an
occurrence is delivered once even with several bot processes; this module decides what an
occurrence says, which channel it posts in and which role it pings (as ids: the Discord side only
resolves them and checks its permissions). Nothing here imports discord.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, claim_row, hold
from bot.db.models_calendar import CalendarBuiltin, CalendarEntry
from bot.errors import DomainError, NotFound
from bot.fields import (
    CALENDAR_MESSAGE,
    CALENDAR_NAME,
    CALENDAR_REFERENCE,
    CHANNEL_ID,
    DAY,
    LAST_YEAR,
    MONTH,
    ROLE_ID,
    TIME_OF_DAY,
    canonical_text,
)
from bot.i18n import Listing, Message, MonthDay, _
from bot.scheduler import CronRule, JobContext, Scheduler, YearlyRule
from bot.scheduler.clock import Clock
from bot.scheduler.recurrence import Rule
from bot.services.guild_settings import (
    CHANNEL_KINDS,
    GuildSettingsService,
    check_zone,
)
from bot.services.personal_data import PersonalDataHolder
from bot.services.templates import check_placeholders

ENTRY_KIND = "calendar.entry"
BUILTIN_KIND = "calendar.builtin"
SWEEP_KIND = "membership.sweep"  # handled by the verification feature; the calendar only schedules it
PLACEHOLDERS = ("year", "edition", "server", "date")
MAX_ENTRIES = 50
# What the name option of /calendar edit, pause, resume, remove, preview and run-now takes: an
# entry's name (autocomplete sends the name itself: names are unique in a server).
_ELLIPSIS = "…"
_TIME = re.compile(r"(\d{1,2})[:.h：](\d{2})")
FOUNDING_YEAR = 2019  # the CISIP initiative was launched on 26 May 2019
FIRST_WORKSHOP_YEAR = 2013  # the Science Park Management Workshop has been held every year since 2013


@dataclass(frozen=True)
class BuiltinCycle:
    key: str
    label: str
    kind: str
    month: int = 1
    day: int = 1
    hour: int = 9
    minute: int = 0
    daily: bool = False
    channel: str | None = None  # the /setup channel purpose it posts to
    template: str | None = None  # an English source string, translated into the server's language
    edition_of_year: int = 0  # {edition} = year - edition_of_year
    ping_staff: bool = False


BUILTINS: dict[str, BuiltinCycle] = {
    cycle.key: cycle
    for cycle in (
        BuiltinCycle(
            "anniversary",
            _("Founding anniversary"),
            BUILTIN_KIND,
            month=5,
            day=26,
            channel="announcements",
            template=_(
                "🎉 Today CISIP turns {edition}! The initiative was launched on 26 May 2019. "
                "Thank you to every park, company and partner in {server}."
            ),
            edition_of_year=FOUNDING_YEAR,
        ),
        BuiltinCycle(
            "membership-renewal",
            _("Membership renewal sweep"),
            SWEEP_KIND,
            hour=3,
            daily=True,
        ),
        BuiltinCycle(
            "workshop-call",
            _("Workshop series: call for participants"),
            BUILTIN_KIND,
            month=6,
            day=1,
            channel="workshops",
            template=_(
                "📣 Call for participants: the {year} Science Park Management Workshop (edition {edition}, "
                "held every year since 2013) is open. Watch this channel for the dates and registration."
            ),
            edition_of_year=FIRST_WORKSHOP_YEAR - 1,
        ),
        BuiltinCycle(
            "report-call",
            _("Report: call for contributions"),
            BUILTIN_KIND,
            month=9,
            day=1,
            channel="reports",
            template=_(
                "📝 Call for contributions: the {year} Science Park Development Report is in preparation. "
                "Parks and partners with data or case studies to share, please contact the CISIP staff."
            ),
        ),
        BuiltinCycle(
            "report-release",
            _("Report: release reminder (staff)"),
            BUILTIN_KIND,
            month=12,
            day=1,
            channel="audit",
            template=_(
                "⏰ Reminder for staff: the {year} Science Park Development Report is due for release "
                "this month. Publish it when it is ready."
            ),
            ping_staff=True,
        ),
    )
}


def entry_key(guild_id: int, entry_id: int) -> str:
    return f"calendar:{guild_id}:{entry_id}"


def builtin_key(guild_id: int, key: str) -> str:
    return f"calendar:{guild_id}:builtin:{key}"


def names_of(guild_id: int) -> str:
    """The lock held while a server's entry names are checked and written: the names are unique in
    any letter case (compared in Python), which the table's unique key cannot keep."""
    return f"calendar:{guild_id}:names"


def parse_time(text: str) -> tuple[int, int]:
    """'09:30' -> (9, 30); the text is cleaned as a ``TIME_OF_DAY`` first."""
    cleaned = TIME_OF_DAY.clean(text)
    match = _TIME.fullmatch(cleaned)
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError(
            _("'{time}' is not a time of day: write it as HH:MM, for example 09:30."), time=cleaned
        )
    return hour, minute


def check_message(template: str) -> str:
    """A message template as it is kept: cleaned as a ``CALENDAR_MESSAGE`` (visible, at most 1,800
    characters, no control characters), with only the calendar's placeholders."""
    text = CALENDAR_MESSAGE.clean(template)
    check_placeholders(text, PLACEHOLDERS)
    return text


def checked_last_year(last_year: int | None) -> int | None:
    """``last_year`` within ``LAST_YEAR``'s bounds (None: no last year)."""
    return None if last_year is None else LAST_YEAR.check(last_year)


def check_target_ids(channel_id: int | None, role_id: int | None) -> None:
    """Ids that fit the columns (a client can send any snowflake)."""
    if channel_id is not None:
        CHANNEL_ID.check(channel_id)
    if role_id is not None:
        ROLE_ID.check(role_id)


def name_key(name: str) -> str:
    """What two names must share to be the same name ("Spring Day" and " spring  day")."""
    return canonical_text(name).casefold()


def no_match(typed: str) -> NotFound:
    """The one answer to a name that names no entry of the server."""
    limit = CALENDAR_REFERENCE.max_length
    shown = canonical_text(typed) if isinstance(typed, str) else ""
    shown = shown if len(shown) <= limit else shown[: limit - 1].rstrip() + _ELLIPSIS
    return NotFound(_("No calendar entry matches '{value}'."), value=shown)


def local_year(when: datetime, timezone: str) -> int:
    return when.astimezone(ZoneInfo(timezone)).year


def yearly_at(month: int, day: int, hour: int, minute: int, timezone: str) -> Message:
    """A day of the year and a time in the reader's language ("Mar 15 09:00 UTC", "3月15日 09:00（UTC）")."""
    return Message.of(
        _("{date} {time} {timezone}"),
        date=MonthDay(month, day),
        time=f"{hour:02d}:{minute:02d}",
        timezone=timezone,
    )


@dataclass(frozen=True)
class Schedule:
    """A validated date, time and zone."""

    rule: YearlyRule
    timezone: str

    def describe(self) -> Message:
        return yearly_at(self.rule.month, self.rule.day, self.rule.hour, self.rule.minute, self.timezone)


def check_schedule(month: int, day: int, time: str, timezone: str) -> Schedule:
    month, day = MONTH.check(month), DAY.check(day)
    hour, minute = parse_time(time)
    rule = YearlyRule(month, day, hour, minute)  # refuses 31 February
    return Schedule(rule, check_zone(timezone))


def entry_schedule(entry: CalendarEntry) -> Schedule:
    return Schedule(YearlyRule(entry.month, entry.day, entry.hour, entry.minute), entry.timezone)


@dataclass(frozen=True)
class EntryView:
    entry: CalendarEntry
    next_at: datetime | None

    @property
    def schedule(self) -> Schedule:
        return entry_schedule(self.entry)


@dataclass(frozen=True)
class BuiltinView:
    cycle: BuiltinCycle
    enabled: bool
    month: int
    day: int
    hour: int
    minute: int
    timezone: str
    next_at: datetime | None

    def describe(self) -> Message:
        if self.cycle.daily:
            return Message.of(
                _("daily at {time} {timezone}"),
                time=f"{self.hour:02d}:{self.minute:02d}",
                timezone=self.timezone,
            )
        return yearly_at(self.month, self.day, self.hour, self.minute, self.timezone)


@dataclass(frozen=True)
class Target:
    """Where an occurrence posts and which role it pings, as ids the Discord side resolves.

    ``purpose``: the ``/setup channel`` purpose the channel comes from (a built-in cycle), so a
    missing channel is refused with what to set up rather than what to edit.
    """

    channel_id: int | None
    role_id: int | None = None
    purpose: str | None = None

    def channel_missing(self, name: str) -> DomainError:
        """Why nothing can be posted when ``channel_id`` names no channel (unset, or deleted)."""
        if self.purpose is not None:
            return DomainError(
                _("Set the {purpose} channel with /setup channel first: this cycle posts there."),
                purpose=Message(CHANNEL_KINDS[self.purpose]),
            )
        return DomainError(
            _("The channel of '{name}' no longer exists: choose another with /calendar edit."), name=name
        )


@dataclass(frozen=True)
class NewEntry:
    """What ``/calendar add`` checked before asking for the message."""

    name: str
    schedule: Schedule
    last_year: int | None


@dataclass(frozen=True)
class EntryEdit:
    """What ``/calendar edit`` checked before asking for the message (None: unchanged)."""

    new_name: str | None
    schedule: Schedule | None
    last_year: int | None


@dataclass(frozen=True)
class Delivery:
    """What one occurrence posts, and where. ``translate``: the template is an English source string."""

    guild_id: int
    name: str
    template: str
    values: dict[str, Any]
    target: Target
    translate: bool = False
    entry_id: int | None = None
    last: bool = False
    due_at: datetime | None = None  # the occurrence it stands for

    def channel_missing(self) -> DomainError:
        return self.target.channel_missing(self.name)


class CalendarService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "calendar"
    personal_tables: ClassVar[tuple[str, ...]] = ("calendar_entries",)

    def __init__(
        self,
        database: Database,
        scheduler: Scheduler,
        clock: Clock,
        *,
        guild_settings: GuildSettingsService | None = None,
    ) -> None:
        self.db = database
        self.scheduler = scheduler
        self.clock = clock
        # The server's channels, staff role and time zone (the bot passes its shared service).
        self.guild_settings = guild_settings or GuildSettingsService(database, clock)

    # -- personal data: the staff member who added an entry ----------------------------------

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        names = (
            await session.scalars(
                select(CalendarEntry.name).where(
                    CalendarEntry.guild_id == guild_id, CalendarEntry.created_by == user_id
                )
            )
        ).all()
        return {"entries_you_added": list(names)} if names else None

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Entries stay on the calendar, without the name of who added them."""
        await session.execute(
            update(CalendarEntry)
            .where(CalendarEntry.guild_id == guild_id, CalendarEntry.created_by == user_id)
            .values(created_by=None)
        )

    # -- entries ------------------------------------------------------------------------------

    async def check_new(
        self,
        guild_id: int,
        *,
        name: str,
        month: int,
        day: int,
        time: str,
        timezone: str | None = None,
        last_year: int | None = None,
    ) -> NewEntry:
        """Everything about a new entry but its message, checked before staff write the message:
        the name (well formed and free in the server), the schedule (in the server's time zone
        unless another is given) and the last year."""
        name = CALENDAR_NAME.clean(name)
        if timezone is None:
            timezone = await self._server_timezone(guild_id)
        schedule = check_schedule(month, day, time, timezone)
        last_year = checked_last_year(last_year)
        async with self.db.session() as session:
            self._check_free(await self._rows(session, guild_id), name)
        self.check_last_year(schedule, last_year)
        return NewEntry(name, schedule, last_year)

    async def add(
        self,
        guild_id: int,
        *,
        name: str,
        schedule: Schedule,
        channel_id: int,
        template: str,
        role_id: int | None = None,
        last_year: int | None = None,
        actor_id: int | None = None,
        public: bool = False,
    ) -> CalendarEntry:
        """Validate everything, then store the entry and its recurrence (nothing stored on refusal).
        ``public``: the entry is a yearly event of the public calendar feed (``/workshops.ics``)."""
        name = CALENDAR_NAME.clean(name)
        template = check_message(template)
        check_target_ids(channel_id, role_id)
        last_year = checked_last_year(last_year)
        now = self.clock.now()
        first_year = self.check_last_year(schedule, last_year)
        async with self.db.transaction() as session:
            await hold(session, names_of(guild_id))
            rows = await self._rows(session, guild_id)
            if len(rows) >= MAX_ENTRIES:
                raise DomainError(
                    _("This server already has {max:n} calendar entries; remove one first."), max=MAX_ENTRIES
                )
            self._check_free(rows, name)
            entry = CalendarEntry(
                guild_id=guild_id,
                name=name,
                month=schedule.rule.month,
                day=schedule.rule.day,
                hour=schedule.rule.hour,
                minute=schedule.rule.minute,
                timezone=schedule.timezone,
                channel_id=channel_id,
                role_id=role_id,
                template=template,
                first_year=first_year,
                last_year=last_year,
                enabled=True,
                public=bool(public),
                sequence=0,
                created_by=actor_id,
                created_at=now,
                updated_at=now,
            )
            session.add(entry)
            try:
                await session.flush()
            except IntegrityError:
                raise self._taken(name) from None
        try:
            await self._put(entry)
        except Exception:
            async with self.db.transaction() as session:
                stored = await session.get(CalendarEntry, entry.id)
                if stored is not None:
                    await session.delete(stored)
            raise
        return entry

    @staticmethod
    def _taken(name: str) -> DomainError:
        return DomainError(_("There is already a calendar entry called '{name}'."), name=name)

    @staticmethod
    async def _rows(session: AsyncSession, guild_id: int) -> Sequence[CalendarEntry]:
        """The server's entries (at most ``MAX_ENTRIES``: names are compared here, in Python, where
        letter case is Unicode's on every database)."""
        query = select(CalendarEntry).where(CalendarEntry.guild_id == guild_id).order_by(CalendarEntry.name)
        return (await session.scalars(query)).all()

    def _check_free(self, rows: Sequence[CalendarEntry], name: str, except_id: int | None = None) -> None:
        key = name_key(name)
        if any(row.id != except_id and name_key(row.name) == key for row in rows):
            raise self._taken(name)

    def check_last_year(self, schedule: Schedule, last_year: int | None) -> int:
        """The year of the schedule's next occurrence, when ``last_year`` is not before it."""
        upcoming = schedule.rule.next_after(self.clock.now(), ZoneInfo(schedule.timezone))
        year = local_year(upcoming, schedule.timezone)
        self._check_last_year(checked_last_year(last_year), year)
        return year

    def _check_last_year(self, last_year: int | None, first_year: int) -> None:
        if last_year is not None and last_year < first_year:
            raise DomainError(
                _("The last year ({last_year}) is before the next occurrence, in {year}."),
                last_year=last_year,
                year=first_year,
            )

    async def _reschedule(
        self, key: str, kind: str, rule: Rule, timezone: str, payload: dict[str, Any], enabled: bool
    ) -> None:
        # put_recurrence cancels the pending occurrence (freeing its key) and plans the next one.
        await self.scheduler.put_recurrence(key, kind, rule, timezone, payload, enabled=enabled)

    async def _put(self, entry: CalendarEntry) -> None:
        await self._reschedule(
            entry_key(entry.guild_id, entry.id),
            ENTRY_KIND,
            YearlyRule(entry.month, entry.day, entry.hour, entry.minute),
            entry.timezone,
            {"guild_id": entry.guild_id, "entry_id": entry.id},
            entry.enabled,
        )

    @staticmethod
    def changed_schedule(
        entry: CalendarEntry,
        *,
        month: int | None = None,
        day: int | None = None,
        time: str | None = None,
        timezone: str | None = None,
    ) -> Schedule | None:
        """The entry's schedule with what ``/calendar edit`` changed in it, or None when nothing."""
        if month is None and day is None and time is None and timezone is None:
            return None
        return check_schedule(
            entry.month if month is None else month,
            entry.day if day is None else day,
            f"{entry.hour:02d}:{entry.minute:02d}" if time is None else time,
            entry.timezone if timezone is None else timezone,
        )

    async def check_edit(
        self,
        guild_id: int,
        entry: CalendarEntry,
        *,
        new_name: str | None = None,
        month: int | None = None,
        day: int | None = None,
        time: str | None = None,
        timezone: str | None = None,
        last_year: int | None = None,
        clear_last_year: bool = False,
    ) -> EntryEdit:
        """What ``/calendar edit`` changes in ``entry``, checked before the message form opens: the
        new name (well formed and free), the new schedule, the last year against it."""
        new_name = CALENDAR_NAME.clean(new_name) if new_name is not None else None
        schedule = self.changed_schedule(entry, month=month, day=day, time=time, timezone=timezone)
        last_year = checked_last_year(last_year)
        if new_name is not None:
            async with self.db.session() as session:
                self._check_free(await self._rows(session, guild_id), new_name, except_id=entry.id)
        self._check_edited_years(entry, schedule, last_year, clear_last_year)
        return EntryEdit(new_name, schedule, last_year)

    def _check_edited_years(
        self, entry: CalendarEntry, schedule: Schedule | None, last_year: int | None, clear_last_year: bool
    ) -> None:
        """The last year the edit leaves is not before the next occurrence of the schedule it leaves."""
        if schedule is None and last_year is None:
            return
        kept = None if clear_last_year else last_year if last_year is not None else entry.last_year
        effective = schedule or entry_schedule(entry)
        upcoming = effective.rule.next_after(self.clock.now(), ZoneInfo(effective.timezone))
        self._check_last_year(kept, local_year(upcoming, effective.timezone))

    async def find(self, guild_id: int, text: str) -> CalendarEntry:
        """The server's entry that ``text`` names: its name as stored, or written with other letter
        case, spaces or invisible characters. Anything else is NotFound "No calendar entry matches
        '...'" (a number of any size, a deleted entry's name, text with nothing visible)."""
        wanted = name_key(text) if isinstance(text, str) else ""
        if wanted:
            async with self.db.session() as session:
                rows = await self._rows(session, guild_id)
            found = next((row for row in rows if row.name == text), None) or next(
                (row for row in rows if name_key(row.name) == wanted), None
            )
            if found is not None:
                return found
        raise no_match(text)

    async def names(self, guild_id: int, query: str = "", limit: int = 25) -> list[str]:
        """For autocomplete: the server's entry names starting with ``query``, then containing it."""
        needle = name_key(query) if isinstance(query, str) else ""
        async with self.db.session() as session:
            names = [row.name for row in await self._rows(session, guild_id)]
        prefix = [n for n in names if name_key(n).startswith(needle)]
        contains = [n for n in names if needle in name_key(n) and n not in prefix]
        return (prefix + contains)[:limit]

    async def entries(self, guild_id: int) -> list[EntryView]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(CalendarEntry)
                    .where(CalendarEntry.guild_id == guild_id)
                    .order_by(CalendarEntry.month, CalendarEntry.day, CalendarEntry.name)
                )
            ).all()
        return [
            EntryView(row, await self.scheduler.next_occurrence(entry_key(guild_id, row.id))) for row in rows
        ]

    async def public_entries(self, guild_id: int) -> list[CalendarEntry]:
        """The entries of the public calendar feed: those staff marked public and that still post
        (a paused or ended entry is left out, as a removed one is gone), by date then name."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(CalendarEntry)
                .where(
                    CalendarEntry.guild_id == guild_id,
                    CalendarEntry.public.is_(True),
                    CalendarEntry.enabled.is_(True),
                )
                .order_by(CalendarEntry.month, CalendarEntry.day, CalendarEntry.name, CalendarEntry.id)
            )
            return list(rows.all())

    async def next_at(self, entry: CalendarEntry) -> datetime | None:
        return await self.scheduler.next_occurrence(entry_key(entry.guild_id, entry.id))

    async def edit(
        self,
        guild_id: int,
        name: str,
        *,
        new_name: str | None = None,
        schedule: Schedule | None = None,
        channel_id: int | None = None,
        role_id: int | None = None,
        clear_role: bool = False,
        last_year: int | None = None,
        clear_last_year: bool = False,
        template: str | None = None,
        public: bool | None = None,
    ) -> CalendarEntry:
        """Change what is given (None: unchanged). Every edit raises the entry's ``sequence``, the
        SEQUENCE of its event in the public feed."""
        entry = await self.find(guild_id, name)
        new_name = CALENDAR_NAME.clean(new_name) if new_name is not None else None
        template = check_message(template) if template is not None else None
        check_target_ids(channel_id, role_id)
        last_year = checked_last_year(last_year)
        self._check_edited_years(entry, schedule, last_year, clear_last_year)
        async with self.db.transaction() as session:
            row = await session.get(CalendarEntry, entry.id)
            if row is None:
                raise no_match(name)
            if new_name is not None:
                await hold(session, names_of(guild_id))
                self._check_free(await self._rows(session, guild_id), new_name, except_id=row.id)
                row.name = new_name
            if schedule is not None:
                row.month, row.day = schedule.rule.month, schedule.rule.day
                row.hour, row.minute = schedule.rule.hour, schedule.rule.minute
                row.timezone = schedule.timezone
            if channel_id is not None:
                row.channel_id = channel_id
            if clear_role:
                row.role_id = None
            elif role_id is not None:
                row.role_id = role_id
            if clear_last_year:
                row.last_year = None
            elif last_year is not None:
                row.last_year = last_year
            if template is not None:
                row.template = template
            if public is not None:
                row.public = bool(public)
            row.sequence += 1
            row.updated_at = self.clock.now()
            entry = row
        if schedule is not None:
            await self._put(entry)
        return entry

    async def set_enabled(self, guild_id: int, name: str, enabled: bool) -> CalendarEntry:
        entry = await self.find(guild_id, name)
        async with self.db.transaction() as session:
            row = await session.get(CalendarEntry, entry.id)
            if row is None:
                raise no_match(name)
            row.enabled = enabled
            row.sequence += 1
            row.updated_at = self.clock.now()
            entry = row
        if not await self.scheduler.set_recurrence_enabled(entry_key(guild_id, entry.id), enabled):
            await self._put(entry)
        return entry

    async def remove(self, guild_id: int, name: str) -> CalendarEntry:
        entry = await self.find(guild_id, name)
        async with self.db.transaction() as session:
            row = await session.get(CalendarEntry, entry.id)
            if row is not None:
                await session.delete(row)
        await self.scheduler.remove_recurrence(entry_key(guild_id, entry.id))
        return entry

    # -- what an occurrence says --------------------------------------------------------------

    @staticmethod
    def entry_values(entry: CalendarEntry, occurrence: datetime, server: str) -> dict[str, Any]:
        year = local_year(occurrence, entry.timezone)
        return {
            "year": year,
            "edition": year - entry.first_year + 1,
            "server": server,
            "date": occurrence,
        }

    def entry_delivery(self, entry: CalendarEntry, occurrence: datetime, server: str) -> Delivery:
        return Delivery(
            guild_id=entry.guild_id,
            name=entry.name,
            template=entry.template,
            values=self.entry_values(entry, occurrence, server),
            target=Target(entry.channel_id, entry.role_id),
            entry_id=entry.id,
            last=entry.last_year is not None and local_year(occurrence, entry.timezone) >= entry.last_year,
            due_at=occurrence,
        )

    async def upcoming(self, entry: CalendarEntry) -> datetime:
        """The entry's next occurrence: the one the scheduler holds, or (paused) the next by its
        schedule. What ``/calendar preview`` shows and ``/calendar run-now`` posts."""
        pending = await self.next_at(entry)
        if pending is not None:
            return pending
        schedule = entry_schedule(entry)
        return schedule.rule.next_after(self.clock.now(), ZoneInfo(schedule.timezone))

    async def next_delivery(self, entry: CalendarEntry, server: str) -> Delivery:
        """The entry's next occurrence as it will be posted: ``{year}``, ``{edition}`` and ``{date}``
        are that occurrence's, for the preview and for a post made now alike."""
        return self.entry_delivery(entry, await self.upcoming(entry), server)

    async def delivery_for(self, context: JobContext, server: str) -> Delivery | None:
        """What the occurrence in ``context`` posts, or None when it has nothing to do any more."""
        payload = context.payload
        guild_id = int(payload["guild_id"])
        if context.kind == ENTRY_KIND:
            async with self.db.session() as session:
                entry = await session.get(CalendarEntry, int(payload["entry_id"]))
            if entry is None or not entry.enabled:
                return None
            if entry.last_year is not None and local_year(context.due_at, entry.timezone) > entry.last_year:
                await self.finish(entry.id)
                return None
            return self.entry_delivery(entry, context.due_at, server)
        cycle = BUILTINS.get(str(payload.get("builtin")))
        if cycle is None or cycle.template is None:
            return None
        view = await self.builtin(guild_id, cycle.key)
        target = await self.builtin_target(guild_id, cycle)
        if not view.enabled or target is None:
            return None
        year = local_year(context.due_at, view.timezone)
        return Delivery(
            guild_id=guild_id,
            name=cycle.label,
            template=cycle.template,
            values={
                "year": year,
                "edition": year - cycle.edition_of_year,
                "server": server,
                "date": context.due_at,
            },
            target=target,
            translate=True,
            due_at=context.due_at,
        )

    async def occurrence_name(self, payload: dict[str, Any]) -> str | Message:
        """A readable name for the occurrence a scheduled row stands for (for logs and the audit)."""
        if "builtin" in payload:
            cycle = BUILTINS.get(str(payload["builtin"]))
            return Message(cycle.label) if cycle else str(payload["builtin"])
        async with self.db.session() as session:
            entry = await session.get(CalendarEntry, int(payload.get("entry_id", 0)))
        if entry is None:
            return Message.of(_("entry #{id}"), id=payload.get("entry_id"))
        return entry.name

    async def finish(self, entry_id: int) -> None:
        """The entry's last year has been delivered: pause it for good (it stays listed)."""
        async with self.db.transaction() as session:
            row = await session.get(CalendarEntry, entry_id)
            if row is None:
                return
            row.enabled = False
            row.sequence += 1
            row.updated_at = self.clock.now()
            guild_id = row.guild_id
        await self.scheduler.set_recurrence_enabled(entry_key(guild_id, entry_id), False)

    # -- built-in cycles ----------------------------------------------------------------------

    @staticmethod
    def builtin_cycle(key: str) -> BuiltinCycle:
        cycle = BUILTINS.get(key) if isinstance(key, str) else None
        if cycle is None:
            raise NotFound(
                _("There is no built-in cycle '{name}'; they are: {names}."),
                name=canonical_text(str(key))[:40],
                names=Listing.of(BUILTINS),
            )
        return cycle

    async def builtin_target(self, guild_id: int, cycle: BuiltinCycle) -> Target | None:
        """Where a built-in cycle posts (the server's channel for its purpose) and whom it pings
        (the staff role, for a staff reminder, when one is set); None when it posts nothing."""
        if cycle.channel is None:
            return None
        config = await self.guild_settings.get(guild_id)
        return Target(
            channel_id=config.channel(cycle.channel),
            role_id=config.role("staff") if cycle.ping_staff else None,
            purpose=cycle.channel,
        )

    async def _server_timezone(self, guild_id: int) -> str:
        return (await self.guild_settings.get(guild_id)).timezone

    async def builtin(self, guild_id: int, key: str) -> BuiltinView:
        cycle = self.builtin_cycle(key)
        async with self.db.session() as session:
            row = await session.get(CalendarBuiltin, (guild_id, key))
        return await self._builtin_view(guild_id, cycle, row, await self._server_timezone(guild_id))

    async def _builtin_view(
        self, guild_id: int, cycle: BuiltinCycle, row: CalendarBuiltin | None, default_timezone: str
    ) -> BuiltinView:
        def pick(value: int | None, default: int) -> int:
            return default if value is None else value

        enabled = bool(row and row.enabled)
        return BuiltinView(
            cycle=cycle,
            enabled=enabled,
            month=pick(row.month if row else None, cycle.month),
            day=pick(row.day if row else None, cycle.day),
            hour=pick(row.hour if row else None, cycle.hour),
            minute=pick(row.minute if row else None, cycle.minute),
            timezone=(row.timezone if row and row.timezone else default_timezone),
            next_at=await self.scheduler.next_occurrence(builtin_key(guild_id, cycle.key))
            if enabled
            else None,
        )

    async def builtins(self, guild_id: int) -> list[BuiltinView]:
        """Every built-in cycle as the server has it (its time zone, unless the cycle has its own)."""
        default_timezone = await self._server_timezone(guild_id)
        async with self.db.session() as session:
            rows = {
                row.key: row
                for row in (
                    await session.scalars(select(CalendarBuiltin).where(CalendarBuiltin.guild_id == guild_id))
                ).all()
            }
        return [
            await self._builtin_view(guild_id, cycle, rows.get(key), default_timezone)
            for key, cycle in BUILTINS.items()
        ]

    async def set_builtin(
        self,
        guild_id: int,
        key: str,
        enabled: bool,
        *,
        month: int | None = None,
        day: int | None = None,
        time: str | None = None,
        timezone: str | None = None,
    ) -> BuiltinView:
        cycle = self.builtin_cycle(key)
        current = await self.builtin(guild_id, key)
        hour, minute = parse_time(time) if time is not None else (current.hour, current.minute)
        month = current.month if month is None else MONTH.check(month)
        day = current.day if day is None else DAY.check(day)
        tz = check_zone(timezone) if timezone is not None else current.timezone
        rule: YearlyRule | CronRule
        if cycle.daily:
            YearlyRule(1, 1, hour, minute)  # validates the time
            rule = CronRule(f"{minute} {hour} * * *")
        else:
            rule = YearlyRule(month, day, hour, minute)
        async with self.db.transaction() as session:
            defaults = {"enabled": enabled, "updated_at": self.clock.now()}
            row = await claim_row(session, CalendarBuiltin, defaults, guild_id=guild_id, key=key)
            row.enabled = enabled
            row.month, row.day, row.hour, row.minute = month, day, hour, minute
            row.timezone = tz
            row.updated_at = self.clock.now()
        payload: dict[str, Any] = {"guild_id": guild_id}
        if cycle.kind == BUILTIN_KIND:
            payload["builtin"] = key
        await self._reschedule(builtin_key(guild_id, key), cycle.kind, rule, tz, payload, enabled)
        return await self.builtin(guild_id, key)
