"""The yearly calendar: announcements staff define, and per-server settings of the built-in cycles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import PERSON, BigIntPK
from bot.fields import CALENDAR_NAME, TIMEZONE


class CalendarEntry(Base):
    """A yearly announcement: its recurrence is keyed ``calendar:<guild>:<id>``."""

    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("guild_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(CALENDAR_NAME.max_length))
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(TIMEZONE.max_length))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    role_id: Mapped[int | None] = mapped_column(BigInteger)
    template: Mapped[str] = mapped_column(Text)  # at most CALENDAR_MESSAGE.max_length
    # The year of the first occurrence ({edition} 1) and, optionally, of the last one.
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Shown in the public calendar feed (/workshops.ics) as a yearly event.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The SEQUENCE of its feed event: raised on every edit, pause, resume and end.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CalendarBuiltin(Base):
    """One server's choice for one built-in cycle (off, with default dates, until staff say)."""

    __tablename__ = "calendar_builtins"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    month: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    hour: Mapped[int | None] = mapped_column(Integer)
    minute: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(TIMEZONE.max_length))
    updated_at: Mapped[datetime]
