"""Applying to become a member: validation, the one-time email code, and where it leads.

The code is 6 digits from ``secrets``; only an HMAC-SHA256 of it (keyed with SECRET_KEY and bound to
the member) is stored. It is valid 10 minutes; 5 wrong tries lock it for 15 minutes; a new code can
be asked for once a minute. A member cannot submit the forms more than a few times a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database, hold
from bot.db.models_members import MemberOrganization, Membership
from bot.errors import DomainError
from bot.fields import APPLICANT_COUNTRY, EMAIL, FULL_NAME, ORGANIZATION, VERIFICATION_CODE
from bot.i18n import DEFAULT_LANGUAGE, Message, _, translate
from bot.scheduler import Clock
from bot.services.mail import Mailer, paragraphs_html
from bot.services.membership import (
    APPROVED,
    CODE,
    EXPIRED,
    MEMBER_TYPES,
    PENDING,
    MembershipService,
)

CODE_DIGITS = 6
CODE_VALIDITY = timedelta(minutes=10)
MAX_WRONG_CODES = 5
LOCK_DURATION = timedelta(minutes=15)
RESEND_COOLDOWN = timedelta(seconds=60)
APPLICATIONS_PER_MINUTE = 3
CODES_PER_MINUTE = 5

# What the code form takes (bot.fields does not declare it yet): the code, spaces and all.


@dataclass(frozen=True)
class Application:
    full_name: str
    organization: str
    email: str
    country: str
    member_type: str


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


@dataclass(frozen=True)
class _Plan:
    """What an application will do: the member's record (None: a first application) and, when a
    code must be mailed first, the address."""

    guild_id: int
    user_id: int
    row: Membership | None
    renewing: bool
    code_to: str | None


@dataclass(frozen=True)
class Outcome:
    """What happened: ``code`` (a code was mailed), ``queued`` (staff review), ``verified`` (the
    code was right; ``organization`` is set when its domain is registered) or ``renewed``."""

    step: str
    membership: Membership
    organization: MemberOrganization | None = None


def validate_application(
    full_name: str, organization: str, email: str, country: str, member_type: str
) -> Application:
    """The application form's fields made canonical (``bot.fields``: invisible, control and
    direction characters gone, trimmed, within their lengths), or the first refusal."""
    values = {
        "full_name": FULL_NAME.clean(full_name),
        "organization": ORGANIZATION.clean(organization),
        "country": APPLICANT_COUNTRY.clean(country),
    }
    names = {"full_name": _("Full name"), "organization": _("Organization"), "country": _("Country")}
    for key, value in values.items():
        if "@everyone" in value or "@here" in value or "<@" in value:
            raise DomainError(_("{field} cannot contain mentions."), field=Message.of(names[key]))
    if not isinstance(member_type, str) or member_type not in MEMBER_TYPES:
        raise DomainError(_("Choose your member type from the list."))
    address = EMAIL.clean(email)
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            _("'{email}' is not a valid email address: check it and try again."), email=address
        ) from None
    return Application(
        values["full_name"],
        values["organization"],
        EMAIL.clean(checked.normalized.lower()),  # lower case can be longer: checked again
        values["country"],
        member_type,
    )


def typed_code(value: str) -> str:
    """The code as typed, made comparable: full-width digits (a Chinese keyboard) made ASCII,
    spaces and dashes dropped. Anything else is kept, to be found wrong."""
    text = unicodedata.normalize("NFKC", VERIFICATION_CODE.clean(value))
    return "".join(char for char in text if char not in " -")


async def _hold_member(session: AsyncSession, guild_id: int, user_id: int, email: str | None = None) -> None:
    """Hold one member's record (which may not exist yet) and, when given, an email address, so
    two applications of the member, or two members claiming one address, take turns: the second
    reads what the first wrote. Always the member first, then the address (no deadlock)."""
    await hold(session, f"membership:{guild_id}:{user_id}")
    if email is not None:
        await hold(session, _email_lock(guild_id, email))


def _email_lock(guild_id: int, email: str) -> str:
    return f"membership:{guild_id}:email:{email}"


class RateLimiter:
    """At most ``limit`` events per key in ``window`` (in memory: a restart forgives)."""

    def __init__(self, clock: Clock, limit: int, window: timedelta = timedelta(minutes=1)) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._events: defaultdict[tuple[int, int], deque[datetime]] = defaultdict(deque)

    def hit(self, key: tuple[int, int]) -> None:
        now = self.clock.now()
        events = self._events[key]
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            wait = self.window - (now - events[0])
            raise DomainError(
                _("Too many attempts: wait {seconds} seconds and try again."),
                seconds=max(1, int(wait.total_seconds()) + 1),
            )
        events.append(now)


class VerificationService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        memberships: MembershipService,
        mailer: Mailer | None,
        secret_key: str | None,
    ) -> None:
        if mailer is not None and not secret_key:
            raise ValueError("a mailer needs a secret key for hashing codes")
        self.db = database
        self.clock = clock
        self.memberships = memberships
        self.mailer = mailer
        self.secret_key = (secret_key or "").encode()
        self.applications = RateLimiter(clock, APPLICATIONS_PER_MINUTE)
        self.codes = RateLimiter(clock, CODES_PER_MINUTE)

    @property
    def email_codes(self) -> bool:
        return self.mailer is not None

    def _hash(self, guild_id: int, user_id: int, code: str) -> str:
        message = f"{guild_id}:{user_id}:{code}".encode()
        return hmac.new(self.secret_key, message, hashlib.sha256).hexdigest()

    # -- applying -----------------------------------------------------------------------------

    def count_submission(self, guild_id: int, user_id: int) -> None:
        """Every submitted application counts, valid or not: refuses a member who submits too often."""
        self.applications.hit((guild_id, user_id))

    async def apply(
        self,
        guild_id: int,
        user_id: int,
        application: Application,
        *,
        server_name: str,
        renewing: bool = False,
        language: str = DEFAULT_LANGUAGE,
    ) -> Outcome:
        """``language`` is the member's: the code mail is written in it.

        A code mail is sent before the application is written, outside the write transaction (a
        slow mail server must not hold the database's write lock); when it cannot be sent,
        nothing is stored. The application is checked again here (a caller may have built it
        without ``validate_application``): cleaning what is already clean changes nothing."""
        application = validate_application(
            application.full_name,
            application.organization,
            application.email,
            application.country,
            application.member_type,
        )
        code: str | None = None
        if self.mailer is not None:
            async with self.db.session() as session:
                plan = await self._plan(session, guild_id, user_id, application, renewing)
            if plan.code_to is not None:
                code = new_code()
                await self._mail_code(plan.code_to, code, server_name, language)
        async with self.db.transaction() as session:
            await _hold_member(session, guild_id, user_id, application.email)
            plan = await self._plan(session, guild_id, user_id, application, renewing)
            if plan.code_to is not None and code is None:  # it changed meanwhile: mail now
                code = new_code()
                await self._mail_code(plan.code_to, code, server_name, language)
            outcome = await self._write(session, plan, application, code)
        self.memberships.scheduler.wake()
        return outcome

    async def _plan(
        self, session: AsyncSession, guild_id: int, user_id: int, application: Application, renewing: bool
    ) -> _Plan:
        """Check the application against the member's record; say whether it needs a code (and to
        which address). Asked before the mail and again, under the write lock, before writing."""
        row = await session.scalar(
            select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
        )
        await self._check_email_free(session, guild_id, user_id, application.email)
        if row is not None and row.status == APPROVED and not renewing:
            raise DomainError(_("You are already a verified member. /verify status shows until when."))
        if renewing and (row is None or row.status not in (APPROVED, EXPIRED)):
            raise DomainError(_("There is no membership to renew: press Verify to apply."))
        code_to: str | None = None
        if self.mailer is not None:
            if renewing:
                assert row is not None
                needs_code = application.email != row.email
            else:
                needs_code = row is None or row.email != application.email or not row.email_verified
            if needs_code:
                if row is not None:
                    self._check_lock(row, self.clock.now())
                code_to = application.email
        return _Plan(guild_id, user_id, row, renewing, code_to)

    async def _write(
        self, session: AsyncSession, plan: _Plan, application: Application, code: str | None
    ) -> Outcome:
        now = self.clock.now()
        row = plan.row
        if row is None:
            row = Membership(
                guild_id=plan.guild_id,
                user_id=plan.user_id,
                status=PENDING,
                email=application.email,
                applied_at=now,
                code_attempts=0,
                email_verified=False,
                renewing=False,
            )
            session.add(row)
        row.full_name = application.full_name
        row.organization = application.organization
        row.country = application.country
        row.member_type = application.member_type
        if plan.renewing:
            if code is None:
                row.email = application.email
                await self.memberships.renew(session, row)
                await session.flush()
                return Outcome("renewed", row)
            row.renewing = True
            row.new_email = application.email
            self._store_code(row, code, now)
            return Outcome("code", row)
        email_changed = row.email != application.email
        row.email = application.email
        row.applied_at = now
        row.reason = None
        if email_changed:
            row.email_verified = False
        if code is not None:
            row.status = CODE
            self._store_code(row, code, now)
            await session.flush()
            return Outcome("code", row)
        row.status = PENDING
        await session.flush()
        return Outcome("queued", row)

    @staticmethod
    async def _check_email_free(session: AsyncSession, guild_id: int, user_id: int, email: str) -> None:
        taken = await session.scalar(
            select(Membership.id).where(
                Membership.guild_id == guild_id, Membership.email == email, Membership.user_id != user_id
            )
        )
        if taken is not None:
            raise DomainError(
                _("This email address is already used by another member. Use your own work address.")
            )

    def _store_code(self, row: Membership, code: str, now: datetime) -> None:
        row.code_hash = self._hash(row.guild_id, row.user_id, code)
        row.code_expires_at = now + CODE_VALIDITY
        row.code_sent_at = now
        row.code_attempts = 0
        row.code_locked_until = None

    async def _mail_code(self, to: str, code: str, server_name: str, language: str) -> None:
        """Mail a code in the member's language; a failure raises (and nothing is stored)."""
        assert self.mailer is not None
        minutes = int(CODE_VALIDITY.total_seconds() // 60)

        def t(text: str, /, **params: object) -> str:
            return translate(text, language, **params)

        lines = [
            t("Your CISIP verification code for {server} is {code}.", server=server_name, code=code),
            t(
                'It is valid for {minutes} minutes. In Discord, press "Enter code" and type it in.',
                minutes=minutes,
            ),
            t("If you did not ask for this code, ignore this email."),
        ]
        subject = t("CISIP verification code: {code}", code=code)
        await self.mailer.send(to, subject, "\n\n".join(lines) + "\n", paragraphs_html(lines))

    @staticmethod
    def _check_lock(row: Membership, now: datetime) -> None:
        locked = row.code_locked_until
        if locked is not None and locked > now:
            raise DomainError(
                _("Too many wrong codes: try again in {minutes} minutes."),
                minutes=max(1, int((locked - now).total_seconds() // 60) + 1),
            )

    def _check_resend(self, row: Membership, now: datetime) -> None:
        self._check_lock(row, now)
        if row.code_sent_at is not None and now - row.code_sent_at < RESEND_COOLDOWN:
            wait = RESEND_COOLDOWN - (now - row.code_sent_at)
            raise DomainError(
                _("A code was sent moments ago: you can ask for a new one in {seconds} seconds."),
                seconds=max(1, int(wait.total_seconds()) + 1),
            )

    async def resend(
        self, guild_id: int, user_id: int, *, server_name: str, language: str = DEFAULT_LANGUAGE
    ) -> Membership:
        """A new code, mailed before it is stored (outside the write lock; nothing is stored when
        the mail fails)."""
        async with self.db.session() as session:
            row = await self._code_row(session, guild_id, user_id)
            self._check_resend(row, self.clock.now())
        code = new_code()
        await self._mail_code(row.new_email or row.email, code, server_name, language)
        async with self.db.transaction() as session:
            await _hold_member(session, guild_id, user_id)
            row = await self._code_row(session, guild_id, user_id)
            now = self.clock.now()
            self._check_resend(row, now)
            self._store_code(row, code, now)
        return row

    def waits_for_code(self, row: Membership) -> bool:
        """Whether this member has a code to enter: a new application, or a renewal that changed the
        email address (only when codes are mailed at all)."""
        return self.mailer is not None and (
            row.status == CODE or (row.renewing and row.new_email is not None)
        )

    async def _code_row(self, session: AsyncSession, guild_id: int, user_id: int) -> Membership:
        if self.mailer is None:
            raise DomainError(_("Email codes are not used on this server."))
        row = await session.scalar(
            select(Membership).where(Membership.guild_id == guild_id, Membership.user_id == user_id)
        )
        if row is None or not self.waits_for_code(row):
            raise DomainError(_("There is no code waiting for you: press Verify to apply."))
        return row

    async def check_code(self, guild_id: int, user_id: int, code: str) -> Outcome:
        code = typed_code(code)
        now = self.clock.now()
        async with self.db.transaction() as session:
            # Wrong tries from several processes at once are all counted.
            await _hold_member(session, guild_id, user_id)
            row = await self._code_row(session, guild_id, user_id)
            self._check_lock(row, now)
            self.codes.hit((guild_id, user_id))
            if row.code_hash is None or row.code_expires_at is None or row.code_expires_at <= now:
                raise DomainError(_("This code has expired: press Resend code to get a new one."))
            failure: DomainError | None = None
            outcome: Outcome | None = None
            if not (
                code.isascii()
                and code.isdigit()
                and hmac.compare_digest(row.code_hash, self._hash(guild_id, user_id, code))
            ):
                # The wrong try is counted (committed) even though the member is refused.
                row.code_attempts += 1
                if row.code_attempts >= MAX_WRONG_CODES:
                    row.code_locked_until = now + LOCK_DURATION
                    row.code_hash = None
                    row.code_attempts = 0
                    failure = DomainError(
                        _("Wrong code 5 times: codes are locked for {minutes} minutes."),
                        minutes=int(LOCK_DURATION.total_seconds() // 60),
                    )
                else:
                    failure = DomainError(
                        _("Wrong code: {left} tries left."), left=MAX_WRONG_CODES - row.code_attempts
                    )
            else:
                row.code_hash = None
                row.code_expires_at = None
                row.code_attempts = 0
                row.email_verified = True
                if row.renewing:
                    assert row.new_email is not None
                    # Another member may have applied with this address since the renewal asked.
                    await hold(session, _email_lock(guild_id, row.new_email))
                    await self._check_email_free(session, guild_id, user_id, row.new_email)
                    row.email = row.new_email
                    row.new_email = None
                    await self.memberships.renew(session, row)
                    outcome = Outcome("renewed", row)
                else:
                    row.status = PENDING
                    outcome = Outcome("verified", row)
        if failure is not None:
            raise failure
        assert outcome is not None
        self.memberships.scheduler.wake()
        if outcome.step == "verified":
            org = await self.memberships.organization_for(guild_id, row.email)
            return Outcome("verified", row, org)
        return outcome
