"""Migrations upgrade an empty database on every backend, and agree with the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from bot.db.database import Database
from bot.db.migrate import SchemaOutOfDate, current_revision, ensure_current, head_revision, upgrade
from bot.db.models import AuditEntry, Base, ScheduledJob


async def test_upgrade_from_empty_creates_every_table(empty_database: Database) -> None:
    assert await current_revision(empty_database) is None
    with pytest.raises(SchemaOutOfDate, match="run `cisip-bot db upgrade`"):
        await ensure_current(empty_database)

    before, after = await upgrade(empty_database)

    assert (before, after) == (None, head_revision())
    assert await ensure_current(empty_database) == head_revision()
    async with empty_database.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_twice_changes_nothing(database: Database) -> None:
    assert await upgrade(database) == (head_revision(), head_revision())


async def test_models_and_migrations_agree(database: Database) -> None:
    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as conn:
        diff = await conn.run_sync(differences)
    assert diff == []


async def test_datetimes_come_back_aware_utc(database: Database) -> None:
    shanghai_noon = datetime(2027, 5, 26, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    async with database.transaction() as session:
        session.add(AuditEntry(guild_id=1, actor_id=2, action="test", summary="", created_at=shanghai_noon))
    async with database.session() as session:
        entry = await session.get(AuditEntry, 1)
    assert entry is not None
    assert entry.created_at == datetime(2027, 5, 26, 4, 0, tzinfo=UTC)
    assert entry.created_at.tzinfo is UTC


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(
                AuditEntry(guild_id=1, actor_id=2, action="test", summary="", created_at=datetime(2027, 1, 1))  # noqa: DTZ001
            )


async def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    async with database.engine.connect() as conn:
        journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert (journal, foreign_keys, busy) == ("wal", 1, 30000)


async def test_a_delivery_under_way_before_0170_becomes_a_scheduled_row(empty_database: Database) -> None:
    """Deliveries used to be tasks of the process that published them: the one under way when the
    bot is upgraded gets its scheduled row, so whichever process leads resumes it."""
    await upgrade(empty_database, "0160_report_files")
    now = datetime.now(UTC)
    async with empty_database.engine.begin() as conn:
        for report_id, state in ((1, "running"), (2, "done")):
            await conn.execute(
                text(
                    "INSERT INTO reports (id, guild_id, title, year, summary, language, visibility, status, "
                    "published_by, delivery_state, created_at, updated_at) VALUES "
                    "(:id, 1, 'R', 2026, 'S', 'en', 'members', 'published', 7, :state, :now, :now)"
                ),
                {"id": report_id, "state": state, "now": now},
            )
    await upgrade(empty_database)
    async with empty_database.session() as session:
        query = select(ScheduledJob.kind, ScheduledJob.status, ScheduledJob.payload)
        rows = (await session.execute(query)).all()
    assert [tuple(row) for row in rows] == [("report.delivery", "pending", {"report_id": 1})]
