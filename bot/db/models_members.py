"""Member verification: applications and memberships, and the organizations whose email domains
are approved automatically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import PERSON, BigIntPK
from bot.fields import APPLICANT_COUNTRY, DOMAIN, EMAIL, FULL_NAME, MEMBERSHIP_REMINDERS, ORGANIZATION


class MemberOrganization(Base):
    """A registered member organization: its email domain is approved once the code is right."""

    __tablename__ = "member_organizations"
    __table_args__ = (UniqueConstraint("guild_id", "domain"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(ORGANIZATION.max_length))
    domain: Mapped[str] = mapped_column(String(DOMAIN.max_length))
    # The park of the directory this organization runs (a slug; the directory is another feature).
    park_slug: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Membership(Base):
    """One member of one server: the application, its email code and the membership year.

    ``status``: ``code`` (waiting for the email code), ``pending`` (in the staff queue),
    ``approved``, ``rejected``, ``expired`` or ``revoked``. Erasing a member deletes the row.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        UniqueConstraint("guild_id", "email"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, info=PERSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    full_name: Mapped[str] = mapped_column(String(FULL_NAME.max_length))
    organization: Mapped[str] = mapped_column(String(ORGANIZATION.max_length))
    # Normalised (lower-case domain); one member per email in a server.
    email: Mapped[str] = mapped_column(String(EMAIL.max_length))
    country: Mapped[str] = mapped_column(String(APPLICANT_COUNTRY.max_length))
    member_type: Mapped[str] = mapped_column(String(32))
    # A pending change of email during renewal, verified by code before it replaces ``email``.
    new_email: Mapped[str | None] = mapped_column(String(EMAIL.max_length))
    renewing: Mapped[bool] = mapped_column(default=False)
    # One-time code: only its keyed hash (HMAC-SHA256 with SECRET_KEY) is stored.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_sent_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    code_locked_until: Mapped[datetime | None]
    email_verified: Mapped[bool] = mapped_column(default=False)
    # The staff queue message, so it can be updated after a decision (even after a restart).
    queue_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    queue_message_id: Mapped[int | None] = mapped_column(BigInteger)
    applied_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(BigInteger, info=PERSON)
    reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class MemberTypeRole(Base):
    """The role given with a member type (science park, company, ...) in one server, if staff set one."""

    __tablename__ = "member_type_roles"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    role_id: Mapped[int] = mapped_column(BigInteger)


class MembershipSettings(Base):
    """One server's membership year, set by staff; without a row the process settings (.env) apply."""

    __tablename__ = "membership_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    months: Mapped[int] = mapped_column(Integer)
    # Days before expiry, comma-separated, largest first ("30,7").
    reminder_days: Mapped[str] = mapped_column(String(MEMBERSHIP_REMINDERS.max_length))
    grace_days: Mapped[int] = mapped_column(Integer)
    nicknames: Mapped[bool]
    updated_at: Mapped[datetime]
