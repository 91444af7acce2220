"""Report distribution: published reports, their PDFs, members' subscriptions and one delivery row
per DM."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import PERSON, BigIntPK
from bot.fields import FILE_NAME, REPORT_TITLE, WEB_ADDRESS


class Report(Base):
    """A published report: a PDF (its bytes in :class:`ReportFile`), a URL, or both.

    ``status``: ``published`` or ``withdrawn``. ``visibility``: ``members`` or ``public``.
    ``delivery_state``: ``running`` while DMs are going out (a restarted bot resumes these),
    ``done`` when every delivery row is settled.

    Typed text is cleaned by the report service with its ``bot.fields`` declaration before it is
    stored, and the columns are as long as the declarations (the summary, at most
    ``REPORT_SUMMARY.max_length`` characters, is ``Text``).
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str] = mapped_column(String(REPORT_TITLE.max_length))
    year: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="published")
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    file_name: Mapped[str | None] = mapped_column(String(FILE_NAME.max_length))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(String(WEB_ADDRESS.max_length))
    published_by: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    announcement_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    announcement_message_id: Mapped[int | None] = mapped_column(BigInteger)
    delivery_state: Mapped[str] = mapped_column(String(16), default="running")
    # The live progress message in the publisher's DMs, edited again after a restart.
    progress_user_id: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    progress_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class ReportFile(Base):
    """A report's PDF, in the database so that every bot process on it serves the same file (a
    report names at most one). Written in the transaction that creates the report; ``size`` is at
    most ``REPORT_MAX_MB`` when written. ``sha256`` and ``size`` repeat the report's
    ``file_sha256`` and ``file_size``, so the bytes can be checked on their own."""

    __tablename__ = "report_files"

    report_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)  # BYTEA on PostgreSQL, BLOB on SQLite
    size: Mapped[int] = mapped_column(Integer)  # bytes; REPORT_MAX_MB is at most 500, far below 2 GiB
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ReportSubscription(Base):
    """A member who wants new reports by DM (a row with ``active`` False: unsubscribed)."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    active: Mapped[bool] = mapped_column(default=True)
    # The member's DM channel, opened when they subscribe: a report then costs one request per DM.
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class ReportDelivery(Base):
    """One report to one member, created before anything is sent.

    ``status``: ``pending``, ``sent``, ``dms_closed`` (Discord 50007: never retried), ``failed``
    (server errors after bounded retries; staff can retry) or ``skipped`` (left the server,
    unsubscribed before their turn, not a verified member for a members-only report, or the report
    was withdrawn). Erasing a member deletes their rows.
    """

    __tablename__ = "report_deliveries"
    __table_args__ = (
        UniqueConstraint("report_id", "user_id"),
        Index("ix_report_deliveries_report_id_status", "report_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
