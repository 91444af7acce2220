"""The Discord language each user last used with the bot.

DMs and mails are not answers to an interaction, so they have no locale of their own; they are
written in the language the member's Discord showed the last time they used the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, upsert
from bot.db.models import UserLocale
from bot.scheduler.clock import Clock
from bot.services.batching import KeyedBatcher
from bot.services.personal_data import PersonalDataHolder

log = logging.getLogger(__name__)

_WRITES = 0  # the one key of the write stream
LINGER = 1.0  # seconds languages wait to be written together


class UserLocaleService(PersonalDataHolder):
    """Remembered per process so that only a change of language costs a write, and the writes of
    many first interactions at once (an opening-day rush) go to the database together, one
    transaction for all that arrived meanwhile.

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
        self._forgotten: set[int] = set()  # erased while a write of theirs was waiting
        # A rush of first interactions is remembered in a few transactions, which leave the
        # database's write lock to the decisions members wait for.
        self._writes: KeyedBatcher[int, tuple[int, str], bool] = KeyedBatcher(self._write_all, linger=LINGER)
        self._order = 0

    def note(self, user_id: int, locale: str) -> asyncio.Future[bool] | None:
        """Remember ``locale`` as ``user_id``'s at once in this process; it is written to the database
        soon, together with others (the future says when). None when nothing changed."""
        if user_id in self._known and self._known[user_id] == locale:
            return None
        self._known[user_id] = locale
        self._forgotten.discard(user_id)
        self._order += 1
        written = self._writes.submit(_WRITES, (user_id, locale), order=self._order)
        written.add_done_callback(_log_failure)
        return written

    async def record(self, user_id: int, locale: str) -> bool:
        """``note``, and wait until it is written. True when it changed (and was written)."""
        written = self.note(user_id, locale)
        if written is None:
            return False
        await self.flush()
        return written.result()

    async def flush(self) -> None:
        """Write what is noted but not yet written (the bot is stopping)."""
        await self._writes.drain()

    async def _write_all(self, _key: int, writes: Sequence[tuple[int, str]]) -> list[bool]:
        # A user seen twice meanwhile: the newest language. One erased meanwhile: nothing.
        latest = {user: locale for user, locale in writes if user not in self._forgotten}
        if not latest:
            return [False] * len(writes)
        now = self.clock.now()
        async with self.db.transaction() as session:
            await session.execute(
                upsert(self.db, UserLocale, ["user_id"], ["locale", "seen_at"]),
                # In key order: two processes' batches lock the same rows in the same order (no deadlock).
                [{"user_id": user, "locale": latest[user], "seen_at": now} for user in sorted(latest)],
            )
        return [True] * len(writes)

    async def get(self, user_id: int) -> str | None:
        if user_id in self._known:
            return self._known[user_id]
        async with self.db.session() as session:
            locale = await session.scalar(select(UserLocale.locale).where(UserLocale.user_id == user_id))
        if user_id in self._forgotten:  # erased while this read was under way
            return self._known.get(user_id)
        # A language noted while this read was under way is newer than what the read found.
        return self._known.setdefault(user_id, locale)

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        row = await session.get(UserLocale, user_id)
        if row is None:
            return None
        return {"discord_language": row.locale, "last_seen": row.seen_at.isoformat()}

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> bool | None:
        self._known.pop(user_id, None)
        self._forgotten.add(user_id)
        result = await session.execute(delete(UserLocale).where(UserLocale.user_id == user_id))
        return True if getattr(result, "rowcount", 0) else None

    async def forget(self, user_id: int) -> None:
        """Erase what is remembered of ``user_id`` (its own transaction)."""
        async with self.db.transaction() as session:
            await self.erase_personal_data(session, 0, user_id)


def _log_failure(written: asyncio.Future[bool]) -> None:
    if not written.cancelled() and written.exception() is not None:
        log.warning("could not remember languages", exc_info=written.exception())
