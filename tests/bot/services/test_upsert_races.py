"""Every create-or-update raced by many processes at once: each process has its own Database (its own
engine and pool) on one database, and all call the same service at the same moment. Each race ends
in one row, in the state a user expects, and in answers, never an error (IntegrityError,
deadlock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db.database import Database
from bot.db.models import CommandSync, GuildSettings, Recurrence, ScheduledJob, UserLocale
from bot.db.models_calendar import CalendarBuiltin, CalendarEntry
from bot.db.models_members import MemberOrganization, Membership, MembershipSettings, MemberTypeRole
from bot.db.models_parks import Park
from bot.db.models_reports import ReportSubscription
from bot.db.models_workshops import Workshop, WorkshopRegistration
from bot.errors import DomainError
from bot.i18n import translate
from bot.scheduler import MovableClock
from bot.services.access import Person
from bot.services.calendar import check_schedule
from bot.services.container import Services
from bot.services.mail import Mailer, MailSettings
from bot.services.parks import ParkDraft
from bot.services.verification import Application
from bot.services.workshops import DRAFT, REGISTERED, WAITLISTED, WorkshopForm

GUILD = 900_000_000_000_000_002
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PROCESSES = 24  # each with its own engine: as many connections at once as PostgreSQL gives easily

T = TypeVar("T")


@pytest.fixture
async def processes(database: Database, tmp_path: Path) -> AsyncIterator[list[Services]]:
    """``PROCESSES`` bot processes on one database, each connected before the race starts."""
    settings = Settings(discord_token=None, database_url=database.url, data_dir=tmp_path)
    databases = [Database(database.url) for _ in range(PROCESSES)]
    try:
        await asyncio.gather(*(_connect(db) for db in databases))
        yield [Services.build(settings, db, MovableClock(NOW, ticking=False)) for db in databases]
    finally:
        await asyncio.gather(*(db.dispose() for db in databases))


async def _connect(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("SELECT 1"))


async def race(
    processes: Sequence[Services], call: Callable[[Services, int], Awaitable[T]], *, refusals: bool = False
) -> list[T | DomainError]:
    """``call`` in every process, all let go at once. Only a DomainError (a user's answer) may come
    back instead of a value, and only with ``refusals``; anything else fails the test."""
    barrier = asyncio.Barrier(len(processes))

    async def one(services: Services, n: int) -> T:
        await barrier.wait()
        return await call(services, n)

    answers = await asyncio.gather(*(one(s, n) for n, s in enumerate(processes)), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, DomainError) and refusals:
            continue
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def refusal_text(answer: object) -> str:
    assert isinstance(answer, DomainError), answer
    return translate(answer.message, "en", **answer.params)


# -- settings -------------------------------------------------------------------------------------


async def test_setup_of_one_server_from_every_process(database: Database, processes: list[Services]) -> None:
    kinds = ["welcome", "announcements", "workshops", "reports", "verification", "audit"]

    async def setup(services: Services, n: int) -> object:
        if n % 4 == 3:
            return await services.guild_settings.set_timezone(GUILD, "Asia/Shanghai")
        return await services.guild_settings.set_channel(GUILD, kinds[n % len(kinds)], 1000 + n % len(kinds))

    await race(processes, setup)
    assert await count(database, GuildSettings) == 1
    processes[0].guild_settings._cache.clear()
    config = await processes[0].guild_settings.get(GUILD)
    # Every process's change is kept: each wrote its own column of the one row.
    assert {kind: config.channel(kind) for kind in kinds} == {
        kind: 1000 + i
        for i, kind in enumerate(kinds)
        if any(n % 4 != 3 and n % 6 == i for n in range(PROCESSES))
    }
    assert config.timezone == "Asia/Shanghai"


async def test_membership_year_set_from_every_process(database: Database, processes: list[Services]) -> None:
    await race(processes, lambda s, n: s.memberships.set_policy(GUILD, months=6, grace_days=3))
    assert await count(database, MembershipSettings) == 1
    policy = await processes[0].memberships.policy_for(GUILD)
    assert (policy.months, policy.grace.days) == (6, 3)


async def test_member_type_role_set_from_every_process(database: Database, processes: list[Services]) -> None:
    await race(processes, lambda s, n: s.memberships.set_type_role(GUILD, "park", 21))
    assert await count(database, MemberTypeRole) == 1
    assert await processes[0].memberships.type_roles(GUILD) == {"park": 21}


async def test_command_tree_remembered_by_every_process(
    database: Database, processes: list[Services]
) -> None:
    await race(processes, lambda s, n: s.command_sync.remember("global", "abc"))
    assert await count(database, CommandSync) == 1
    assert await processes[0].command_sync.is_current("global", "abc")


# -- report subscriptions -------------------------------------------------------------------------


async def test_one_member_subscribing_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    answers = await race(processes, lambda s, n: s.reports.subscribe(GUILD, 7))
    assert answers.count(True) == 1  # "you are subscribed" once, "already subscribed" for the rest
    assert await count(database, ReportSubscription) == 1
    assert await processes[0].reports.is_subscribed(GUILD, 7)


async def test_one_member_unsubscribing_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    await processes[0].reports.subscribe(GUILD, 7)
    await race(processes, lambda s, n: s.reports.unsubscribe(GUILD, 7))
    assert await count(database, ReportSubscription) == 1
    assert not await processes[0].reports.is_subscribed(GUILD, 7)


async def test_one_member_unsubscribing_from_every_process_is_told_once(
    database: Database, processes: list[Services]
) -> None:
    await processes[0].reports.subscribe(GUILD, 7)
    answers = await race(processes, lambda s, n: s.reports.unsubscribe(GUILD, 7))
    assert answers.count(True) == 1  # "you are unsubscribed" once, "not subscribed" for the rest


async def test_subscribe_and_unsubscribe_together_end_in_one_row(
    database: Database, processes: list[Services]
) -> None:
    async def click(services: Services, n: int) -> bool:
        if n % 2:
            return await services.reports.unsubscribe(GUILD, 7)
        return await services.reports.subscribe(GUILD, 7)

    await race(processes, click)
    assert await count(database, ReportSubscription) == 1


# -- remembered languages -------------------------------------------------------------------------


async def test_languages_of_the_same_members_written_by_every_process(
    database: Database, processes: list[Services]
) -> None:
    users = list(range(1, 9))

    async def remember(services: Services, n: int) -> None:
        # Each process meets the members in its own order (one batch, one statement, each).
        order, n = (users if n % 2 else users[::-1]), n % len(users)
        noted = [services.user_locales.note(user, "zh-CN") for user in order[n:] + order[:n]]
        await services.user_locales.flush()
        await asyncio.gather(*(written for written in noted if written is not None))  # a failure raises

    await race(processes, remember)
    assert await count(database, UserLocale) == len(users)
    assert await count(database, UserLocale, UserLocale.locale != "zh-CN") == 0


# -- member organizations and applications --------------------------------------------------------


async def test_one_organization_registered_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    answers = await race(
        processes,
        lambda s, n: s.memberships.add_organization(GUILD, "Tsinghua University", "tsinghua.edu.cn", None),
        refusals=True,
    )
    added = [a for a in answers if isinstance(a, MemberOrganization)]
    assert len(added) == 1
    for answer in answers:
        if not isinstance(answer, MemberOrganization):
            assert refusal_text(answer) == "The domain tsinghua.edu.cn is already registered."
    assert await count(database, MemberOrganization) == 1


async def test_one_member_applying_from_every_process(database: Database, processes: list[Services]) -> None:
    application = Application(
        "Ana Silva", "Example University", "ana@uni.example.edu", "Portugal", "research"
    )
    answers = await race(
        processes, lambda s, n: s.verification.apply(GUILD, 42, application, server_name="CISIP")
    )
    assert {answer.step for answer in answers if not isinstance(answer, DomainError)} == {"queued"}
    assert await count(database, Membership) == 1
    async with database.session() as session:
        row = await session.scalar(select(Membership))
    assert row is not None and (row.user_id, row.status, row.email) == (42, "pending", "ana@uni.example.edu")


async def test_one_email_claimed_by_many_members_at_once(
    database: Database, processes: list[Services]
) -> None:
    application = Application(
        "Ana Silva", "Example University", "ana@uni.example.edu", "Portugal", "research"
    )
    answers = await race(
        processes,
        lambda s, n: s.verification.apply(GUILD, 100 + n, application, server_name="CISIP"),
        refusals=True,
    )
    assert len([a for a in answers if not isinstance(a, DomainError)]) == 1
    for answer in answers:
        if isinstance(answer, DomainError):
            assert refusal_text(answer) == (
                "This email address is already used by another member. Use your own work address."
            )
    assert await count(database, Membership) == 1


class Outbox(Mailer):
    """Mails kept, not sent."""

    def __init__(self) -> None:
        super().__init__(MailSettings("localhost", 25, "none", "verify@example.org"))
        self.sent: list[str] = []

    async def send(self, to: str, subject: str, text: str, html_body: str) -> None:
        self.sent.append(text)


async def test_wrong_codes_typed_in_every_process_are_all_counted(
    database: Database, processes: list[Services]
) -> None:
    outbox = Outbox()
    for services in processes:
        services.verification.mailer = outbox
    application = Application(
        "Ana Silva", "Example University", "ana@uni.example.edu", "Portugal", "research"
    )
    await processes[0].verification.apply(GUILD, 42, application, server_name="CISIP")
    wrong = "000000" if "000000" not in outbox.sent[-1] else "111111"
    answers = await race(processes, lambda s, n: s.verification.check_code(GUILD, 42, wrong), refusals=True)
    told = [refusal_text(answer) for answer in answers]
    # Each wrong try counted once: four warnings, then the lock, then the lock for everyone else.
    left = sorted(a.params["left"] for a in answers if isinstance(a, DomainError) and "left" in a.params)
    assert left == [1, 2, 3, 4]
    assert told.count("Wrong code 5 times: codes are locked for 15 minutes.") == 1
    assert len([t for t in told if t.startswith("Too many wrong codes")]) == PROCESSES - 5


# -- calendar -------------------------------------------------------------------------------------


async def test_builtin_cycle_switched_on_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    await race(processes, lambda s, n: s.calendar.set_builtin(GUILD, "report-release", True))
    assert await count(database, CalendarBuiltin) == 1
    assert await count(database, Recurrence) == 1
    assert await count(database, ScheduledJob, ScheduledJob.status == "pending") == 1
    view = await processes[0].calendar.builtin(GUILD, "report-release")
    assert view.enabled and view.next_at is not None


async def test_one_calendar_entry_added_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    schedule = check_schedule(3, 20, "09:00", "Europe/Berlin")
    answers = await race(
        processes,
        lambda s, n: s.calendar.add(
            GUILD, name="Spring day" if n % 2 else "SPRING DAY", schedule=schedule, channel_id=5, template="x"
        ),
        refusals=True,
    )
    assert len([a for a in answers if isinstance(a, CalendarEntry)]) == 1
    for answer in answers:
        if not isinstance(answer, CalendarEntry):
            assert refusal_text(answer).startswith("There is already a calendar entry called")
    assert await count(database, CalendarEntry) == 1
    assert await count(database, Recurrence) == 1


# -- workshops ------------------------------------------------------------------------------------


def workshop_form(capacity: int) -> WorkshopForm:
    return WorkshopForm(
        title="Science Park Management Workshop",
        starts="2027-08-20 09:00",
        ends="2027-08-22 17:00",
        location="Tianjin",
        description="Yearly.",
        timezone="Asia/Shanghai",
        capacity=capacity,
        members_only=False,
    )


async def test_one_member_registering_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    workshop = await processes[0].workshops.create(GUILD, None, workshop_form(1))
    answers = await race(processes, lambda s, n: s.workshops.register(workshop.id, Person(10, GUILD)))
    assert {answer.status for answer in answers if not isinstance(answer, DomainError)} == {REGISTERED}
    assert len([a for a in answers if not isinstance(a, DomainError) and not a.already]) == 1
    assert await count(database, WorkshopRegistration) == 1


async def test_many_members_registering_from_every_process(
    database: Database, processes: list[Services]
) -> None:
    workshop = await processes[0].workshops.create(GUILD, None, workshop_form(5))
    answers = await race(processes, lambda s, n: s.workshops.register(workshop.id, Person(100 + n, GUILD)))
    statuses = [answer.status for answer in answers if not isinstance(answer, DomainError)]
    assert (statuses.count(REGISTERED), statuses.count(WAITLISTED)) == (5, PROCESSES - 5)
    assert await count(database, WorkshopRegistration) == PROCESSES


async def test_an_edition_ended_by_every_process_drafts_one_next_edition(
    database: Database, processes: list[Services]
) -> None:
    workshop = await processes[0].workshops.create(GUILD, None, workshop_form(5), series_name="Yearly")
    starts = workshop.starts_at.isoformat()
    answers = await race(processes, lambda s, n: s.workshops.end(workshop.id, starts))
    assert len([a for a in answers if a is not None]) == 1
    assert await count(database, Workshop, Workshop.status == DRAFT) == 1


# -- parks ----------------------------------------------------------------------------------------


async def test_shipped_parks_seeded_by_every_process(database: Database, processes: list[Services]) -> None:
    answers = await race(processes, lambda s, n: s.parks.seed())
    shipped = await count(database, Park)
    assert shipped > 100
    assert sum(a.added for a in answers if not isinstance(a, DomainError)) == shipped


async def test_one_park_added_from_every_process(database: Database, processes: list[Services]) -> None:
    draft = ParkDraft(name="Nairobi Test Park", country="KE", region="Africa")
    answers = await race(processes, lambda s, n: s.parks.add(draft), refusals=True)
    assert len([a for a in answers if not isinstance(a, DomainError)]) == 1
    for answer in answers:
        if isinstance(answer, DomainError):
            assert refusal_text(answer) == "A park named 'Nairobi Test Park' is already listed."
    assert await count(database, Park) == 1


async def test_one_park_file_imported_by_every_process(database: Database, processes: list[Services]) -> None:
    service = processes[0].parks
    records = [
        service.validate(ParkDraft(name=f"Test Park {n}", country="KE", region="Africa")) for n in range(3)
    ]
    await race(processes, lambda s, n: s.parks.import_records(records))
    assert await count(database, Park) == len(records)
