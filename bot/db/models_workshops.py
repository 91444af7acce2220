"""Workshops: editions, registrations (with the waitlist), reminder deliveries and yearly series."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import PERSON, BigIntPK
from bot.fields import TIMEZONE, WORKSHOP_LOCATION, WORKSHOP_TITLE


class WorkshopSeries(Base):
    """A workshop held every year: each edition that ends drafts the next for staff to confirm."""

    __tablename__ = "workshop_series"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(WORKSHOP_TITLE.max_length))  # the first edition's title
    # The call for participants is announced this many weeks before an edition starts.
    call_weeks: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime]


class Workshop(Base):
    """One edition. ``status``: ``draft`` (drafted by a series, not yet confirmed), ``scheduled``,
    ``cancelled`` or ``ended``."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_series.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Lengths from bot.fields (what the service cleans text to); the description (at most
    # WORKSHOP_DESCRIPTION's 1,000 characters) and the cancel reason (CANCEL_REASON's 500) are TEXT.
    title: Mapped[str] = mapped_column(String(WORKSHOP_TITLE.max_length))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(WORKSHOP_LOCATION.max_length))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(TIMEZONE.max_length))
    capacity: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime]
    # Canonical offsets before the start, e.g. "7d,1d,1h" (at most 5 of them: far shorter than 200).
    reminders: Mapped[str] = mapped_column(String(200))
    ping_role_id: Mapped[int | None] = mapped_column(BigInteger)
    members_only: Mapped[bool] = mapped_column(Boolean, default=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The announcement and the mirrored Discord scheduled event (None when there is none).
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Raised on every edit and on cancelling: the SEQUENCE of its calendar event (bot.web.feeds), so
    # a subscribed calendar takes the change.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WorkshopRegistration(Base):
    """A member's place: ``registered``, ``waitlisted`` (promoted in ``queued_at`` order) or ``left``."""

    __tablename__ = "workshop_registrations"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    status: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkshopReminderDelivery(Base):
    """One reminder delivered (or not) to one member, so it is never sent twice.

    ``user_id`` 0 is the post in the workshops channel. ``status``: ``sent``, ``dms_closed``,
    ``skipped``.
    """

    __tablename__ = "workshop_reminder_deliveries"
    __table_args__ = (UniqueConstraint("workshop_id", "reminder", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    reminder: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime]
