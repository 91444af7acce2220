"""The personal-data contract: every capability that stores something about a person can export
it and erase it, and one call does it for all of them.

A *holder* is a service that keeps rows about people. It names itself (``personal_data_name``),
lists the tables it answers for (``personal_tables``), and implements two methods that work inside
a transaction the caller owns, so an erasure is all or nothing:

* ``export_personal_data(session, guild_id, user_id)``: what it stores about the person, as plain
  JSON-able values (None when it stores nothing);
* ``erase_personal_data(session, guild_id, user_id)``: delete it, or make it anonymous where a
  record must stay (a staff member's name on a workshop they created); returns a value its
  Discord side may act on afterwards (roles to take back, a seat that freed up), or None.

Data that belongs to a server is erased in that server; data that belongs to the person wherever
they are (the language they last used) is erased with it. The audit log is anonymised last: the
lines stay, without the person's id or mention.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.scheduler.clock import Clock

T = TypeVar("T")


class PersonalDataHolder(ABC):
    """A service that stores something about people: it can export it and erase it."""

    personal_data_name: ClassVar[str]
    personal_tables: ClassVar[tuple[str, ...]]
    # Recorded again at every use of the bot (a language): on its own not worth offering an erasure.
    personal_data_incidental: ClassVar[bool] = False

    @abstractmethod
    async def export_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        """What is stored about ``user_id``, as JSON-able values; None (or empty) when nothing is."""

    @abstractmethod
    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        """Delete it (or make it anonymous); a value the Discord side acts on, or None if nothing was."""


@runtime_checkable
class AuditLabel(Protocol):
    """An erasure result that names what audit lines should call the person instead ("member #12")."""

    @property
    def audit_label(self) -> str: ...


class Anonymiser(Protocol):
    """The audit log: its lines stay, the person's id and mention go."""

    personal_data_name: ClassVar[str]
    personal_tables: ClassVar[tuple[str, ...]]

    async def export_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any: ...

    async def anonymise(self, session: AsyncSession, guild_id: int, user_id: int, label: str) -> int: ...


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: each holder's result by name (only those that had something)."""

    guild_id: int
    user_id: int
    parts: dict[str, object] = field(default_factory=dict)

    def part(self, kind: type[T]) -> T | None:
        """The one result of type ``kind`` (a holder's own result class), if any."""
        for value in self.parts.values():
            if isinstance(value, kind):
                return value
        return None

    @property
    def anything(self) -> bool:
        return bool(self.parts)


ANONYMOUS = "an erased member"


class PersonalDataService:
    """Runs every holder's export or erasure in one transaction."""

    def __init__(
        self, database: Database, clock: Clock, holders: Sequence[PersonalDataHolder], audit: Anonymiser
    ) -> None:
        self.db = database
        self.clock = clock
        self.holders = tuple(holders)
        self.audit = audit
        names = [holder.personal_data_name for holder in self.holders]
        if len(set(names)) != len(names):
            raise ValueError(f"two personal-data holders share a name: {names}")

    @property
    def tables(self) -> frozenset[str]:
        """Every table some holder answers for (the audit log included)."""
        sources: list[PersonalDataHolder | Anonymiser] = [*self.holders, self.audit]
        return frozenset(table for holder in sources for table in holder.personal_tables)

    def erasable(self, sections: Iterable[str]) -> bool:
        """Whether an export with these sections holds anything worth erasing (more than what every
        use of the bot records again)."""
        incidental = {h.personal_data_name for h in self.holders if h.personal_data_incidental}
        return any(name not in incidental for name in sections)

    async def export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """Everything stored about ``user_id`` in this server, by capability (empty ones left out)."""
        sections: dict[str, Any] = {}
        sources: list[PersonalDataHolder | Anonymiser] = [*self.holders, self.audit]
        async with self.db.session() as session:
            for holder in sources:
                found = await holder.export_personal_data(session, guild_id, user_id)
                if found:
                    sections[holder.personal_data_name] = found
        return sections

    async def document(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The export as one document: who, where, when, and each capability's section."""
        return {
            "user_id": str(user_id),
            "server_id": str(guild_id),
            "exported_at": self.clock.now().isoformat(),
            "data": await self.export(guild_id, user_id),
        }

    async def holds_any(self, guild_id: int, user_id: int) -> bool:
        return self.erasable(await self.export(guild_id, user_id))

    async def erase(self, guild_id: int, user_id: int) -> Erasure:
        """Erase ``user_id``'s data in this server with every holder, then anonymise the audit log
        (the person becomes "member #N" when a holder's result names a number, else "an erased
        member")."""
        parts: dict[str, object] = {}
        async with self.db.transaction() as session:
            for holder in self.holders:
                result = await holder.erase_personal_data(session, guild_id, user_id)
                if result is not None:
                    parts[holder.personal_data_name] = result
            label = next((p.audit_label for p in parts.values() if isinstance(p, AuditLabel)), ANONYMOUS)
            anonymised = await self.audit.anonymise(session, guild_id, user_id, label)
            if anonymised:
                parts[self.audit.personal_data_name] = anonymised
        return Erasure(guild_id, user_id, parts)


def iso(value: datetime | None) -> str | None:
    """A timestamp for an export (ISO 8601, UTC)."""
    return value.isoformat() if value is not None else None
