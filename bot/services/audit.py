"""The audit trail: every staff action writes one row here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from bot.db.database import Database
from bot.db.models import AuditEntry
from bot.scheduler.clock import Clock


class AuditService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock

    async def record(
        self, guild_id: int | None, actor_id: int | None, action: str, summary: str
    ) -> AuditEntry:
        entry = AuditEntry(
            guild_id=guild_id, actor_id=actor_id, action=action, summary=summary, created_at=self.clock.now()
        )
        async with self.db.transaction() as session:
            session.add(entry)
        return entry

    async def recent(self, guild_id: int, limit: int = 20) -> Sequence[AuditEntry]:
        async with self.db.session() as session:
            result = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.guild_id == guild_id)
                .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                .limit(limit)
            )
            return result.all()

    async def anonymise_actor(self, actor_id: int) -> int:
        """Erase a member from the trail while keeping what was done (data-deletion requests)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AuditEntry).where(AuditEntry.actor_id == actor_id).values(actor_id=None)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
