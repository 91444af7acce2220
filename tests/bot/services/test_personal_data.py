"""Erasure reaches every table: after erasing a person, no column of any table names them.

Two checks keep a future table from being forgotten:

* every column that can hold a person's Discord id is marked ``PERSON`` (an id column that is
  neither marked nor a known kind of non-person id fails the test), and every table with such a
  column is answered for by a personal-data holder of ``Services``;
* with a person present in every table that can name them (as a member and as staff), an erasure
  leaves their id in no column and their mention in no text, while another person's data stays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, BigInteger, String, Text, cast, func, select
from sqlalchemy import Column as SAColumn

from bot.config import Settings
from bot.db.database import Database
from bot.db.models import AuditEntry, Base
from bot.db.models_calendar import CalendarEntry
from bot.db.models_members import Membership
from bot.db.models_reports import ReportDelivery, ReportSubscription
from bot.db.models_workshops import Workshop, WorkshopRegistration, WorkshopReminderDelivery
from bot.scheduler import MovableClock
from bot.services.container import Services
from bot.services.membership import APPROVED, Erased
from bot.services.reports import ReportsErased
from bot.services.verification import validate_application
from bot.services.workshops import REGISTERED, WAITLISTED, WorkshopsErased

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001
OTHER_GUILD = 900_000_000_000_000_002
ERASED = 700_000_000_000_000_007  # the person who erases their data (a member, and staff too)
KEPT = 700_000_000_000_000_008  # another member, whose data must stay
STAFF = 700_000_000_000_000_009

# Integer columns that hold ids of things, never of a person.
NOT_A_PERSON = ("guild_id", "channel_id", "message_id", "role_id", "event_id", "report_id", "file_size")


def id_columns() -> list[tuple[str, SAColumn[Any]]]:
    """Every 64-bit column but a table's own row id and references to other rows: the columns that
    can hold a Discord id (a primary key too, such as user_locales.user_id)."""
    return [
        (table.name, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, BigInteger) and column.name != "id" and not column.foreign_keys
    ]


def test_every_id_column_is_known_to_be_a_person_or_not() -> None:
    unknown = [
        f"{table}.{column.name}"
        for table, column in id_columns()
        if not column.info.get("person") and not column.name.endswith(NOT_A_PERSON)
    ]
    assert unknown == [], (
        "these id columns may hold a person's id: mark them info=PERSON (bot/db/types.py) and erase "
        f"them, or name them for what they are: {unknown}"
    )


def test_every_table_naming_a_person_has_a_holder(tmp_path: Path) -> None:
    services = Services.build(settings(tmp_path), Database("sqlite+aiosqlite://"), MovableClock(NOW))
    naming = {table for table, column in id_columns() if column.info.get("person")}
    assert naming, "no column is marked PERSON"
    assert naming <= services.personal_data.tables, (
        f"no personal-data holder answers for {sorted(naming - services.personal_data.tables)}"
    )


def settings(tmp_path: Path) -> Settings:
    return Settings(discord_token=None, database_url="sqlite+aiosqlite://", data_dir=tmp_path)


@pytest.fixture
def services(database: Database, tmp_path: Path) -> Services:
    return Services.build(settings(tmp_path), database, MovableClock(NOW, ticking=False))


async def apply_and_approve(services: Services, user_id: int, email: str, by: int) -> Membership:
    application = validate_application("Ana Silva", "Example University", email, "Brazil", "research")
    outcome = await services.verification.apply(GUILD, user_id, application, server_name="CISIP")
    return (await services.memberships.approve(outcome.membership.id, by)).membership


async def fill(services: Services, database: Database) -> dict[str, int]:
    """``ERASED`` and ``KEPT`` in every table that can name a person; ``ERASED`` also as staff."""
    erased = await apply_and_approve(services, ERASED, "ana@uni.example.edu", STAFF)
    kept = await apply_and_approve(services, KEPT, "bo@uni.example.edu", ERASED)  # ERASED decided
    await services.audit.record(GUILD, ERASED, "members.approve", f"<@{KEPT}> (membership #{kept.id})")
    await services.audit.record(GUILD, STAFF, "members.approve", f"<@{ERASED}> (membership #{erased.id})")
    await services.user_locales.record(ERASED, "zh-CN")
    await services.user_locales.record(KEPT, "en-US")
    for user in (ERASED, KEPT):
        await services.reports.subscribe(GUILD, user, dm_channel_id=user + 1000)
    report, _count = await services.reports.publish(
        GUILD,
        title="Development Report",
        year=2026,
        summary="The yearly report.",
        language="en",
        visibility="public",
        publisher_id=ERASED,
        url="https://example.org/report",
    )
    now = services.clock.now()
    async with database.transaction() as session:
        workshop = Workshop(
            guild_id=GUILD,
            status="scheduled",
            title="Science Park Management Workshop",
            description="",
            location="Beijing",
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=31),
            timezone="Asia/Shanghai",
            capacity=1,
            deadline=now + timedelta(days=29),
            reminders="1d",
            members_only=True,
            created_by=ERASED,
            created_at=now,
            updated_at=now,
        )
        session.add(workshop)
        await session.flush()
        for place, (user, status) in enumerate(((ERASED, REGISTERED), (KEPT, WAITLISTED))):
            at = now + timedelta(seconds=place)
            session.add(
                WorkshopRegistration(
                    workshop_id=workshop.id,
                    user_id=user,
                    status=status,
                    registered_at=at,
                    queued_at=at,
                    updated_at=at,
                )
            )
        session.add(
            WorkshopReminderDelivery(
                workshop_id=workshop.id, reminder="7d", user_id=ERASED, status="sent", delivered_at=now
            )
        )
        session.add(
            CalendarEntry(
                guild_id=GUILD,
                name="Anniversary",
                month=5,
                day=26,
                hour=9,
                minute=0,
                timezone="Asia/Shanghai",
                channel_id=1,
                template="Happy {year}!",
                first_year=2027,
                created_by=ERASED,
                created_at=now,
                updated_at=now,
            )
        )
        # The same person in another server keeps their data there.
        session.add(
            AuditEntry(guild_id=OTHER_GUILD, actor_id=ERASED, action="x", summary="elsewhere", created_at=now)
        )
    return {"workshop": workshop.id, "report": report.id, "membership": erased.id}


async def mentions_of(database: Database, user_id: int, *, guild: int | None = GUILD) -> list[str]:
    """Every column of every table where ``user_id`` appears: as the value of an id column, or in a
    text or JSON column (as digits or a mention)."""
    found = []
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            where_guild = [table.c.guild_id == guild] if guild is not None and "guild_id" in table.c else []
            for column in table.columns:
                if isinstance(column.type, BigInteger):  # a Discord id needs 64 bits
                    condition = column == user_id
                elif isinstance(column.type, String | Text | JSON):
                    condition = cast(column, Text).contains(str(user_id))
                else:
                    continue
                count = await session.scalar(
                    select(func.count()).select_from(table).where(condition, *where_guild)
                )
                if count:
                    found.append(f"{table.name}.{column.name}")
    return found


async def test_erasure_leaves_the_person_in_no_table(services: Services, database: Database) -> None:
    ids = await fill(services, database)
    assert set(await mentions_of(database, ERASED)) >= {
        "memberships.user_id",
        "memberships.decided_by",
        "audit_log.actor_id",
        "audit_log.summary",
        "user_locales.user_id",
        "report_subscriptions.user_id",
        "report_deliveries.user_id",
        "reports.published_by",
        "reports.progress_user_id",
        "workshops.created_by",
        "workshop_registrations.user_id",
        "workshop_reminder_deliveries.user_id",
        "calendar_entries.created_by",
    }
    kept_before = await mentions_of(database, KEPT)

    erasure = await services.personal_data.erase(GUILD, ERASED)

    assert await mentions_of(database, ERASED) == []
    # What was theirs is gone or anonymous; what was someone else's stays.
    assert await mentions_of(database, KEPT) == kept_before
    membership = erasure.part(Erased)
    assert membership is not None and membership.number == ids["membership"]
    assert erasure.part(ReportsErased) == ReportsErased(subscription=True, deliveries=1)
    # Their seat went to the next on the waitlist.
    workshops = erasure.part(WorkshopsErased)
    assert workshops is not None and workshops.promoted == {ids["workshop"]: [KEPT]}
    async with database.session() as session:
        summaries = set(
            (await session.scalars(select(AuditEntry.summary).where(AuditEntry.guild_id == GUILD))).all()
        )
        seat = await session.scalar(
            select(WorkshopRegistration.status).where(WorkshopRegistration.user_id == KEPT)
        )
        kept = await session.scalar(select(Membership.status).where(Membership.user_id == KEPT))
        subscription = await session.scalar(
            select(ReportSubscription.active).where(ReportSubscription.user_id == KEPT)
        )
        delivery = await session.scalar(select(ReportDelivery.status).where(ReportDelivery.user_id == KEPT))
        elsewhere = await session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.guild_id == OTHER_GUILD)
        )
    assert summaries == {f"<@{KEPT}> (membership #2)", f"member #{ids['membership']} (membership #1)"}
    assert (seat, kept, subscription, delivery) == (REGISTERED, APPROVED, True, "pending")
    assert elsewhere == ERASED  # erasing in one server leaves the others alone
    # The language is the person's everywhere, so it is forgotten too.
    assert await services.user_locales.get(ERASED) is None
    assert await services.user_locales.get(KEPT) == "en-US"


async def test_export_has_every_section_and_nothing_of_anyone_else(
    services: Services, database: Database
) -> None:
    await fill(services, database)
    document = await services.personal_data.document(GUILD, ERASED)

    assert document["user_id"] == str(ERASED)
    data = document["data"]
    assert set(data) == {"membership", "workshops", "reports", "calendar", "language", "audit_log"}
    assert data["membership"]["email"] == "ana@uni.example.edu"
    assert data["workshops"]["registrations"][0]["status"] == REGISTERED
    assert data["workshops"]["workshops_you_created"] == ["Science Park Management Workshop"]
    assert data["reports"]["subscription"]["active"] is True
    assert data["reports"]["reports_you_published"] == ["Development Report (2026)"]
    assert data["calendar"] == {"entries_you_added": ["Anniversary"]}
    assert data["language"]["discord_language"] == "zh-CN"
    assert len(data["audit_log"]) == 2  # the line they did and the line that names them
    assert "bo@uni.example.edu" not in str(document)


async def test_someone_with_only_a_subscription_can_erase_it(services: Services, database: Database) -> None:
    await services.reports.subscribe(GUILD, KEPT)
    await services.user_locales.record(KEPT, "en-US")
    assert await services.personal_data.holds_any(GUILD, KEPT)

    erasure = await services.personal_data.erase(GUILD, KEPT)

    assert erasure.part(Erased) is None
    assert erasure.part(ReportsErased) == ReportsErased(subscription=True, deliveries=0)
    assert await services.reports.subscribers(GUILD) == set()
    # What every interaction records again (the language) alone is nothing to offer an erasure for.
    await services.user_locales.record(KEPT, "en-US")
    assert not await services.personal_data.holds_any(GUILD, KEPT)
