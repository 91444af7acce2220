"""The attendance service on SQLite and PostgreSQL: the check-in window, venue codes per day,
wrong tries that never count past the limit however many arrive at once, one attendance per member
and day however many check-ins race, the figures, export and erasure."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.database import Database
from bot.db.models_attendance import WorkshopCheckin, WorkshopCheckinTries
from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.i18n import translate
from bot.scheduler import MovableClock
from bot.services.access import Person
from bot.services.attendance import LOCKOUT, MAX_WRONG, minutes_on, workshop_days
from bot.services.container import Services
from bot.services.workshops import WorkshopForm

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GUILD, STAFF = 1, 2
START = datetime(2027, 8, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def form(**changes: object) -> WorkshopForm:
    values: dict[str, object] = {
        "title": "Science Park Management Workshop",
        "starts": "2027-08-20 09:00",
        "ends": "2027-08-22 17:00",
        "location": "Tianjin",
        "description": "",
        "timezone": "Asia/Shanghai",
        "capacity": 50,
        "members_only": False,
    }
    values.update(changes)
    return WorkshopForm(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW, ticking=False)


@pytest.fixture
def services(database: Database, clock: MovableClock, tmp_path: Path) -> Services:
    settings = Settings(discord_token=None, database_url="sqlite+aiosqlite://", data_dir=tmp_path)
    return Services.build(settings, database, clock)


async def workshop_with(services: Services, *members: int, **changes: object) -> Workshop:
    workshop = await services.workshops.create(GUILD, STAFF, form(**changes))
    for user_id in members:
        await services.workshops.register(workshop.id, Person(user_id, GUILD))
    return workshop


def message(refusal: DomainError) -> str:
    return translate(refusal.message, "en", **refusal.params)


async def test_days_and_hours_of_a_workshop(services: Services) -> None:
    three = await workshop_with(services)
    assert workshop_days(three) == [date(2027, 8, 20), date(2027, 8, 21), date(2027, 8, 22)]
    assert [minutes_on(three, d) for d in workshop_days(three)] == [480, 480, 480]
    one = await workshop_with(services, ends="2027-08-20 12:30")
    assert workshop_days(one) == [date(2027, 8, 20)] and minutes_on(one, date(2027, 8, 20)) == 210
    overnight = await workshop_with(services, starts="2027-08-20 20:00", ends="2027-08-21 02:00")
    assert [minutes_on(overnight, d) for d in workshop_days(overnight)] == [240, 120]


async def test_the_window_the_seat_and_one_code_per_day(services: Services, clock: MovableClock) -> None:
    workshop = await workshop_with(services, 10)
    attendance = services.attendance
    with pytest.raises(DomainError, match="opens") as early:
        await attendance.venue_code(GUILD, workshop.id)
    assert early.value.params["opens"] == START - timedelta(hours=1)
    clock.set(START - timedelta(minutes=59))
    first = await attendance.venue_code(GUILD, workshop.id)
    assert first.day == date(2027, 8, 20) and len(first.code) == 6
    assert (await attendance.venue_code(GUILD, workshop.id)).code == first.code
    with pytest.raises(DomainError, match="not registered"):
        await attendance.check_in_with_code(GUILD, workshop.id, 11, first.code)
    with pytest.raises(DomainError, match="There is no workshop"):
        await attendance.check_in_with_code(GUILD + 1, workshop.id, 10, first.code)
    with pytest.raises(DomainError, match="cannot be empty"):
        await attendance.check_in_with_code(GUILD, workshop.id, 10, "\u200b ")
    done = await attendance.check_in_with_code(GUILD, workshop.id, 10, first.code.lower())
    assert not done.already and done.day == date(2027, 8, 20)
    clock.set(START + timedelta(days=1))
    second = await attendance.venue_code(GUILD, workshop.id)
    assert second.day == date(2027, 8, 21)
    with pytest.raises(DomainError, match="wrong tries: 1 of 5"):
        await attendance.check_in_with_code(
            GUILD, workshop.id, 10, first.code if first.code != second.code else "X"
        )
    await attendance.check_in_with_code(GUILD, workshop.id, 10, second.code)
    assert await attendance.attended_days(workshop.id) == {10: [date(2027, 8, 20), date(2027, 8, 21)]}
    clock.set(START + timedelta(days=3))
    with pytest.raises(DomainError, match="check-in is closed"):
        await attendance.check_in_by_staff(GUILD, workshop.id, 10)


async def test_concurrent_wrong_tries_never_pass_the_limit(services: Services, clock: MovableClock) -> None:
    workshop = await workshop_with(services, 10)
    clock.set(START)
    code = (await services.attendance.venue_code(GUILD, workshop.id)).code
    wrong = "222222" if code != "222222" else "333333"
    tries = [services.attendance.check_in_with_code(GUILD, workshop.id, 10, wrong) for _ in range(12)]
    answers = [
        message(r) for r in await asyncio.gather(*tries, return_exceptions=True) if isinstance(r, DomainError)
    ]
    assert len(answers) == 12
    counted = sorted(a for a in answers if a.startswith("That is not"))
    assert counted == [
        f"That is not today's venue code (wrong tries: {n} of 5)." for n in range(1, MAX_WRONG)
    ]
    assert sum(a.startswith("Too many wrong codes") for a in answers) == 12 - (MAX_WRONG - 1)
    # Locked: even the right code is refused until the lockout ends.
    with pytest.raises(DomainError, match="Too many wrong codes"):
        await services.attendance.check_in_with_code(GUILD, workshop.id, 10, code)
    clock.set(START + LOCKOUT + timedelta(seconds=1))
    assert not (await services.attendance.check_in_with_code(GUILD, workshop.id, 10, code)).already
    async with services.db.session() as session:
        row = await session.scalar(select(WorkshopCheckinTries))
        assert row is not None and row.failures == 0 and row.locked_until is None


async def test_concurrent_check_ins_record_one_attendance(services: Services, clock: MovableClock) -> None:
    workshop = await workshop_with(services, 10, 11)
    clock.set(START + timedelta(hours=2))
    code = (await services.attendance.venue_code(GUILD, workshop.id)).code
    racing = [services.attendance.check_in_with_code(GUILD, workshop.id, 10, code) for _ in range(6)]
    racing += [services.attendance.check_in_by_staff(GUILD, workshop.id, 10) for _ in range(6)]
    results = await asyncio.gather(*racing)
    assert sum(not r.already for r in results) == 1
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WorkshopCheckin)) == 1
    figures = await services.attendance.figures(workshop)
    assert (figures.edition.registered, figures.edition.attended, figures.edition.no_show) == (2, 1, 1)


async def test_figures_per_year_export_and_erasure(services: Services, clock: MovableClock) -> None:
    spring = await workshop_with(services, 10, 11, starts="2027-04-20 09:00", ends="2027-04-20 17:00")
    summer = await workshop_with(services, 10, 12, 13, capacity=2)
    other_year = await workshop_with(services, 10, starts="2028-04-20 09:00", ends="2028-04-20 17:00")
    clock.set(datetime(2027, 4, 20, 2, 0, tzinfo=UTC))
    await services.attendance.check_in_by_staff(GUILD, spring.id, 10)
    clock.set(START + timedelta(hours=1))
    await services.attendance.check_in_by_staff(GUILD, summer.id, 10)
    await services.attendance.check_in_by_staff(GUILD, summer.id, 12)
    figures = await services.attendance.figures(summer)
    assert figures.edition == type(figures.edition)(2, 1, 2, 0, 1)
    assert figures.year == type(figures.year)(4, 1, 3, 1, 2)
    assert (await services.attendance.figures(other_year)).year.editions == 1

    exported = await services.personal_data.export(GUILD, 10)
    assert [c["day"] for c in exported["attendance"]["check_ins"]] == ["2027-04-20", "2027-08-20"]
    erasure = await services.personal_data.erase(GUILD, 10)
    assert erasure.parts["attendance"].checkins == 2
    assert await services.attendance.attended_days(summer.id) == {12: [date(2027, 8, 20)]}
    assert "attendance" not in await services.personal_data.export(GUILD, 10)
