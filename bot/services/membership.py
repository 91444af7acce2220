"""The membership year and member organizations: approval, renewal, expiry, erasure, export.

Every reminder and every expiry is a scheduler row with a dedupe key
``membership:<id>:<cycle>:<what>`` (``cycle`` is the expiry as a Unix time), so each fires exactly
once and survives restarts; a renewal starts a new cycle and cancels the old one's rows.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, claim_row
from bot.db.models_members import MemberOrganization, Membership, MembershipSettings, MemberTypeRole
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.fields import (
    DOMAIN,
    GRACE_DAYS,
    MAX_ID,
    MEMBERSHIP_MONTHS,
    MEMBERSHIP_REMINDERS,
    ORGANIZATION,
    PARK_REFERENCE,
    ROLE_ID,
    STAFF_QUESTION,
    STAFF_REASON,
)
from bot.i18n import Message, _, half_width
from bot.scheduler import Clock, Scheduler
from bot.services.access import AccessService, Person, StaffRule
from bot.services.batching import KeyedBatcher
from bot.services.guild_settings import GuildSettingsService
from bot.services.personal_data import PersonalDataHolder, iso

REMINDER_KIND = "membership.reminder"
EXPIRY_KIND = "membership.expire"
SWEEP_KIND = "membership.sweep"
WELCOME_KIND = "membership.welcome"

CODE, PENDING, APPROVED, REJECTED, EXPIRED, REVOKED = (
    "code",
    "pending",
    "approved",
    "rejected",
    "expired",
    "revoked",
)
STATUS_LABELS = {
    CODE: _("waiting for the email code"),
    PENDING: _("waiting for staff review"),
    APPROVED: _("verified member"),
    REJECTED: _("rejected"),
    EXPIRED: _("expired"),
    REVOKED: _("revoked"),
}
MEMBER_TYPES = {
    "park": _("Science park"),
    "company": _("Company"),
    "investor": _("Investor"),
    "research": _("University or research institute"),
    "government": _("Government"),
    "other": _("Other"),
}
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

# Fields of this capability that bot.fields does not declare (yet).


@dataclass(frozen=True)
class MembershipPolicy:
    months: int = 12
    reminder_days: tuple[int, ...] = (30, 7)
    grace: timedelta = timedelta(days=7)
    nicknames: bool = False


@dataclass(frozen=True)
class Erased:
    """A membership erased: its number (for anonymous audit lines) and its card in the staff queue."""

    number: int
    queue_channel_id: int | None
    queue_message_id: int | None
    nickname: str  # the nickname the bot gives approved members, to take back if it is theirs

    @property
    def audit_label(self) -> str:
        return f"member #{self.number}"


@dataclass(frozen=True)
class Approval:
    membership: Membership
    already: bool  # it was approved before: nothing changed


@dataclass(frozen=True)
class MemberGate:
    """Who counts as a verified CISIP member in one server: the one answer for members-only
    workshops, members-only reports and the directory.

    Staff always count. Anyone else counts when they hold the verified role (staff may give it by
    hand) or their membership is approved (the roles may not have been given yet).
    """

    staff: StaffRule
    verified_role_id: int | None
    approved: Collection[int]  # user ids with an approved membership (of those asked about)

    def admits(self, person: Person) -> bool:
        return (
            self.staff.admits(person)
            or person.holds(self.verified_role_id)
            or person.user_id in self.approved
        )

    def refusal(self) -> DomainError:
        """What a member who is not admitted is told."""
        if self.verified_role_id is None:
            return DomainError(
                _("This is for verified members, but no verified role is set up: please tell the staff.")
            )
        return DomainError(_("This is for verified CISIP members: press Verify to become one."))


@dataclass(frozen=True)
class LinkedMember:
    """A verified member whose organization runs a park of the directory."""

    user_id: int
    organization: str


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus whole months, the day clamped to the month's length (31 Jan + 1 = 28/29 Feb)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """'30, 7' (or '30，7' from a Chinese keyboard) -> (30, 7); at most 5 distinct days from 1 to 365,
    largest first ('' = none). ``text`` is what is stored, or what staff typed once cleaned."""
    parts = [part.strip() for part in half_width(text).split(",") if part.strip()]
    if len(parts) > 5 or not all(
        part.isascii() and part.isdigit() and 1 <= int(part) <= 365 for part in parts
    ):
        raise DomainError(
            _("Reminders: up to 5 day counts from 1 to 365, such as 30,7 (not '{text}')."), text=text
        )
    return tuple(sorted({int(part) for part in parts}, reverse=True))


NICKNAME_MAX = 32  # Discord's limit


def member_nickname(row: Membership) -> str:
    """The nickname approved members get when a server asks for it: "Name · Organization", cut to
    Discord's 32 characters (the name first when even it is too long)."""
    name, organization = " ".join(row.full_name.split()), " ".join(row.organization.split())
    nick = f"{name} · {organization}" if organization else name
    if len(nick) <= NICKNAME_MAX:
        return nick
    return nick[: NICKNAME_MAX - 1].rstrip(" ·") + "…"


GONE = _("This application no longer exists (the member may have erased their data).")


def _check_id(membership_id: int) -> None:
    """An application's number that no row can have (a number of any size) is one that is gone."""
    if (
        isinstance(membership_id, bool)
        or not isinstance(membership_id, int)
        or not 0 < membership_id <= MAX_ID
    ):
        raise NotFound(GONE)


def cycle_of(expires_at: datetime) -> int:
    return int(expires_at.timestamp())


def job_prefix(membership_id: int) -> str:
    return f"membership:{membership_id}:"


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def email_domain_typed(value: str) -> str:
    """A domain as staff type it ("@Example.ORG "), cleaned and made canonical ("example.org")."""
    domain = DOMAIN.clean(value).lower().removeprefix("@").strip()
    return DOMAIN.clean(domain)


class MembershipService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "membership"
    personal_tables: ClassVar[tuple[str, ...]] = ("memberships",)

    def __init__(
        self,
        database: Database,
        clock: Clock,
        scheduler: Scheduler,
        policy: MembershipPolicy,
        *,
        guild_settings: GuildSettingsService,
        access: AccessService,
    ) -> None:
        self.db = database
        self.clock = clock
        self.scheduler = scheduler
        self.policy = policy
        self.guild_settings = guild_settings
        self.access = access
        # Joins are written as welcome rows together, one transaction for all that arrive meanwhile.
        self._joins: KeyedBatcher[int, tuple[int, datetime], bool] = KeyedBatcher(self._schedule_welcomes)
        self._join_order = 0

    # -- joins --------------------------------------------------------------------------------

    async def welcome_later(self, guild_id: int, user_id: int, joined_at: datetime) -> bool:
        """A newcomer's welcome, as scheduled work: written before this returns, sent by whichever
        process runs the scheduler, retried until it goes out, and once per join (the join's time
        is in the row's key, so a second process seeing the same join adds nothing). False when
        this join was already planned."""
        self._join_order += 1
        return await self._joins.ask(guild_id, (user_id, joined_at), order=self._join_order)

    async def _schedule_welcomes(self, guild_id: int, joins: Sequence[tuple[int, datetime]]) -> list[bool]:
        now = self.clock.now()
        planned = []
        async with self.db.transaction() as session:
            for user_id, joined_at in joins:
                joined = int(joined_at.timestamp() * 1000)
                job = await self.scheduler.schedule(
                    WELCOME_KIND,
                    now,
                    {"guild_id": guild_id, "user_id": user_id, "joined": joined},
                    dedupe_key=f"welcome:{guild_id}:{user_id}:{joined}",
                    session=session,
                )
                planned.append(job is not None)
        self.scheduler.wake()
        return planned

    # -- the member gate ----------------------------------------------------------------------

    async def gate(
        self, guild_id: int, user_ids: Iterable[int] | None = None, *, session: AsyncSession | None = None
    ) -> MemberGate:
        """The gate of one server, knowing the approved memberships of ``user_ids`` (all when None);
        read in ``session`` when given (a decision's own transaction)."""
        config = await self.guild_settings.get(guild_id)
        query = select(Membership.user_id).where(
            Membership.guild_id == guild_id, Membership.status == APPROVED
        )
        if user_ids is not None:
            query = query.where(Membership.user_id.in_(list(user_ids)))
        if session is None:
            async with self.db.session() as own:
                approved = frozenset((await own.scalars(query)).all())
        else:
            approved = frozenset((await session.scalars(query)).all())
        return MemberGate(await self.access.staff_rule(guild_id), config.role("verified"), approved)

    async def is_verified_member(self, person: Person) -> bool:
        if person.guild_id is None:
            return False
        return (await self.gate(person.guild_id, [person.user_id])).admits(person)

    async def require_verified_member(self, person: Person) -> None:
        """Raise what the member is told when they are not a verified member."""
        if person.guild_id is None:
            raise DomainError(_("This command works only in a server."))
        gate = await self.gate(person.guild_id, [person.user_id])
        if not gate.admits(person):
            raise gate.refusal()

    # -- who may apply or renew ---------------------------------------------------------------

    async def may_apply(self, guild_id: int, user_id: int) -> Membership | None:
        """The member's current record to fill the form with; refuses an approved member."""
        current = await self.get(guild_id, user_id)
        if current is not None and current.status == APPROVED:
            assert current.expires_at is not None
            raise DomainError(_("You are already a verified member until {date}."), date=current.expires_at)
        return current

    async def may_renew(self, guild_id: int, user_id: int) -> Membership:
        """The membership to renew; refuses when there is none (or it was never approved)."""
        current = await self.get(guild_id, user_id)
        if current is None or current.status not in (APPROVED, EXPIRED):
            raise DomainError(_("There is no membership to renew: press Verify to apply."))
        return current

    # -- reading ------------------------------------------------------------------------------

    async def get(self, guild_id: int, user_id: int) -> Membership | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
            )

    async def get_by_id(self, membership_id: int) -> Membership:
        _check_id(membership_id)
        async with self.db.session() as session:
            row = await session.get(Membership, membership_id)
        if row is None:
            raise NotFound(GONE)
        return row

    async def question_about(self, membership_id: int, question: str) -> tuple[Membership, str]:
        """The application staff ask the member about, and the question cleaned (it is sent to the
        member, not stored)."""
        question = STAFF_QUESTION.clean(question)
        return await self.get_by_id(membership_id), question

    async def require(self, guild_id: int, user_id: int) -> Membership:
        row = await self.get(guild_id, user_id)
        if row is None:
            raise NotFound(_("This member has not applied."))
        return row

    async def pending(self, guild_id: int, limit: int = 25) -> tuple[list[Membership], int]:
        """The oldest ``limit`` applications waiting (for staff or for the email code), and how many
        are waiting in all."""
        waiting = (Membership.guild_id == guild_id, Membership.status.in_((PENDING, CODE)))
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Membership).where(*waiting).order_by(Membership.applied_at).limit(limit)
            )
            total = await session.scalar(select(func.count()).select_from(Membership).where(*waiting))
            return list(rows.all()), int(total or 0)

    async def set_queue_message(self, membership_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Membership)
                .where(Membership.id == membership_id)
                .values(queue_channel_id=channel_id, queue_message_id=message_id)
            )

    async def still_valid(self, row: Membership) -> bool:
        """Approved and not past expiry plus grace: a rejoining member gets the role back."""
        return (
            row.status == APPROVED
            and row.expires_at is not None
            and self.clock.now() < row.expires_at + (await self.policy_for(row.guild_id)).grace
        )

    # -- decisions ----------------------------------------------------------------------------

    async def approve(self, membership_id: int, actor_id: int | None) -> Approval:
        """Approve an application; approving an approved membership changes nothing and says so
        (``already``), so a second Approve (two staff at once) gives the roles again, no error."""
        _check_id(membership_id)
        async with self.db.transaction() as session:
            row = await session.get(Membership, membership_id, with_for_update=True)
            if row is None:
                raise NotFound(GONE)
            if row.status == APPROVED and row.expires_at is not None:
                return Approval(row, already=True)
            now = self.clock.now()
            row.status = APPROVED
            row.decided_at = now
            row.decided_by = actor_id
            row.reason = None
            row.approved_at = now
            row.expires_at = add_months(now, (await self.policy_for(row.guild_id, session)).months)
            row.renewing = False
            await self._schedule_cycle(session, row)
        self.scheduler.wake()
        return Approval(row, already=False)

    async def reject(self, membership_id: int, actor_id: int, reason: str) -> Membership:
        """Reject an application waiting for review; ``reason`` (sent to the member) is cleaned first."""
        reason = STAFF_REASON.clean(reason)
        _check_id(membership_id)
        async with self.db.transaction() as session:
            row = await session.get(Membership, membership_id, with_for_update=True)
            if row is None:
                raise NotFound(GONE)
            if row.status not in (PENDING, CODE):
                raise DomainError(
                    _("Only an application waiting for review can be rejected (this one is {status})."),
                    status=Message.of(STATUS_LABELS[row.status]),
                )
            row.status = REJECTED
            row.decided_at = self.clock.now()
            row.decided_by = actor_id
            row.reason = reason
        return row

    async def revoke(self, guild_id: int, user_id: int, actor_id: int, reason: str | None) -> Membership:
        """End a verified membership now; ``reason`` (optional, for the audit log) is cleaned first."""
        reason = STAFF_REASON.clean_optional(reason)
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
            )
            if row is None:
                raise NotFound(_("This member has not applied."))
            if row.status != APPROVED:
                raise DomainError(_("Only a verified membership can be revoked."))
            row.status = REVOKED
            row.decided_at = self.clock.now()
            row.decided_by = actor_id
            row.reason = reason
            await self.scheduler.cancel(dedupe_prefix=job_prefix(row.id), session=session)
        self.scheduler.wake()
        return row

    async def renew(self, session: AsyncSession, row: Membership) -> None:
        """Extend by one membership year from the later of now and the current expiry."""
        now = self.clock.now()
        start = row.expires_at if row.expires_at is not None and row.expires_at > now else now
        await self.scheduler.cancel(dedupe_prefix=job_prefix(row.id), session=session)
        row.status = APPROVED
        row.renewing = False
        row.expires_at = add_months(start, (await self.policy_for(row.guild_id, session)).months)
        row.approved_at = row.approved_at or now
        await self._schedule_cycle(session, row)

    # -- the membership year on the scheduler -------------------------------------------------

    async def _schedule_cycle(self, session: AsyncSession, row: Membership) -> None:
        assert row.expires_at is not None
        if row.id is None:
            await session.flush()
        cycle = cycle_of(row.expires_at)
        now = self.clock.now()
        policy = await self.policy_for(row.guild_id, session)
        for days in policy.reminder_days:
            due = row.expires_at - timedelta(days=days)
            if due > now:
                await self.scheduler.schedule(
                    REMINDER_KIND,
                    due,
                    {"membership_id": row.id, "cycle": cycle, "days": days},
                    dedupe_key=f"{job_prefix(row.id)}{cycle}:remind{days}",
                    session=session,
                )
        await self.scheduler.schedule(
            EXPIRY_KIND,
            row.expires_at + policy.grace,
            {"membership_id": row.id, "cycle": cycle},
            dedupe_key=f"{job_prefix(row.id)}{cycle}:expire",
            session=session,
        )

    async def sweep(self, guild_id: int | None = None) -> int:
        """Make sure every active membership (of one server, or all) has its reminder and expiry rows.

        Idempotent: the rows' dedupe keys make a second sweep add nothing."""
        query = select(Membership).where(Membership.status == APPROVED)
        if guild_id is not None:
            query = query.where(Membership.guild_id == guild_id)
        async with self.db.transaction() as session:
            rows = (await session.scalars(query)).all()
            for row in rows:
                await self._schedule_cycle(session, row)
        self.scheduler.wake()
        return len(rows)

    async def due_reminder(self, membership_id: int, cycle: int) -> Membership | None:
        """The membership a reminder is for, if it is still the same membership year."""
        async with self.db.session() as session:
            row = await session.get(Membership, membership_id)
        if row is None or row.status != APPROVED or row.expires_at is None:
            return None
        return row if cycle_of(row.expires_at) == cycle else None

    async def expire(self, membership_id: int, cycle: int) -> Membership | None:
        """End a membership year that was not renewed; None when there is nothing to end."""
        async with self.db.transaction() as session:
            row = await session.get(Membership, membership_id, with_for_update=True)
            if row is None or row.status != APPROVED or row.expires_at is None:
                return None
            if cycle_of(row.expires_at) != cycle:
                return None  # renewed since
            row.status = EXPIRED
        return row

    # -- erasure and export -------------------------------------------------------------------

    async def export_personal_data(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any] | None:
        row = await session.scalar(
            select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
        )
        decided = (
            await session.scalars(
                select(Membership.id)
                .where(Membership.guild_id == guild_id, Membership.decided_by == user_id)
                .order_by(Membership.id)
            )
        ).all()
        found: dict[str, Any] = {}
        if row is not None:
            found.update(
                number=row.id,
                status=row.status,
                full_name=row.full_name,
                organization=row.organization,
                email=row.email,
                email_verified=row.email_verified,
                new_email=row.new_email,
                country=row.country,
                member_type=row.member_type,
                applied_at=iso(row.applied_at),
                decided_at=iso(row.decided_at),
                reason=row.reason,
                approved_at=iso(row.approved_at),
                expires_at=iso(row.expires_at),
            )
        if decided:
            found["applications_you_decided"] = [f"#{number}" for number in decided]
        return found or None

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Erased | None:
        """Delete the member's application and membership, and their name on decisions they took
        as staff; returns what the Discord side still has to clean up (their queue card)."""
        await session.execute(
            update(Membership)
            .where(Membership.guild_id == guild_id, Membership.decided_by == user_id)
            .values(decided_by=None)
        )
        row = await session.scalar(
            select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
        )
        if row is None:
            return None
        erased = Erased(row.id, row.queue_channel_id, row.queue_message_id, member_nickname(row))
        await self.scheduler.cancel(dedupe_prefix=job_prefix(row.id), session=session)
        await session.delete(row)
        return erased

    async def export_csv(self, guild_id: int) -> bytes:
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(Membership).where(Membership.guild_id == guild_id).order_by(Membership.id)
                )
            ).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "user_id",
                "status",
                "full_name",
                "organization",
                "email",
                "country",
                "member_type",
                "applied_at",
                "approved_at",
                "expires_at",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.user_id,
                    row.status,
                    _csv_safe(row.full_name),
                    _csv_safe(row.organization),
                    row.email,
                    _csv_safe(row.country),
                    row.member_type,
                    row.applied_at.isoformat(),
                    row.approved_at.isoformat() if row.approved_at else "",
                    row.expires_at.isoformat() if row.expires_at else "",
                ]
            )
        return out.getvalue().encode("utf-8-sig")

    # -- who the other capabilities see -----------------------------------------------------

    async def records(self, guild_id: int, user_ids: list[int]) -> dict[int, tuple[str, str, str]]:
        """Name, organization and country of these members, from their applications."""
        if not user_ids:
            return {}
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Membership).where(Membership.guild_id == guild_id, Membership.user_id.in_(user_ids))
            )
            return {row.user_id: (row.full_name, row.organization, row.country) for row in rows}

    async def member_parks(self, guild_id: int) -> frozenset[str]:
        """The parks of the directory that a member organization of this server runs."""
        async with self.db.session() as session:
            slugs = await session.scalars(
                select(MemberOrganization.park_slug).where(
                    MemberOrganization.guild_id == guild_id, MemberOrganization.park_slug.is_not(None)
                )
            )
            return frozenset(slug for slug in slugs if slug)

    async def linked_members(self, guild_id: int, park_slug: str) -> list[LinkedMember]:
        """Verified members whose organization (by email domain) runs this park."""
        async with self.db.session() as session:
            orgs = (
                await session.scalars(
                    select(MemberOrganization).where(
                        MemberOrganization.guild_id == guild_id, MemberOrganization.park_slug == park_slug
                    )
                )
            ).all()
            if not orgs:
                return []
            by_domain = {org.domain.lower(): org.name for org in orgs}
            members = (
                await session.scalars(
                    select(Membership).where(Membership.guild_id == guild_id, Membership.status == APPROVED)
                )
            ).all()
        return [
            LinkedMember(m.user_id, by_domain[email_domain(m.email)])
            for m in members
            if email_domain(m.email) in by_domain
        ]

    # -- the membership year of one server ----------------------------------------------------

    async def policy_for(self, guild_id: int, session: AsyncSession | None = None) -> MembershipPolicy:
        """The server's own settings, else the process defaults."""
        if session is None:
            async with self.db.session() as own:
                row = await own.get(MembershipSettings, guild_id)
        else:
            row = await session.get(MembershipSettings, guild_id)
        if row is None:
            return self.policy
        return MembershipPolicy(
            months=row.months,
            reminder_days=_stored_days(row.reminder_days),
            grace=timedelta(days=row.grace_days),
            nicknames=row.nicknames,
        )

    async def set_policy(
        self,
        guild_id: int,
        *,
        months: int | None = None,
        reminder_days: str | None = None,
        grace_days: int | None = None,
        nicknames: bool | None = None,
    ) -> MembershipPolicy:
        """Change what is given (None keeps the current value); nothing is stored on a refusal."""
        months = MEMBERSHIP_MONTHS.check(months) if months is not None else None
        grace_days = GRACE_DAYS.check(grace_days) if grace_days is not None else None
        days = (
            parse_reminder_days(MEMBERSHIP_REMINDERS.clean(reminder_days))
            if reminder_days is not None
            else None
        )
        current = await self.policy_for(guild_id)
        if days is None:
            days = current.reminder_days
        async with self.db.transaction() as session:
            defaults = {
                "months": current.months,
                "reminder_days": ",".join(str(d) for d in current.reminder_days),
                "grace_days": current.grace.days,
                "nicknames": current.nicknames,
                "updated_at": self.clock.now(),
            }
            row = await claim_row(session, MembershipSettings, defaults, guild_id=guild_id)
            row.months = months if months is not None else current.months
            row.reminder_days = ",".join(str(d) for d in days)
            row.grace_days = grace_days if grace_days is not None else current.grace.days
            row.nicknames = nicknames if nicknames is not None else current.nicknames
            row.updated_at = self.clock.now()
        return await self.policy_for(guild_id)

    # -- member-type roles --------------------------------------------------------------------

    async def type_roles(self, guild_id: int) -> dict[str, int]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(select(MemberTypeRole).where(MemberTypeRole.guild_id == guild_id))
            ).all()
        return {row.member_type: row.role_id for row in rows}

    async def set_type_role(self, guild_id: int, member_type: str, role_id: int | None) -> None:
        if not isinstance(member_type, str) or member_type not in MEMBER_TYPES:
            raise DomainError(_("Choose your member type from the list."))
        if role_id is not None:
            role_id = ROLE_ID.check(role_id)
        async with self.db.transaction() as session:
            if role_id is None:
                await session.execute(
                    delete(MemberTypeRole).where(
                        MemberTypeRole.guild_id == guild_id, MemberTypeRole.member_type == member_type
                    )
                )
                return
            row = await claim_row(
                session, MemberTypeRole, {"role_id": role_id}, guild_id=guild_id, member_type=member_type
            )
            row.role_id = role_id

    # -- member organizations -----------------------------------------------------------------

    async def add_organization(
        self, guild_id: int, name: str, domain: str, park_slug: str | None
    ) -> MemberOrganization:
        """Register an organization by its email domain, with the identifier of the park of the
        directory it runs, if any."""
        name = ORGANIZATION.clean(name)
        domain = email_domain_typed(domain)
        if not _DOMAIN.match(domain):
            raise DomainError(
                _("'{domain}' is not an email domain: give one like tsinghua.edu.cn."), domain=domain
            )
        slug = (await self.listed_park(park_slug)).slug if park_slug is not None else None
        async with self.db.transaction() as session:
            org = MemberOrganization(
                guild_id=guild_id, name=name, domain=domain, park_slug=slug, created_at=self.clock.now()
            )
            try:
                async with session.begin_nested():
                    session.add(org)
            except IntegrityError:
                raise DomainError(_("The domain {domain} is already registered."), domain=domain) from None
        return org

    async def listed_park(self, slug: str) -> Park:
        """The listed park whose identifier is ``slug``. Typed names are resolved by the directory
        (``ParkService.find``, as every park option is) before they reach this service."""
        text = PARK_REFERENCE.clean(slug).lower()
        async with self.db.session() as session:
            park = await session.scalar(select(Park).where(Park.slug == text, Park.removed_at.is_(None)))
        if park is None:
            raise NotFound(_("No park matches '{value}'."), value=text)
        return park

    async def organizations(self, guild_id: int) -> list[MemberOrganization]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(MemberOrganization)
                .where(MemberOrganization.guild_id == guild_id)
                .order_by(MemberOrganization.name)
            )
            return list(rows.all())

    async def remove_organization(self, guild_id: int, domain: str) -> MemberOrganization:
        domain = email_domain_typed(domain)
        async with self.db.transaction() as session:
            org = await session.scalar(
                select(MemberOrganization).where(
                    MemberOrganization.guild_id == guild_id, MemberOrganization.domain == domain
                )
            )
            if org is None:
                raise NotFound(_("No organization has the domain {domain}."), domain=domain)
            await session.execute(delete(MemberOrganization).where(MemberOrganization.id == org.id))
        return org

    async def organization_for(self, guild_id: int, email: str) -> MemberOrganization | None:
        """The organization whose domain (or a parent domain) the address belongs to."""
        domain = email_domain(email)
        parts = domain.split(".")
        candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(MemberOrganization).where(
                        MemberOrganization.guild_id == guild_id, MemberOrganization.domain.in_(candidates)
                    )
                )
            ).all()
        return max(rows, key=lambda org: len(org.domain), default=None)


def _stored_days(text: str) -> tuple[int, ...]:
    """The reminder days a settings row holds, as written by ``set_policy`` (which may have copied
    the process default: more than the 5 days staff may type)."""
    parts = (part.strip() for part in text.split(","))
    return tuple(sorted({int(part) for part in parts if part.isascii() and part.isdigit()}, reverse=True))


def _csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running member-typed text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
