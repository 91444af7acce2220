"""Typed SQLAlchemy models. Every change here comes with an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import PERSON, BigIntPK, UTCDateTime

# Stable constraint names so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class GuildSettings(Base):
    """One server's choices, made by its staff with /setup."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    welcome_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    announcements_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    workshops_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    reports_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    verification_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    audit_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_role_id: Mapped[int | None] = mapped_column(BigInteger)
    verified_role_id: Mapped[int | None] = mapped_column(BigInteger)
    unverified_role_id: Mapped[int | None] = mapped_column(BigInteger)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    updated_at: Mapped[datetime]


class Recurrence(Base):
    """A recurring rule (yearly or cron-like, in an IANA zone) that produces scheduled jobs."""

    __tablename__ = "recurrences"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    rule: Mapped[dict[str, Any]]
    timezone: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # The newest occurrence already turned into a job, so the next one is computed from it.
    last_occurrence_at: Mapped[datetime | None]


class ScheduledJob(Base):
    """Something to do at a time. The scheduler claims a row atomically before running it."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    # Unique when set: an occurrence or a reminder cannot be scheduled twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    due_at: Mapped[datetime]
    # Set on the first retry: lateness and grace are judged against the original time.
    first_due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    recurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurrences.id", ondelete="SET NULL"), index=True
    )


class AuditEntry(Base):
    """A staff action. ``actor_id`` is None once a member's data has been erased."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    action: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CommandSync(Base):
    """The hash of the command tree last synced to a scope ('global' or a guild id)."""

    __tablename__ = "command_sync"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    tree_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]


class UserLocale(Base):
    """The Discord language a user last used with the bot, so DMs and mails reach them in it."""

    __tablename__ = "user_locales"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, info=PERSON)
    locale: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime]
