"""The Discord language each user last used with the bot.

DMs and mails are not answers to an interaction, so they have no locale of their own; they are
written in the language the member's Discord showed the last time they used the bot.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models import UserLocale
from bot.scheduler.clock import Clock
from bot.services.personal_data import PersonalDataHolder


class UserLocaleService(PersonalDataHolder):
    """Remembered per process so that only a change of language costs a write.

    The language is the person's wherever they use the bot, so erasing their data in any server
    forgets it.
    """

    personal_data_name: ClassVar[str] = "language"
    personal_tables: ClassVar[tuple[str, ...]] = ("user_locales",)
    # Recorded again at every interaction: on its own it is not a reason to offer an erasure.
    personal_data_incidental: ClassVar[bool] = True

    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock
        self._known: dict[int, str | None] = {}

    async def record(self, user_id: int, locale: str) -> bool:
        """Remember ``locale`` as ``user_id``'s; True when it changed (and was written)."""
        if await self.get(user_id) == locale:
            return False
        try:
            await self._write(user_id, locale)
        except IntegrityError:
            await self._write(user_id, locale)  # a concurrent first interaction inserted the row
        self._known[user_id] = locale
        return True

    async def _write(self, user_id: int, locale: str) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            row = await session.get(UserLocale, user_id, with_for_update=True)
            if row is None:
                session.add(UserLocale(user_id=user_id, locale=locale, seen_at=now))
            else:
                row.locale, row.seen_at = locale, now

    async def get(self, user_id: int) -> str | None:
        if user_id in self._known:
            return self._known[user_id]
        async with self.db.session() as session:
            locale = await session.scalar(select(UserLocale.locale).where(UserLocale.user_id == user_id))
        self._known[user_id] = locale
        return locale

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        row = await session.get(UserLocale, user_id)
        if row is None:
            return None
        return {"discord_language": row.locale, "last_seen": row.seen_at.isoformat()}

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> bool | None:
        self._known.pop(user_id, None)
        result = await session.execute(delete(UserLocale).where(UserLocale.user_id == user_id))
        return True if getattr(result, "rowcount", 0) else None

    async def forget(self, user_id: int) -> None:
        """Erase what is remembered of ``user_id`` (its own transaction)."""
        async with self.db.transaction() as session:
            await self.erase_personal_data(session, 0, user_id)
