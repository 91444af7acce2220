"""The audit trail: every staff action writes one row here."""

from __future__ import annotations

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
