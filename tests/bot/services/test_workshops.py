"""The workshop service: validation, seats and the waitlist, reminders, the yearly series."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import ScheduledJob
from bot.db.models_members import Membership
from bot.db.models_workshops import Workshop, WorkshopSeries
from bot.errors import DomainError, NotFound
from bot.fields import WORKSHOP_REFERENCE
from bot.i18n import translate
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService, Person
from bot.services.dates import local_input, parse_local
from bot.services.guild_settings import GuildSettingsService
from bot.services.membership import MembershipPolicy, MembershipService
from bot.services.workshops import (
    DRAFT,
    ENDED,
    REGISTERED,
    SCHEDULED,
    WAITLISTED,
    WorkshopForm,
    WorkshopService,
    parse_reminders,
    reminder_due,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
GUILD, VERIFIED = 1, 500


def member(user_id: int, *roles: int) -> Person:
    """A member of the test server; ``member(10, VERIFIED)`` holds the verified role."""
    return Person(user_id, GUILD, frozenset(roles))


def form(**changes: object) -> WorkshopForm:
    values: dict[str, object] = {
        "title": "Science Park Management Workshop",
        "starts": "2027-08-20 09:00",
        "ends": "2027-08-22 17:00",
        "location": "Tianjin",
        "description": "Yearly.",
        "timezone": "Asia/Shanghai",
        "capacity": 2,
    }
    values.update(changes)
    return WorkshopForm(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW, ticking=False)


@pytest.fixture
def settings(database: Database, clock: MovableClock) -> GuildSettingsService:
    return GuildSettingsService(database, clock)


@pytest.fixture
async def service(database: Database, clock: MovableClock, settings: GuildSettingsService) -> WorkshopService:
    await settings.set_role(GUILD, "verified", VERIFIED)
    scheduler = Scheduler(database, clock)
    memberships = MembershipService(
        database,
        clock,
        scheduler,
        MembershipPolicy(),
        guild_settings=settings,
        access=AccessService(settings),
    )
    return WorkshopService(database, clock, scheduler, memberships=memberships)


@pytest.mark.parametrize(
    "text",
    [
        "2027-08-20 09:00",
        "20 Aug 2027 9am",
        "2027-08-20T09:00",
        "Aug 20, 2027 9 AM",
        "20th August 2027 09:00",
        # the Chinese way, with full-width digits and colons as input methods type them
        "2027年8月20日 9:00",
        "2027年8月20日 上午9点",
        "2027年8月20号 09：00",
        "２０２７年８月２０日 ９:００",
    ],
)
def test_forgiving_dates_read_as_wall_clock_time(text: str) -> None:
    assert parse_local(text, BERLIN) == datetime(2027, 8, 20, 7, 0, tzinfo=UTC)


def test_chinese_afternoon_and_half_hours() -> None:
    assert parse_local("2027年8月20日 下午5点半", BERLIN) == datetime(2027, 8, 20, 15, 30, tzinfo=UTC)
    assert parse_local("2027年8月20日晚上8点15分", BERLIN) == datetime(2027, 8, 20, 18, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        (
            "03/04/2027 09:00",
            "'03/04/2027 09:00' could be day/month or month/day: write the year first, "
            "like 2027-08-20 09:00 or 20 Aug 2027 9am.",
            "“03/04/2027 09:00”既可理解为“日/月”也可理解为“月/日”：请把年份写在前面，"
            "例如 2027-08-20 09:00 或 2027年8月20日 上午9点。",
        ),
        (
            "next friday",
            "I cannot read 'next friday' as a date and time. "
            "Write it like 2027-08-20 09:00 or 20 Aug 2027 9am.",
            "无法将“next friday”识别为日期和时间。"
            "请按 2027-08-20 09:00 或 2027年8月20日 上午9点 这样的格式填写。",
        ),
        ("2027-02-30 09:00", "February 2027 has no day 30.", "2027年二月没有 30 日。"),
        ("31 Apr 2027 9am", "April 2027 has no day 31.", "2027年四月没有 31 日。"),
        ("2027年2月29日 9点", "February 2027 has no day 29.", "2027年二月没有 29 日。"),
        (
            "2027-08-20",
            "'2027-08-20' has a date but no time: add the time, like 2027-08-20 09:00.",
            "“2027-08-20”只有日期没有时间：请加上时间，例如 2027-08-20 09:00。",
        ),
    ],
)
def test_refused_dates_say_why_in_the_readers_language(text: str, english: str, chinese: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_local(text, BERLIN)
    assert str(refused.value) == english
    assert translate(refused.value.message, "zh-CN", **refused.value.params) == chinese


def test_a_form_shows_dates_as_they_are_read_back() -> None:
    when = datetime(2027, 8, 20, 7, 0, tzinfo=UTC)
    assert parse_local(local_input(when, BERLIN), BERLIN) == when


def test_reminder_offsets() -> None:
    assert parse_reminders(None) == ["7d", "1d", "1h"]
    assert parse_reminders("1h, 2w 30m") == ["2w", "1h", "30m"]
    assert parse_reminders("none") == []
    # What a Chinese keyboard types: full-width separators, and 无 for none.
    assert parse_reminders("7d，1d、1h") == ["7d", "1d", "1h"]
    assert parse_reminders("无") == []
    for bad in ("0d", "soon", "5y", "1d,2d,3d,4d,5d,6d", "\u200b\u200b", "7d" + "," * 200):
        with pytest.raises(DomainError):
            parse_reminders(bad)
    assert parse_reminders(" 7d,\x001h\u200b ") == ["7d", "1h"]  # control and format characters go


def test_day_reminders_keep_the_wall_clock_across_daylight_saving() -> None:
    start = parse_local("2027-03-29 09:00", BERLIN)  # summer time since 28 March
    assert reminder_due(start, BERLIN, "7d") == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # 09:00 winter
    assert reminder_due(start, BERLIN, "1h") == start - timedelta(hours=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends": "2027-08-19 09:00"}, "must end after it starts"),
        ({"starts": "2027-02-01 09:00"}, "in the past"),
        ({"timezone": "Mars/Base"}, "Unknown time zone"),
        ({"capacity": 0}, "The capacity must be from 1 to 10,000."),
        ({"capacity": 10**30}, "The capacity must be from 1 to 10,000."),
        ({"capacity": 2.5}, "The capacity must be a whole number."),
        ({"deadline": "2027-08-21 09:00"}, "deadline must be at or before the start"),
        ({"title": "  "}, "title cannot be empty"),
        # Names made only of what renders as nothing: zero-width spaces, a bidi override, Hangul filler.
        ({"title": "\u200b\u200c\u200d\u2060"}, "The title cannot be empty."),
        ({"title": "\u202e\u3164\u3164"}, "The title cannot be empty."),
        ({"location": "\ufeff\u200b"}, "The location cannot be empty."),
        ({"title": "x" * 6000}, "The title can be at most 100 characters long, not 6,000."),
        ({"location": "Tianjin " * 20}, "The location can be at most 100 characters long"),
        ({"description": "d" * 6000}, "The description can be at most 1,000 characters long"),
        ({"starts": "\u200b"}, "The date and time cannot be empty."),
        ({"starts": "2027-08-20 09:00" * 10}, "The date and time can be at most 40 characters long"),
        ({"deadline": "\u2060"}, "The date and time cannot be empty."),
        ({"reminders": "\u200b"}, "The reminders cannot be empty."),
        ({"timezone": "\x00"}, "The time zone cannot be empty."),
    ],
)
async def test_bad_input_creates_nothing(
    service: WorkshopService, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        await service.create(1, 2, form(**changes))
    assert await service.upcoming(1, include_drafts=True) == []


async def test_seats_then_waitlist_in_order_and_promotion(
    service: WorkshopService, clock: MovableClock
) -> None:
    workshop = await service.create(1, 2, form())
    outcomes = []
    for user in (10, 11, 12, 13):
        outcomes.append(await service.register(workshop.id, member(user, VERIFIED)))
        clock.advance(seconds=1)
    assert [(o.status, o.position) for o in outcomes] == [
        (REGISTERED, 0),
        (REGISTERED, 0),
        (WAITLISTED, 1),
        (WAITLISTED, 2),
    ]
    again = await service.register(workshop.id, member(12, VERIFIED))
    assert again.already and again.position == 1
    left = await service.leave(workshop.id, 10)
    assert left.previous == REGISTERED and left.promoted == [12]
    # Leaving the waitlist promotes nobody; a seat is never held twice.
    assert (await service.leave(workshop.id, 13)).promoted == []
    seats = await service.seats(workshop.id)
    assert (seats.taken, seats.capacity, seats.waitlisted) == (2, 2, 0)
    # Coming back puts you at the back of the queue.
    back = await service.register(workshop.id, member(10, VERIFIED))
    assert (back.status, back.position) == (WAITLISTED, 1)


async def test_a_larger_capacity_promotes_the_waitlist(service: WorkshopService, clock: MovableClock) -> None:
    workshop = await service.create(1, 2, form(capacity=1))
    for user in (10, 11, 12):
        await service.register(workshop.id, member(user, VERIFIED))
        clock.advance(seconds=1)
    result = await service.update(1, workshop.id, form(capacity=3))
    assert result.promoted == [11, 12]


async def test_members_only_and_the_deadline(
    service: WorkshopService, clock: MovableClock, settings: GuildSettingsService
) -> None:
    workshop = await service.create(1, 2, form(deadline="2027-08-10 18:00"))
    with pytest.raises(DomainError, match="verified CISIP members"):
        await service.register(workshop.id, member(10))
    await settings.set_role(GUILD, "verified", None)
    with pytest.raises(DomainError, match="no verified role is set up"):
        await service.register(workshop.id, member(10))
    open_to_all = await service.create(1, 2, form(members_only=False))
    assert (await service.register(open_to_all.id, member(10))).status == REGISTERED
    await settings.set_role(GUILD, "verified", VERIFIED)
    clock.set(datetime(2027, 8, 10, 10, 1, tzinfo=UTC))
    with pytest.raises(DomainError, match="closed on"):
        await service.register(workshop.id, member(11, VERIFIED))


async def test_rows_are_scheduled_and_moved_with_the_start(
    service: WorkshopService, database: Database
) -> None:
    workshop = await service.create(1, 2, form())

    async def pending() -> list[str]:
        async with database.session() as session:
            rows = await session.scalars(
                select(ScheduledJob.dedupe_key)
                .where(ScheduledJob.status == "pending")
                .order_by(ScheduledJob.due_at, ScheduledJob.id)
            )
            return [str(k) for k in rows]

    assert await pending() == [
        "workshop:1:reminder:7d@20270820T0100Z",
        "workshop:1:reminder:1d@20270820T0100Z",
        "workshop:1:reminder:1h@20270820T0100Z",
        "workshop:1:checkin@20270820T0100Z",  # check-in opens: the announcement gets I'm here
        "workshop:1:ended@20270820T0100Z",
    ]
    await service.update(1, workshop.id, form(starts="2027-08-21 09:00", reminders="1d"))
    assert await pending() == [
        "workshop:1:reminder:1d@20270821T0100Z",
        "workshop:1:checkin@20270821T0100Z",
        "workshop:1:ended@20270821T0100Z",
    ]
    _, told = await service.cancel(1, workshop.id, "rain")
    assert await pending() == [] and told == []
    with pytest.raises(DomainError, match=r"Workshop #1 was cancelled\."):
        await service.register(workshop.id, member(10, VERIFIED))
    with pytest.raises(DomainError, match=r"Workshop #1 was cancelled\."):
        await service.cancel(1, workshop.id, None)


async def test_each_reminder_is_owed_once_per_member(service: WorkshopService) -> None:
    workshop = await service.create(1, 2, form(capacity=1))
    await service.register(workshop.id, member(10, VERIFIED))
    await service.register(workshop.id, member(11, VERIFIED))  # waitlisted: no reminders
    stamp = workshop.starts_at.isoformat()
    owed = await service.reminder(workshop.id, "1d", stamp)
    assert owed is not None and owed.targets == [10] and owed.channel_due
    assert await service.record_delivery(workshop.id, "1d", 10, "sent", late=False)
    assert not await service.record_delivery(workshop.id, "1d", 10, "sent", late=False)
    owed = await service.reminder(workshop.id, "1d", stamp)
    assert owed is not None and owed.targets == []
    assert await service.reminder(workshop.id, "1d", "2000-01-01T00:00:00+00:00") is None  # moved


async def test_a_series_edition_drafts_next_year_at_the_same_local_time(
    service: WorkshopService, clock: MovableClock
) -> None:
    workshop = await service.create(
        1,
        2,
        form(starts="2027-03-29 09:00", ends="2027-03-29 17:00", timezone="Europe/Berlin"),
        series_name="SPMW",
    )
    clock.set(workshop.ends_at + timedelta(minutes=1))
    result = await service.end(workshop.id, workshop.starts_at.isoformat())
    assert result is not None
    ended, draft = result
    assert ended.status == ENDED and draft is not None and draft.status == DRAFT
    # Next year at the same wall-clock time in Berlin, whatever the daylight-saving dates.
    assert draft.starts_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2028-03-29 09:00"
    confirmed, call_at = await service.confirm(1, draft.id)
    assert confirmed.status == SCHEDULED
    assert call_at == draft.starts_at - timedelta(weeks=8)
    with pytest.raises(DomainError, match="not a draft"):
        await service.confirm(1, draft.id)
    with pytest.raises(DomainError, match="has already ended"):
        await service.register(ended.id, member(10, VERIFIED))


async def test_a_workshop_is_named_by_its_number_its_choice_or_its_title(service: WorkshopService) -> None:
    workshop = await service.create(GUILD, 2, form(title="Science Park Management Workshop"))
    other = await service.create(GUILD, 2, form(title="Incubator Clinic"))
    for typed in (
        "1",  # what autocomplete sends
        "#1",
        " ＃１ ",  # typed on a Chinese keyboard
        "0001",
        "#1 Science Park Management Workshop (2027-08-20)",  # the choice, copied by hand
        "1 Science Park Management Workshop",
        "#1 Science Park Manage…",  # a long choice cut short
        "Science Park Management Workshop",  # the exact title, typed without picking
        "science park management workshop",
        "Science\u200b Park Management Workshop\x00",
    ):
        assert (await service.resolve(GUILD, typed, staff=False)).id == workshop.id, typed
    assert (await service.resolve(GUILD, "incubator clinic", staff=False)).id == other.id

    for typed in (
        "",
        "\u200b\u3164",
        "soon",
        "0",
        "-1",
        "3",  # no such workshop
        "1x",
        "²",
        "#1 Incubator Clinic",  # the number of one, the title of another
        "Science Park",  # a title is named whole
        "9223372036854775808",  # past the largest id
        "99999999999999999999999999999999",
        "9" * 5000,  # longer than Python reads as a number by default
    ):
        with pytest.raises(NotFound) as refused:
            await service.resolve(GUILD, typed, staff=True)
        assert refused.value.message == "No workshop matches '{value}'.", typed
    # The number is echoed, fitted: a refusal never grows with what was typed.
    with pytest.raises(NotFound) as refused:
        await service.resolve(GUILD, "9" * 5000, staff=True)
    assert str(refused.value) == f"No workshop matches '{'9' * (WORKSHOP_REFERENCE.max_length - 1)}…'."
    # Another server's workshop is no match either.
    with pytest.raises(NotFound):
        await service.resolve(GUILD + 1, "1", staff=True)


async def test_a_title_shared_by_editions_names_the_next_one_to_come(
    service: WorkshopService, clock: MovableClock, database: Database
) -> None:
    first = await service.create(GUILD, 2, form(), series_name="SPMW")
    clock.set(first.ends_at + timedelta(minutes=1))
    ended = await service.end(first.id, first.starts_at.isoformat())
    assert ended is not None and ended[1] is not None
    draft = ended[1]
    title = "Science Park Management Workshop"
    assert (await service.resolve(GUILD, title, staff=False)).id == first.id  # members see no draft
    assert (await service.resolve(GUILD, title, staff=True)).id == draft.id  # the latest
    await service.confirm(GUILD, draft.id)
    assert (await service.resolve(GUILD, title, staff=False)).id == draft.id  # the next to come


async def test_text_is_stored_as_people_see_it(service: WorkshopService, database: Database) -> None:
    workshop = await service.create(
        GUILD,
        2,
        form(
            title="\u200bScience\x00 Park\u202e  Workshop ",
            location="Tianjin,\tTEDA\u2060",
            description="Day one.\r\n\r\n\r\n\r\nDay two.\x07",
            timezone=" asia/shanghai ",
        ),
        series_name="\u200bSPMW\x00",
    )
    async with database.session() as session:
        stored = await session.get(Workshop, workshop.id)
        assert stored is not None
        series = await session.get(WorkshopSeries, stored.series_id)
    assert (stored.title, stored.location) == ("Science Park Workshop", "Tianjin, TEDA")
    assert stored.description == "Day one.\n\nDay two." and stored.timezone == "Asia/Shanghai"
    assert series is not None and series.name == "SPMW"


async def test_a_cancel_reason_is_cleaned_and_bounded(service: WorkshopService) -> None:
    workshop = await service.create(GUILD, 2, form())
    for reason, message in [
        ("\u200b\u3164", "The reason cannot be empty."),
        ("r" * 6000, "The reason can be at most 500 characters long, not 6,000."),
    ]:
        with pytest.raises(DomainError) as refused:
            await service.cancel(GUILD, workshop.id, reason)
        assert str(refused.value) == message
    assert (await service.get(GUILD, workshop.id)).status == SCHEDULED  # nothing changed on a refusal
    cancelled, _ = await service.cancel(GUILD, workshop.id, " Venue\x00 flooded\u200b ")
    assert cancelled.cancel_reason == "Venue flooded"
    other = await service.create(GUILD, 2, form())
    assert (await service.cancel(GUILD, other.id, None))[0].cancel_reason is None


async def test_a_refused_confirmation_keeps_the_call_weeks(
    service: WorkshopService, clock: MovableClock, database: Database
) -> None:
    first = await service.create(GUILD, 2, form(), series_name="SPMW")
    with pytest.raises(DomainError, match="not a draft"):
        await service.confirm(GUILD, first.id, call_weeks=2)
    for weeks in (-1, 53, 10**30):
        with pytest.raises(DomainError, match="The weeks of call for registrations must be from 0 to 52"):
            await service.confirm(GUILD, first.id, call_weeks=weeks)
    clock.set(first.ends_at + timedelta(minutes=1))
    ended = await service.end(first.id, first.starts_at.isoformat())
    assert ended is not None and ended[1] is not None
    async with database.session() as session:
        series = await session.get(WorkshopSeries, first.series_id)
        assert series is not None and series.call_weeks == 8  # untouched by the refusals
    confirmed, call_at = await service.confirm(GUILD, ended[1].id, call_weeks=3)
    assert call_at == confirmed.starts_at - timedelta(weeks=3)


def test_the_options_are_checked_before_the_form_opens(service: WorkshopService) -> None:
    options = service.check_options("asia/shanghai", 30, "1d,1h", deadline="2027-08-10 18:00", ping_role_id=7)
    assert (options.timezone, options.capacity, options.ping_role_id) == ("Asia/Shanghai", 30, 7)
    typed = options.form(
        title="T", starts="2027-08-20 09:00", ends="2027-08-20 17:00", location="L", description=""
    )
    assert typed.deadline == "2027-08-10 18:00" and typed.reminders == "1d,1h" and typed.members_only
    with pytest.raises(DomainError, match="Unknown time zone"):
        service.check_options("Mars/Base", 30, None)
    with pytest.raises(DomainError, match="The capacity must be from 1 to 10,000"):
        service.check_options("UTC", 0, None)
    with pytest.raises(DomainError, match="The capacity must be from 1 to 10,000"):
        service.check_options("UTC", 10**30, None)
    with pytest.raises(DomainError, match="not a reminder offset"):
        service.check_options("UTC", 30, "soon")
    with pytest.raises(DomainError, match="I cannot read 'soon'"):  # before the form, not after it
        service.check_options("UTC", 30, None, deadline="soon")
    with pytest.raises(DomainError, match="The time zone can be at most 64 characters long"):
        service.check_options("UTC" * 30, 30, None)
    cleaned = service.check_options(
        " Asia/Shanghai\u200b", 30, "1d,\x001h", deadline="\u202a2027-08-10 18:00"
    )
    assert (cleaned.timezone, cleaned.reminders, cleaned.deadline) == (
        "Asia/Shanghai",
        "1d,1h",
        "2027-08-10 18:00",
    )


async def test_an_edit_keeps_what_staff_did_not_change(service: WorkshopService) -> None:
    workshop = await service.create(
        GUILD, 2, form(deadline="2027-08-10 18:00", reminders="1d", members_only=False)
    )
    options = service.check_edit_options(workshop, capacity=5)
    assert (options.timezone, options.capacity, options.reminders) == ("Asia/Shanghai", 5, "1d")
    assert options.deadline == "2027-08-10 18:00" and options.members_only is False
    moved = service.check_edit_options(workshop, timezone="Europe/Berlin", members_only=True)
    assert moved.deadline == "2027-08-10 12:00" and moved.members_only is True  # the same moment, in Berlin
    with pytest.raises(DomainError, match="The capacity must be from 1 to 10,000"):
        service.check_edit_options(workshop, capacity=0)
    silent = await service.create(GUILD, 2, form(reminders="none"))
    assert service.check_edit_options(silent).reminders == "none"  # no reminders stays none


async def test_the_member_gate_decides_who_registers(
    service: WorkshopService, settings: GuildSettingsService, database: Database
) -> None:
    workshop = await service.create(GUILD, 2, form(capacity=10))
    async with database.transaction() as session:
        session.add(
            Membership(
                guild_id=GUILD,
                user_id=21,
                status="approved",
                full_name="Li Wei",
                organization="TEDA",
                email="li@example.org",
                country="China",
                member_type="park",
                applied_at=NOW,
            )
        )
    assert (await service.register(workshop.id, member(20, VERIFIED))).status == REGISTERED
    # Approved but not (yet) given the role: a member all the same.
    assert (await service.register(workshop.id, member(21))).status == REGISTERED
    with pytest.raises(DomainError) as refused:
        await service.register(workshop.id, member(22))
    assert str(refused.value) == "This is for verified CISIP members: press Verify to become one."
    # Staff always count, even before a verified role is set up.
    await settings.set_role(GUILD, "verified", None)
    staff = Person(23, GUILD, manages_server=True)
    assert (await service.register(workshop.id, staff)).status == REGISTERED
    with pytest.raises(DomainError, match="no verified role is set up"):
        await service.register(workshop.id, member(22))
    with pytest.raises(DomainError, match="There is no workshop #1 in this server"):
        await service.register(workshop.id, Person(20, GUILD + 1, frozenset({VERIFIED})))


async def test_a_closed_registration_names_the_deadline_as_a_moment(
    service: WorkshopService, clock: MovableClock
) -> None:
    workshop = await service.create(GUILD, 2, form(deadline="2027-08-10 18:00"))
    clock.set(workshop.deadline + timedelta(minutes=1))
    with pytest.raises(DomainError) as closed:
        await service.register(workshop.id, member(10, VERIFIED))
    assert closed.value.message == "Registration for this workshop closed on {deadline:F}."
    assert closed.value.params == {"deadline": workshop.deadline}  # the renderer decides how it reads
    assert "<t:" not in str(closed.value)


async def test_a_reminder_is_owed_late_but_not_after_the_start(
    service: WorkshopService, clock: MovableClock
) -> None:
    workshop = await service.create(GUILD, 2, form())
    await service.register(workshop.id, member(10, VERIFIED))
    stamp = workshop.starts_at.isoformat()
    clock.set(workshop.starts_at - timedelta(hours=20))  # the 1-day reminder, 4 hours late
    owed = await service.reminder(workshop.id, "1d", stamp)
    assert owed is not None and owed.targets == [10]
    clock.set(workshop.starts_at)
    assert await service.reminder(workshop.id, "1h", stamp) is None


async def test_drafts_are_seen_by_staff_only(service: WorkshopService, clock: MovableClock) -> None:
    first = await service.create(GUILD, 2, form(), series_name="SPMW")
    clock.set(first.ends_at + timedelta(minutes=1))
    ended = await service.end(first.id, first.starts_at.isoformat())
    assert ended is not None and ended[1] is not None
    draft = ended[1]
    assert [w.id for w in await service.search(GUILD, "science", staff=False)] == [first.id]
    assert [w.id for w in await service.search(GUILD, "science", staff=True)] == [draft.id, first.id]
    assert (await service.resolve(GUILD, str(draft.id), staff=True)).status == DRAFT
    with pytest.raises(NotFound, match=f"No workshop matches '{draft.id}'"):
        await service.resolve(GUILD, str(draft.id), staff=False)
    assert (await service.resolve(GUILD, str(first.id), staff=False)).status == ENDED
    # Autocomplete: the number typed first, then titles containing the text.
    assert [w.id for w in await service.search(GUILD, str(first.id), staff=False)] == [first.id]
    assert [w.id for w in await service.search(GUILD, str(draft.id), staff=False)] == []
    assert await service.search(GUILD, "9" * 500, staff=True) == []


async def test_the_call_goes_out_while_registration_is_open(
    service: WorkshopService, clock: MovableClock
) -> None:
    workshop = await service.create(GUILD, 2, form(deadline="2027-08-10 18:00"))
    assert (due := await service.call_due(workshop.id)) is not None and due.id == workshop.id
    clock.set(workshop.deadline)
    assert await service.call_due(workshop.id) is None  # registration has closed
    clock.set(NOW)
    await service.cancel(GUILD, workshop.id, None)
    assert await service.call_due(workshop.id) is None
    assert await service.call_due(workshop.id + 100) is None


async def test_the_attendee_list_names_applicants_by_their_application(
    service: WorkshopService, database: Database, clock: MovableClock
) -> None:
    workshop = await service.create(GUILD, 2, form(capacity=1))
    async with database.transaction() as session:
        session.add(
            Membership(
                guild_id=GUILD,
                user_id=10,
                status="approved",
                full_name="Li Wei",
                organization="=Zhongguancun Science Park",
                email="li@example.org",
                country="China",
                member_type="park",
                applied_at=NOW,
            )
        )
    for user in (10, 11, 12):
        await service.register(workshop.id, member(user, VERIFIED))
        clock.advance(seconds=1)
    found = await service.attendee_list(GUILD, workshop.id)
    assert found.unnamed == [11, 12] and found.filename == "workshop-1-attendees.csv"
    rows = list(csv.reader(io.StringIO(found.as_csv({11: "+zoe"}).decode("utf-8-sig"))))
    assert rows[0] == ["name", "organization", "country", "registered at", "status"]
    assert rows[1] == ["Li Wei", "'=Zhongguancun Science Park", "China", NOW.isoformat(), "registered"]
    assert rows[2][:3] == ["'+zoe", "", ""] and rows[2][4] == "waitlisted"
    assert rows[3][0] == "12"  # no longer in the server: their id


async def test_an_erasure_names_the_workshops_it_changed(
    service: WorkshopService, database: Database, clock: MovableClock
) -> None:
    full = await service.create(GUILD, 2, form(capacity=1))
    other = await service.create(GUILD, 2, form(capacity=1))
    for user in (10, 11):
        await service.register(full.id, member(user, VERIFIED))
        clock.advance(seconds=1)
    await service.register(other.id, member(12, VERIFIED))
    await service.register(other.id, member(10, VERIFIED))  # waitlisted there
    async with database.transaction() as session:
        erased = await service.erase_personal_data(session, GUILD, 10)
    assert erased is not None and erased.registrations == 2
    assert erased.promoted == {full.id: [11]}
    assert erased.changed == (full.id, other.id)  # the waitlist of the other one shrank
    assert (await service.seats(other.id)).waitlisted == 0


async def test_a_reminder_run_neither_reminds_nor_records_who_left_or_was_erased(
    service: WorkshopService,
) -> None:
    """A reminder run loads its targets once; someone who leaves or erases their data meanwhile is
    not reminded, and no row naming them is written back."""
    workshop = await service.create(1, 2, form(capacity=2))
    for user_id in (10, 11):
        await service.register(workshop.id, member(user_id, VERIFIED))
    owed = await service.reminder(workshop.id, "1d", workshop.starts_at.isoformat())
    assert owed is not None and owed.targets == [10, 11]

    await service.leave(workshop.id, 10)
    async with service.db.transaction() as session:
        await service.erase_personal_data(session, GUILD, 11)

    assert not await service.holds_seat(workshop.id, 10)
    assert not await service.holds_seat(workshop.id, 11)
    assert not await service.record_delivery(workshop.id, "1d", 10, "sent", late=False)
    assert not await service.record_delivery(workshop.id, "1d", 11, "sent", late=False)
    assert await service.deliveries(workshop.id) == []
