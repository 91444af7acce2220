"""The park directory: science and technology parks, seeded from bot/seed/parks.csv and curated by staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import BigIntPK
from bot.fields import PARK_CITY, PARK_LOCAL_NAME, PARK_NAME, REGION_TEXT, WEB_ADDRESS


class Park(Base):
    """One park. Lists (aliases, focus) are stored semicolon-separated, as in the CSV.

    Typed text is cleaned by the park service with its ``bot.fields`` declaration before it is
    stored, and the columns are declared with the same lengths. (aliases, focus and description
    are TEXT: their fields bound them to 400, 400 and 1,000 characters.)

    ``staff_edited`` is set by every staff change (add, edit, remove, CSV import): seeding from the
    shipped CSV never touches such a row again. ``removed_at`` hides a park without forgetting it, so
    a seeded park that staff removed is not seeded back.
    """

    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(PARK_NAME.max_length))
    local_name: Mapped[str] = mapped_column(String(PARK_LOCAL_NAME.max_length), default="")
    aliases: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str] = mapped_column(String(PARK_CITY.max_length), default="")
    region: Mapped[str] = mapped_column(String(REGION_TEXT.max_length))
    established: Mapped[int | None] = mapped_column(Integer)
    focus: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(WEB_ADDRESS.max_length), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(WEB_ADDRESS.max_length), default="")
    cisip_member: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(16), default="seed")
    staff_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
