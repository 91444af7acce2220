"""Decisions many people (or several processes) race for, made at the same moment on every backend:
each ends in one row and one answer, never an error."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.database import Database
from bot.db.models import GuildSettings
from bot.db.models_members import MemberTypeRole
from bot.db.models_reports import ReportSubscription
from bot.scheduler import MovableClock
from bot.services.container import Services

GUILD = 900_000_000_000_000_001
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def two(database: Database, tmp_path: Path) -> tuple[Services, Services]:
    """Two processes: their own services, their own connection pools, one database."""
    settings = Settings(discord_token=None, database_url=database.url, data_dir=tmp_path)
    return (
        Services.build(settings, database, MovableClock(NOW, ticking=False)),
        Services.build(settings, Database(database.url), MovableClock(NOW, ticking=False)),
    )


async def count(database: Database, model: object) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


async def test_one_member_subscribing_many_times_at_once(
    database: Database, two: tuple[Services, Services]
) -> None:
    first, second = two
    try:
        answers = await asyncio.gather(
            *((first if n % 2 else second).reports.subscribe(GUILD, 7) for n in range(12))
        )
        assert answers.count(True) == 1  # "you are subscribed" once; "already" for the rest
        assert await count(database, ReportSubscription) == 1
        assert await first.reports.subscribers(GUILD) == {7}
    finally:
        await second.db.dispose()


async def test_the_first_settings_of_a_server_written_at_once(
    database: Database, two: tuple[Services, Services]
) -> None:
    first, second = two
    try:
        await asyncio.gather(
            first.guild_settings.set_channel(GUILD, "welcome", 11),
            second.guild_settings.set_channel(GUILD, "audit", 12),
            first.guild_settings.set_role(GUILD, "staff", 13),
            second.guild_settings.set_timezone(GUILD, "Asia/Shanghai"),
        )
        assert await count(database, GuildSettings) == 1
        second.guild_settings._cache.clear()
        config = await second.guild_settings.get(GUILD)
        assert (config.channel("welcome"), config.channel("audit"), config.role("staff")) == (11, 12, 13)
        assert config.timezone == "Asia/Shanghai"
    finally:
        await second.db.dispose()


async def test_membership_settings_and_type_roles_set_at_once(
    database: Database, two: tuple[Services, Services]
) -> None:
    first, second = two
    try:
        await asyncio.gather(
            first.memberships.set_policy(GUILD, months=6),
            second.memberships.set_policy(GUILD, grace_days=3),
            first.memberships.set_type_role(GUILD, "park", 21),
            second.memberships.set_type_role(GUILD, "park", 21),
        )
        assert await count(database, MemberTypeRole) == 1
        policy = await first.memberships.policy_for(GUILD)
        assert policy.months in (6, 12) and policy.grace.days in (3, 7)  # the last writer wins, whole
    finally:
        await second.db.dispose()
