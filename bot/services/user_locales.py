"""The Discord language each user last used with the bot.

DMs and mails are not answers to an interaction, so they have no locale of their own; they are
written in the language the member's Discord showed the last time they used the bot.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.db.database import Database
from bot.db.models import UserLocale
from bot.scheduler.clock import Clock


class UserLocaleService:
    """Remembered per process so that only a change of language costs a write."""

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

    async def forget(self, user_id: int) -> None:
        """Erase what is remembered of ``user_id`` (part of /verify forget-me)."""
        self._known.pop(user_id, None)
        async with self.db.transaction() as session:
            await session.execute(delete(UserLocale).where(UserLocale.user_id == user_id))
