"""The audit trail: every staff action writes one row here.

Lines name people as Discord mentions (``<@id>``) because they are posted in the audit channel.
When a person's data is erased the lines stay, anonymised: no actor id, and the mention replaced
by a label ("member #12").
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models import AuditEntry
from bot.scheduler.clock import Clock

_OTHER_MENTION = re.compile(r"<@!?(\d+)>")


def mention_of(user_id: int) -> str:
    return f"<@{user_id}>"


class AuditService:
    personal_data_name: ClassVar[str] = "audit_log"
    personal_tables: ClassVar[tuple[str, ...]] = ("audit_log",)

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

    @staticmethod
    def _about(guild_id: int, user_id: int) -> Any:
        return (AuditEntry.guild_id == guild_id) & or_(
            AuditEntry.actor_id == user_id,
            AuditEntry.summary.contains(mention_of(user_id), autoescape=True),
        )

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> list[dict[str, Any]]:
        """The audit lines this person did or is named in."""
        rows = await session.scalars(
            select(AuditEntry).where(self._about(guild_id, user_id)).order_by(AuditEntry.id)
        )
        return [
            {
                "at": row.created_at.isoformat(),
                "action": row.action,
                "by_you": row.actor_id == user_id,
                "summary": _OTHER_MENTION.sub(
                    lambda m: m[0] if m[1] == str(user_id) else "another member", row.summary
                ),
            }
            for row in rows
        ]

    async def anonymise(self, session: AsyncSession, guild_id: int, user_id: int, label: str) -> int:
        """Keep what was done, but no longer who: returns how many lines changed."""
        acted = await session.execute(
            update(AuditEntry)
            .where(AuditEntry.guild_id == guild_id, AuditEntry.actor_id == user_id)
            .values(actor_id=None)
        )
        changed = int(getattr(acted, "rowcount", 0) or 0)
        mention = mention_of(user_id)
        entries = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.guild_id == guild_id, AuditEntry.summary.contains(mention, autoescape=True)
            )
        )
        for entry in entries:
            entry.summary = entry.summary.replace(mention, label)
            changed += 1
        return changed
