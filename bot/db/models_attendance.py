"""After a workshop: check-ins (per local day), the venue codes, wrong-code tries, certificates of
completion, the per-workshop certificate switch, feedback invitations and the anonymous answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import PERSON, BigIntPK
from bot.fields import FULL_NAME, ORGANIZATION

# A local date in the workshop's zone, ISO 8601 ("2027-04-20").
DAY_LENGTH = 10


class WorkshopCheckin(Base):
    """A member was at the workshop on one local day: checked in by staff or with the venue code.
    Unique per workshop, member and day, so concurrent check-ins record one attendance."""

    __tablename__ = "workshop_checkins"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    day: Mapped[str] = mapped_column(String(DAY_LENGTH))
    method: Mapped[str] = mapped_column(String(8))  # "code" or "staff"
    checked_in_at: Mapped[datetime]


class WorkshopCheckinCode(Base):
    """The venue code of one workshop day, made when staff first reveal it."""

    __tablename__ = "workshop_checkin_codes"
    __table_args__ = (UniqueConstraint("workshop_id", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    day: Mapped[str] = mapped_column(String(DAY_LENGTH))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class WorkshopCheckinTries(Base):
    """A member's wrong venue codes for one workshop; ``locked_until`` after too many."""

    __tablename__ = "workshop_checkin_tries"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class WorkshopFollowUp(Base):
    """Staff's choices for after a workshop (absent: the defaults)."""

    __tablename__ = "workshop_follow_ups"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Certificates are sent by DM to every attendee when the workshop ends.
    certificates_at_end: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkshopCertificate(Base):
    """A certificate of completion: its unguessable number, and what it says (the name and
    organization as given at verification, the days and time attended)."""

    __tablename__ = "workshop_certificates"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    name: Mapped[str] = mapped_column(String(FULL_NAME.max_length))
    organization: Mapped[str] = mapped_column(String(ORGANIZATION.max_length))
    days: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    # The DM at the end: None until tried, then "sent" or "dms_closed".
    delivery: Mapped[str | None] = mapped_column(String(16))
    delivered_at: Mapped[datetime | None]


class WorkshopFeedbackInvite(Base):
    """An attendee asked for feedback. Whether they answered is kept here, never which answer is
    theirs: the answers (``WorkshopFeedback``) carry no person."""

    __tablename__ = "workshop_feedback_invites"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    delivery: Mapped[str | None] = mapped_column(String(16))  # the invitation DM: sent, dms_closed
    reminder: Mapped[str | None] = mapped_column(String(16))  # the reminder DM, three days later
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_at: Mapped[datetime]


class WorkshopFeedback(Base):
    """One anonymous answer: three ratings from 1 to 5 and an optional comment."""

    __tablename__ = "workshop_feedback"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    content: Mapped[int] = mapped_column(Integer)
    organisation: Mapped[int] = mapped_column(Integer)
    relevance: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
