"""Registration rushes, on every backend: seats exact, first come first served, the number told is
the number held, whatever the interleaving, with two processes on one database too."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models_workshops import WorkshopRegistration
from bot.errors import DomainError
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService, Person
from bot.services.guild_settings import GuildSettingsService
from bot.services.membership import MembershipPolicy, MembershipService
from bot.services.workshops import REGISTERED, WAITLISTED, Departure, Registration, WorkshopService
from tests.bot.services.test_workshops import GUILD, NOW, VERIFIED, form, member


def workshop_service(database: Database, clock: MovableClock) -> WorkshopService:
    settings = GuildSettingsService(database, clock)
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


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW, ticking=False)


async def queue(database: Database, workshop_id: int) -> tuple[list[int], list[int]]:
    """Who holds a seat, and the waitlist in its order."""
    async with database.session() as session:
        rows = (
            await session.execute(
                select(WorkshopRegistration.user_id, WorkshopRegistration.status)
                .where(WorkshopRegistration.workshop_id == workshop_id)
                .order_by(WorkshopRegistration.queued_at, WorkshopRegistration.id)
            )
        ).all()
    return [u for u, s in rows if s == REGISTERED], [u for u, s in rows if s == WAITLISTED]


async def test_a_rush_seats_exactly_the_capacity_in_click_order(
    database: Database, clock: MovableClock
) -> None:
    service = workshop_service(database, clock)
    await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
    workshop = await service.create(GUILD, 1, form(capacity=25))
    clickers = list(range(1000, 1300))
    # The clicks reach the bot in a shuffled order; their place in line is when Discord made them.
    arrival = clickers[:]
    random.Random(7).shuffle(arrival)

    async def click(user: int) -> Registration:
        await asyncio.sleep(random.Random(user).random() / 100)  # arrivals interleave
        return await service.register(workshop.id, member(user, VERIFIED), order=user)

    told = dict(zip(arrival, await asyncio.gather(*(click(u) for u in arrival)), strict=True))

    seated, waiting = await queue(database, workshop.id)
    assert len(seated) == 25
    assert sorted(told[u].status for u in clickers).count(REGISTERED) == 25
    # Within each batch decided together, first come (by snowflake) first served; across batches
    # the order of arrival. Whatever it was, every member holds exactly what they were told.
    for n, user in enumerate(waiting, start=1):
        assert (told[user].status, told[user].position) == (WAITLISTED, n)
    for user in seated:
        assert told[user].status == REGISTERED


async def test_clicks_decided_together_are_served_in_the_order_discord_made_them(
    database: Database, clock: MovableClock
) -> None:
    service = workshop_service(database, clock)
    await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
    workshop = await service.create(GUILD, 1, form(capacity=3))
    # Queued while the desk is idle: they are decided in one batch, by their snowflakes.
    orders = [5, 1, 4, 2, 3]
    results = await asyncio.gather(
        *(service.register(workshop.id, member(100 + o, VERIFIED), order=o) for o in orders)
    )
    by_user = {100 + o: r for o, r in zip(orders, results, strict=True)}
    seated, waiting = await queue(database, workshop.id)
    assert seated == [101, 102, 103] and waiting == [104, 105]
    assert [by_user[u].position for u in (104, 105)] == [1, 2]


async def test_registrations_and_departures_racing_keep_the_seats_and_the_line(
    database: Database, clock: MovableClock
) -> None:
    service = workshop_service(database, clock)
    await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
    workshop = await service.create(GUILD, 1, form(capacity=10))
    for user in range(1, 21):  # 10 seated, 10 waiting
        await service.register(workshop.id, member(user, VERIFIED))

    leavers = [2, 4, 6, 15, 17]
    newcomers = list(range(100, 140))
    actions = [service.leave(workshop.id, user) for user in leavers] + [
        service.register(workshop.id, member(user, VERIFIED)) for user in newcomers
    ]
    results = await asyncio.gather(*actions)

    seated, waiting = await queue(database, workshop.id)
    assert len(seated) == 10  # never more, never fewer while someone waits
    promoted = [u for r in results if isinstance(r, Departure) for u in r.promoted]
    assert len(promoted) == 3  # three seats freed; two of the leavers were only waiting
    assert set(promoted) <= set(range(11, 21))
    assert not set(leavers) & set(seated + waiting)
    earlier = [u for u in range(11, 21) if u not in leavers and u not in promoted]
    assert len(earlier) == 5 and waiting == earlier + newcomers  # the newcomers behind, in their order


async def test_a_double_click_answers_where_the_member_stands(
    database: Database, clock: MovableClock
) -> None:
    service = workshop_service(database, clock)
    await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
    workshop = await service.create(GUILD, 1, form(capacity=1))
    await service.register(workshop.id, member(1, VERIFIED))
    first, second = await asyncio.gather(
        service.register(workshop.id, member(2, VERIFIED)), service.register(workshop.id, member(2, VERIFIED))
    )
    assert (first.status, first.position, first.already) == (WAITLISTED, 1, False)
    assert (second.status, second.position, second.already) == (WAITLISTED, 1, True)
    later = await service.register(workshop.id, member(2, VERIFIED))
    assert (later.status, later.position, later.already) == (WAITLISTED, 1, True)


async def test_one_refusal_in_a_batch_refuses_only_that_member(
    database: Database, clock: MovableClock
) -> None:
    service = workshop_service(database, clock)
    await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
    workshop = await service.create(GUILD, 1, form(capacity=5))
    results = await asyncio.gather(
        service.register(workshop.id, member(1, VERIFIED)),
        service.register(workshop.id, member(2)),  # not a verified member
        service.register(workshop.id, Person(3, GUILD + 1, frozenset({VERIFIED}))),  # another server
        service.register(workshop.id, member(4, VERIFIED)),
        return_exceptions=True,
    )
    assert isinstance(results[0], Registration) and isinstance(results[3], Registration)
    assert isinstance(results[1], DomainError) and "verified CISIP members" in str(results[1])
    assert isinstance(results[2], DomainError) and "no workshop #" in str(results[2])
    assert (await queue(database, workshop.id))[0] == [1, 4]


async def test_two_processes_on_one_database_never_overbook(database: Database, clock: MovableClock) -> None:
    """Two bot processes each decide their own clicks (their own desks, their own connections);
    the database lock between them keeps the seats exact."""
    other_database = Database(database.url)
    try:
        first, second = workshop_service(database, clock), workshop_service(other_database, clock)
        await GuildSettingsService(database, clock).set_role(GUILD, "verified", VERIFIED)
        workshop = await first.create(GUILD, 1, form(capacity=30))
        results = await asyncio.gather(
            *(
                (first if user % 2 else second).register(workshop.id, member(user, VERIFIED))
                for user in range(1, 201)
            )
        )
        seated, waiting = await queue(database, workshop.id)
        assert len(seated) == 30 and len(waiting) == 170
        told = {user: r for user, r in zip(range(1, 201), results, strict=True)}
        assert sorted(u for u, r in told.items() if r.status == REGISTERED) == sorted(seated)
        for n, user in enumerate(waiting, start=1):
            assert told[user].position == n
    finally:
        await other_database.dispose()
