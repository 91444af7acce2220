"""The feedback survey after a workshop. No discord here.

When a workshop ends, each attendee (a member who checked in) is invited by DM to rate the content,
the organisation and the relevance to their park from 1 to 5 and to leave a comment; three days
later those who have not answered (and whose DMs are open) get one reminder. Both are scheduler
rows with dedupe keys, and each DM is recorded per member, so nothing is sent twice.

Answers are anonymous: an invitation records *that* a member answered (so they can answer once and
are not reminded), the answer itself (``workshop_feedback``) names nobody and carries no time.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, NoReturn

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models_attendance import WorkshopFeedback, WorkshopFeedbackInvite
from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.fields import TextField, WholeNumber
from bot.i18n import _
from bot.scheduler import Clock, Scheduler
from bot.services.attendance import AttendanceService
from bot.services.personal_data import PersonalDataHolder, iso
from bot.services.workshops import ENDED

FEEDBACK_JOB, FEEDBACK_REMINDER_JOB = "workshop.feedback", "workshop.feedback-reminder"
REMINDER_AFTER = timedelta(days=3)
QUESTIONS = ("content", "organisation", "relevance")
RATING = WholeNumber(_("rating"), 1, 5)
FEEDBACK_COMMENT = TextField(_("comment"), 1000, multiline=True)
CSV_HEADER = ["content", "organisation", "relevance", "comment"]


def _csv_safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@dataclass(frozen=True)
class Answer:
    content: int
    organisation: int
    relevance: int
    comment: str


@dataclass(frozen=True)
class FeedbackSummary:
    workshop: Workshop
    invited: int
    answered: int
    answers: list[Answer]

    @property
    def rate(self) -> float:
        return self.answered / self.invited if self.invited else 0.0

    def average(self, question: str) -> float | None:
        values = [getattr(a, question) for a in self.answers]
        return sum(values) / len(values) if values else None

    def distribution(self, question: str) -> list[int]:
        """How many answered 1, 2, 3, 4 and 5."""
        counts = Counter(getattr(a, question) for a in self.answers)
        return [counts.get(n, 0) for n in range(1, 6)]

    @property
    def filename(self) -> str:
        return f"workshop-{self.workshop.id}-feedback.csv"

    def as_csv(self) -> bytes:
        """The answers without names (UTF-8 with a BOM, formulas defused), in a fixed order that
        says nothing about who answered when."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for a in sorted(self.answers, key=lambda a: (a.content, a.organisation, a.relevance, a.comment)):
            writer.writerow([a.content, a.organisation, a.relevance, _csv_safe(a.comment)])
        return out.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class FeedbackErased:
    invitations: int


class FeedbackService(PersonalDataHolder):
    personal_data_name: ClassVar[str] = "feedback"
    personal_tables: ClassVar[tuple[str, ...]] = ("workshop_feedback_invites",)

    def __init__(
        self, database: Database, clock: Clock, scheduler: Scheduler, *, attendance: AttendanceService
    ) -> None:
        self.db = database
        self.clock = clock
        self.scheduler = scheduler
        self.attendance = attendance

    async def after_end(self, workshop_id: int, starts_at: str) -> bool:
        """Schedule the invitations now and the reminder three days later, once (dedupe keys)."""
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None or workshop.status != ENDED or workshop.starts_at.isoformat() != starts_at:
                return False
            stamp = workshop.starts_at.strftime("%Y%m%dT%H%MZ")
            payload = {"workshop_id": workshop.id}
            now = self.clock.now()
            for kind, due, key in (
                (FEEDBACK_JOB, now, "feedback"),
                (FEEDBACK_REMINDER_JOB, max(now, workshop.ends_at) + REMINDER_AFTER, "feedback-reminder"),
            ):
                await self.scheduler.schedule(
                    kind, due, payload, dedupe_key=f"workshop:{workshop.id}:{key}@{stamp}", session=session
                )
        self.scheduler.wake()
        return True

    async def to_invite(self, workshop_id: int) -> tuple[Workshop, list[int]]:
        """Every attendee gets an invitation row; returns those whose DM is still owed."""
        attendees = sorted(await self.attendance.attended_days(workshop_id))
        now = self.clock.now()
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None:
                _missing(workshop_id)
            dialect: Any = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
            if attendees:
                await session.execute(
                    dialect.insert(WorkshopFeedbackInvite)
                    .values(
                        [
                            {"workshop_id": workshop_id, "user_id": u, "answered": False, "invited_at": now}
                            for u in attendees
                        ]
                    )
                    .on_conflict_do_nothing()
                )
            owed = await session.scalars(
                select(WorkshopFeedbackInvite.user_id)
                .where(
                    WorkshopFeedbackInvite.workshop_id == workshop_id,
                    WorkshopFeedbackInvite.delivery.is_(None),
                )
                .order_by(WorkshopFeedbackInvite.user_id)
            )
            return workshop, list(owed)

    async def to_remind(self, workshop_id: int) -> tuple[Workshop, list[int]]:
        """Invited members with open DMs who have not answered nor been reminded, invited three days
        ago or more. Invitations sent later (the bot was down at the end) get their reminder from a
        row scheduled here for three days after them."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None:
                _missing(workshop_id)
            rows = (
                await session.execute(
                    select(WorkshopFeedbackInvite.user_id, WorkshopFeedbackInvite.invited_at)
                    .where(
                        WorkshopFeedbackInvite.workshop_id == workshop_id,
                        WorkshopFeedbackInvite.delivery == "sent",
                        WorkshopFeedbackInvite.answered.is_(False),
                        WorkshopFeedbackInvite.reminder.is_(None),
                    )
                    .order_by(WorkshopFeedbackInvite.user_id)
                )
            ).all()
            owed = [user_id for user_id, invited_at in rows if invited_at + REMINDER_AFTER <= now]
            later = min(
                (invited_at + REMINDER_AFTER for _u, invited_at in rows if invited_at + REMINDER_AFTER > now),
                default=None,
            )
            if later is not None:
                await self.scheduler.schedule(
                    FEEDBACK_REMINDER_JOB,
                    later,
                    {"workshop_id": workshop_id},
                    dedupe_key=f"workshop:{workshop_id}:feedback-reminder@{later.strftime('%Y%m%dT%H%M%SZ')}",
                    session=session,
                )
        if later is not None:
            self.scheduler.wake()
        return workshop, owed

    async def record(self, workshop_id: int, user_id: int, outcome: str, *, reminder: bool = False) -> bool:
        """Record an invitation (or the reminder) DM; False when it was recorded already."""
        column = WorkshopFeedbackInvite.reminder if reminder else WorkshopFeedbackInvite.delivery
        async with self.db.transaction() as session:
            result = await session.execute(
                update(WorkshopFeedbackInvite)
                .where(
                    WorkshopFeedbackInvite.workshop_id == workshop_id,
                    WorkshopFeedbackInvite.user_id == user_id,
                    column.is_(None),
                )
                .values({column.key: outcome})
            )
        return bool(getattr(result, "rowcount", 0))

    async def still_owed(self, workshop_id: int, user_id: int, *, reminder: bool) -> bool:
        """Asked just before each DM: the member may have answered, or erased their data."""
        column = WorkshopFeedbackInvite.reminder if reminder else WorkshopFeedbackInvite.delivery
        async with self.db.session() as session:
            found = await session.scalar(
                select(WorkshopFeedbackInvite.id).where(
                    WorkshopFeedbackInvite.workshop_id == workshop_id,
                    WorkshopFeedbackInvite.user_id == user_id,
                    WorkshopFeedbackInvite.answered.is_(False),
                    column.is_(None),
                )
            )
        return found is not None

    async def can_answer(self, workshop_id: int, user_id: int) -> Workshop:
        """The workshop whose survey the member may answer now, or why not."""
        async with self.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
            invite = await session.scalar(
                select(WorkshopFeedbackInvite).where(
                    WorkshopFeedbackInvite.workshop_id == workshop_id,
                    WorkshopFeedbackInvite.user_id == user_id,
                )
            )
        if workshop is None or invite is None:
            raise DomainError(_("This survey is only for those who attended the workshop."))
        if invite.answered:
            raise DomainError(
                _("You have already answered the survey for **{title}**. Thank you!"), title=workshop.title
            )
        return workshop

    async def answer(
        self, workshop_id: int, user_id: int, ratings: dict[str, Any], comment: str | None
    ) -> Workshop:
        """Store one anonymous answer; the member's invitation is marked answered in the same
        transaction, so a second submission (or two at once) stores nothing."""
        values = {}
        for question in QUESTIONS:
            raw = ratings.get(question)
            if raw in (None, ""):
                raise DomainError(_("Choose a rating from 1 to 5 for each question."))
            try:
                values[question] = RATING.check(int(str(raw)))
            except ValueError:
                raise DomainError(_("Choose a rating from 1 to 5 for each question.")) from None
        text = FEEDBACK_COMMENT.clean(comment or "", required=False)
        workshop = await self.can_answer(workshop_id, user_id)
        async with self.db.transaction() as session:
            marked = await session.execute(
                update(WorkshopFeedbackInvite)
                .where(
                    WorkshopFeedbackInvite.workshop_id == workshop_id,
                    WorkshopFeedbackInvite.user_id == user_id,
                    WorkshopFeedbackInvite.answered.is_(False),
                )
                .values(answered=True)
            )
            if not getattr(marked, "rowcount", 0):
                raise DomainError(
                    _("You have already answered the survey for **{title}**. Thank you!"),
                    title=workshop.title,
                )
            session.add(WorkshopFeedback(workshop_id=workshop_id, comment=text, **values))
        return workshop

    async def summary(self, guild_id: int, workshop_id: int) -> FeedbackSummary:
        async with self.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None or workshop.guild_id != guild_id:
                raise DomainError(_("There is no workshop #{id} in this server."), id=workshop_id)
            return await self._summary(session, workshop)

    @staticmethod
    async def _summary(session: AsyncSession, workshop: Workshop) -> FeedbackSummary:
        invites = (
            await session.scalars(
                select(WorkshopFeedbackInvite.answered).where(
                    WorkshopFeedbackInvite.workshop_id == workshop.id
                )
            )
        ).all()
        answers = [
            Answer(row.content, row.organisation, row.relevance, row.comment)
            for row in await session.scalars(
                select(WorkshopFeedback).where(WorkshopFeedback.workshop_id == workshop.id)
            )
        ]
        return FeedbackSummary(workshop, len(invites), sum(1 for a in invites if a), answers)

    async def previous_edition(self, workshop: Workshop) -> tuple[Workshop, FeedbackSummary] | None:
        """The last edition of the same series that ended before this one, with its feedback."""
        if workshop.series_id is None:
            return None
        async with self.db.session() as session:
            last = await session.scalar(
                select(Workshop)
                .where(
                    Workshop.series_id == workshop.series_id,
                    Workshop.status == ENDED,
                    Workshop.starts_at < workshop.starts_at,
                )
                .order_by(Workshop.starts_at.desc())
                .limit(1)
            )
            if last is None:
                return None
            return last, await self._summary(session, last)

    # -- personal data ------------------------------------------------------------------------

    async def export_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        rows = (
            await session.execute(
                select(Workshop.id, Workshop.title, WorkshopFeedbackInvite)
                .join(WorkshopFeedbackInvite, WorkshopFeedbackInvite.workshop_id == Workshop.id)
                .where(Workshop.guild_id == guild_id, WorkshopFeedbackInvite.user_id == user_id)
                .order_by(WorkshopFeedbackInvite.id)
            )
        ).all()
        # The answers themselves name nobody: they cannot be told apart from others' (anonymous).
        return [
            {
                "workshop": f"#{wid} {title}",
                "invited_at": iso(invite.invited_at),
                "invitation": invite.delivery,
                "reminder": invite.reminder,
                "answered": invite.answered,
            }
            for wid, title, invite in rows
        ] or None

    async def erase_personal_data(self, session: AsyncSession, guild_id: int, user_id: int) -> Any:
        ours = select(Workshop.id).where(Workshop.guild_id == guild_id)
        gone = await session.execute(
            delete(WorkshopFeedbackInvite).where(
                WorkshopFeedbackInvite.workshop_id.in_(ours), WorkshopFeedbackInvite.user_id == user_id
            )
        )
        count = int(getattr(gone, "rowcount", 0) or 0)
        return FeedbackErased(count) if count else None


def _missing(workshop_id: int) -> NoReturn:
    raise DomainError(_("There is no workshop #{id} in this server."), id=workshop_id)
