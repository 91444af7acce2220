"""Remember what command tree was last synced, so start-up only syncs when it changed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.db.database import Database, claim_row
from bot.db.models import CommandSync
from bot.scheduler.clock import Clock


def tree_hash(payload: list[dict[str, Any]]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CommandSyncState:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock

    async def is_current(self, scope: str, digest: str) -> bool:
        async with self.db.session() as session:
            row = await session.get(CommandSync, scope)
        return row is not None and row.tree_hash == digest

    async def remember(self, scope: str, digest: str) -> None:
        async with self.db.transaction() as session:
            defaults = {"tree_hash": digest, "synced_at": self.clock.now()}
            row = await claim_row(session, CommandSync, defaults, scope=scope)
            row.tree_hash, row.synced_at = digest, self.clock.now()
