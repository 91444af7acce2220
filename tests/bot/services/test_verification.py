"""The verification and membership services on every database backend (no Discord)."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import AuditEntry, ScheduledJob
from bot.db.models_members import Membership
from bot.errors import DomainError
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService
from bot.services.audit import AuditService
from bot.services.guild_settings import GuildSettingsService
from bot.services.mail import Mailer, MailSettings
from bot.services.membership import Erased, MembershipPolicy, MembershipService, add_months
from bot.services.personal_data import PersonalDataService
from bot.services.verification import VerificationService, validate_application

START = datetime(2027, 1, 31, 8, 0, tzinfo=UTC)
GUILD = 10**17


class FakeMailer(Mailer):
    def __init__(self) -> None:
        super().__init__(MailSettings("localhost", 25, "none", "verify@example.org"))
        self.sent: list[tuple[str, str]] = []
        self.fail = False

    async def send(self, to: str, subject: str, text: str, html_body: str) -> None:
        if self.fail:
            raise DomainError("The email could not be sent right now. Please try again in a few minutes.")
        self.sent.append((to, text))

    def code(self) -> str:
        found = re.search(r"\b(\d{6})\b", self.sent[-1][1])
        assert found
        return found.group(1)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START, ticking=False)


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def memberships(database: Database, clock: MovableClock) -> MembershipService:
    settings = GuildSettingsService(database, clock)
    return MembershipService(
        database,
        clock,
        Scheduler(database, clock),
        MembershipPolicy(),
        guild_settings=settings,
        access=AccessService(settings),
    )


@pytest.fixture
def verification(
    database: Database, clock: MovableClock, memberships: MembershipService, mailer: FakeMailer
) -> VerificationService:
    return VerificationService(database, clock, memberships, mailer, "k" * 32)


def application(email: str = "ana@uni.example.edu", **changes: str) -> Any:
    values = {
        "full_name": "  Ana   Silva ",
        "organization": "Example University",
        "email": email,
        "country": "Portugal",
        "member_type": "research",
        **changes,
    }
    return validate_application(**values)


async def jobs(database: Database) -> list[tuple[str, str]]:
    async with database.session() as session:
        rows = (await session.execute(select(ScheduledJob.dedupe_key, ScheduledJob.status))).all()
    # Cancelled rows give their dedupe key back (the scheduler clears it).
    return sorted((str(key).split(":", 2)[2] if key else "-", status) for key, status in rows)


def test_months_are_added_with_the_day_clamped() -> None:
    assert add_months(START, 1) == START.replace(month=2, day=28)
    assert add_months(START, 12) == START.replace(year=2028)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)


def test_applications_are_validated_and_normalised() -> None:
    app = application(email="Ana@UNI.Example.edu")
    assert (app.full_name, app.email) == ("Ana Silva", "ana@uni.example.edu")
    with pytest.raises(DomainError, match="not a valid email address"):
        application(email="ana@")
    with pytest.raises(DomainError, match="The name must be at least 2 characters long"):
        application(full_name="A")
    with pytest.raises(DomainError, match="cannot contain mentions"):
        application(organization="@everyone party")
    with pytest.raises(DomainError, match="member type"):
        application(member_type="alien")


async def test_the_code_is_stored_only_as_a_keyed_hash(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    outcome = await verification.apply(GUILD, 1, application(), server_name="CISIP")
    assert outcome.step == "code"
    code = mailer.code()
    row = await memberships.get(GUILD, 1)
    assert row is not None and row.code_hash is not None
    assert code not in row.code_hash and len(row.code_hash) == 64
    verified = await verification.check_code(GUILD, 1, code)
    assert verified.step == "verified" and verified.organization is None
    row = await memberships.get(GUILD, 1)
    assert row is not None and row.status == "pending" and row.email_verified and row.code_hash is None


async def test_a_mail_failure_stores_nothing(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    mailer.fail = True
    with pytest.raises(DomainError, match="could not be sent"):
        await verification.apply(GUILD, 1, application(), server_name="CISIP")
    assert await memberships.get(GUILD, 1) is None


async def test_wrong_codes_lock_and_codes_expire(
    verification: VerificationService, mailer: FakeMailer, clock: MovableClock
) -> None:
    await verification.apply(GUILD, 1, application(), server_name="CISIP")
    right = mailer.code()
    for left in (4, 3, 2, 1):
        with pytest.raises(DomainError) as error:
            await verification.check_code(GUILD, 1, "abc")
        assert error.value.params == {"left": left}
    with pytest.raises(DomainError, match="locked for"):
        await verification.check_code(GUILD, 1, "999999" if right != "999999" else "000000")
    with pytest.raises(DomainError, match="Too many wrong codes"):
        await verification.check_code(GUILD, 1, right)
    clock.advance(minutes=15)
    await verification.resend(GUILD, 1, server_name="CISIP")
    clock.advance(minutes=10)
    with pytest.raises(DomainError, match="expired"):
        await verification.check_code(GUILD, 1, mailer.code())


async def test_one_member_per_email(verification: VerificationService) -> None:
    await verification.apply(GUILD, 1, application(), server_name="CISIP")
    with pytest.raises(DomainError, match="already used by another member"):
        await verification.apply(GUILD, 2, application(email="ANA@uni.example.edu"), server_name="CISIP")
    # Another server is another community.
    await verification.apply(GUILD + 1, 2, application(), server_name="Other")


async def test_organizations_match_subdomains_and_validate(memberships: MembershipService) -> None:
    await memberships.add_organization(GUILD, "Example University", "@Example.EDU", None)
    with pytest.raises(DomainError, match="already registered"):
        await memberships.add_organization(GUILD, "Again", "example.edu", None)
    with pytest.raises(DomainError, match="not an email domain"):
        await memberships.add_organization(GUILD, "Bad", "localhost", None)
    with pytest.raises(DomainError, match="No park matches 'not a slug!'"):
        await memberships.add_organization(GUILD, "Bad park", "park.example.cn", "Not A Slug!")
    org = await memberships.organization_for(GUILD, "ana@uni.example.edu")
    assert org is not None and org.name == "Example University"
    assert await memberships.organization_for(GUILD, "ana@example.edu.evil.com") is None
    assert await memberships.organization_for(GUILD + 1, "ana@example.edu") is None
    removed = await memberships.remove_organization(GUILD, "example.edu")
    assert removed.domain == "example.edu"
    assert await memberships.organizations(GUILD) == []


async def test_the_membership_year_is_on_the_scheduler_exactly_once(
    verification: VerificationService,
    memberships: MembershipService,
    mailer: FakeMailer,
    clock: MovableClock,
    database: Database,
) -> None:
    await verification.apply(GUILD, 1, application(), server_name="CISIP")
    await verification.check_code(GUILD, 1, mailer.code())
    row = await memberships.get(GUILD, 1)
    assert row is not None
    approved = (await memberships.approve(row.id, 42)).membership
    assert approved.expires_at == START.replace(year=2028)
    cycle = int(START.replace(year=2028).timestamp())
    expected = [
        (f"{cycle}:expire", "pending"),
        (f"{cycle}:remind30", "pending"),
        (f"{cycle}:remind7", "pending"),
    ]
    assert await jobs(database) == expected
    assert await memberships.sweep() == 1
    assert await jobs(database) == expected  # idempotent

    # A reminder for an older year is ignored; expiry of the current year ends it.
    assert await memberships.due_reminder(row.id, cycle - 1) is None
    assert await memberships.due_reminder(row.id, cycle) is not None
    ended = await memberships.expire(row.id, cycle)
    assert ended is not None and ended.status == "expired"
    assert await memberships.expire(row.id, cycle) is None


async def test_renewal_starts_a_new_cycle_and_cancels_the_old(
    verification: VerificationService,
    memberships: MembershipService,
    mailer: FakeMailer,
    clock: MovableClock,
    database: Database,
) -> None:
    await verification.apply(GUILD, 1, application(), server_name="CISIP")
    await verification.check_code(GUILD, 1, mailer.code())
    row = await memberships.get(GUILD, 1)
    assert row is not None
    await memberships.approve(row.id, 42)
    clock.advance(days=340)

    # Same email: renewed at once. New email: a code first, then renewed with the new address.
    renewed = await verification.apply(GUILD, 1, application(), server_name="CISIP", renewing=True)
    assert renewed.step == "renewed"
    assert renewed.membership.expires_at == START.replace(year=2029)
    statuses = [status for _, status in await jobs(database)]
    assert statuses.count("cancelled") == 3 and statuses.count("pending") == 3

    clock.advance(minutes=5)
    changed = await verification.apply(
        GUILD, 1, application(email="ana@new.example.org"), server_name="CISIP", renewing=True
    )
    assert changed.step == "code"
    assert mailer.sent[-1][0] == "ana@new.example.org"
    done = await verification.check_code(GUILD, 1, mailer.code())
    assert done.step == "renewed" and done.membership.email == "ana@new.example.org"
    assert done.membership.expires_at == START.replace(year=2030)


async def test_forget_erases_and_anonymises_the_audit(
    verification: VerificationService, memberships: MembershipService, database: Database, clock: MovableClock
) -> None:
    await verification.apply(GUILD, 7, application(), server_name="CISIP")
    async with database.transaction() as session:
        session.add(AuditEntry(guild_id=GUILD, actor_id=7, action="x", summary="did", created_at=clock.now()))
        session.add(
            AuditEntry(
                guild_id=GUILD,
                actor_id=1,
                action="members.approve",
                summary="<@7> (membership #1)",
                created_at=clock.now(),
            )
        )
    erasure = await PersonalDataService(database, clock, [memberships], AuditService(database, clock)).erase(
        GUILD, 7
    )
    erased = erasure.part(Erased)
    assert erased is not None
    number = erased.number
    assert await memberships.get(GUILD, 7) is None
    async with database.session() as session:
        entries = (await session.execute(select(AuditEntry.actor_id, AuditEntry.summary))).all()
        assert (await session.scalar(select(Membership.id))) is None
    assert sorted(entries, key=str) == sorted(
        [(None, "did"), (1, f"member #{number} (membership #1)")], key=str
    )


async def test_export_protects_spreadsheets(
    verification: VerificationService, memberships: MembershipService
) -> None:
    await verification.apply(GUILD, 1, application(organization="=HYPERLINK(evil)"), server_name="CISIP")
    data = (await memberships.export_csv(GUILD)).decode("utf-8-sig")
    assert data.splitlines()[0].startswith("user_id,status,full_name")
    assert "'=HYPERLINK(evil)" in data


# -- the real mailer against a local SMTP server --------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_the_mailer_sends_text_and_html(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = Mailer(MailSettings("127.0.0.1", port, "none", "verify@cisip.example.org"))
    await mailer.send("ana@example.org", "Code", "Your code is 123456.", "<p>Your code is 123456.</p>")
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ana@example.org"]
    message = message_from_bytes(envelope.content)
    assert message["From"] == "verify@cisip.example.org"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


async def test_an_unreachable_or_non_tls_server_is_a_clear_error(
    smtp: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    # STARTTLS demanded from a server that does not offer it: refused, and the address not logged.
    mailer = Mailer(MailSettings("127.0.0.1", port, "starttls", "verify@cisip.example.org", timeout=5))
    with pytest.raises(DomainError, match="could not be sent"):
        await mailer.send("secret.person@example.org", "Code", "x", "<p>x</p>")
    assert inbox.envelopes == []
    assert "secret.person" not in caplog.text
    assert "@example.org" in caplog.text or caplog.text == ""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = int(sock.getsockname()[1])
    with pytest.raises(DomainError, match="could not be sent"):
        await Mailer(MailSettings("127.0.0.1", closed_port, "tls", "v@example.org", timeout=2)).send(
            "a@example.org", "s", "t", "<p>h</p>"
        )


async def test_a_server_can_set_its_own_membership_year(memberships: MembershipService) -> None:
    assert await memberships.policy_for(GUILD) == MembershipPolicy()
    policy = await memberships.set_policy(GUILD, months=24, reminder_days="7, 60,7")
    assert (policy.months, policy.reminder_days, policy.grace, policy.nicknames) == (
        24,
        (60, 7),
        timedelta(days=7),
        False,
    )
    assert (await memberships.set_policy(GUILD, nicknames=True)).months == 24
    assert await memberships.policy_for(GUILD + 1) == MembershipPolicy()
    for bad in ({"months": 0}, {"grace_days": 400}, {"reminder_days": "1,2,3,4,5,6"}, {"reminder_days": "0"}):
        with pytest.raises(DomainError):
            await memberships.set_policy(GUILD, **bad)  # type: ignore[arg-type]
    assert (await memberships.policy_for(GUILD)).months == 24


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_the_mailer_speaks_starttls_and_implicit_tls(
    security: str, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    options: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_context}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    if security == "tls":
        # The controller checks that its server is up by connecting; let it trust our certificate.
        controller.ssl_context = server_context
    controller.start()
    try:
        mailer = Mailer(
            MailSettings("127.0.0.1", port, security, "verify@cisip.example.org", tls_context=client_context)
        )
        await mailer.send("ana@example.org", "Code", "Your code is 123456.", "<p>123456</p>")
        # Without the certificate's authority the connection is refused: certificates are checked.
        with pytest.raises(DomainError, match="could not be sent"):
            await Mailer(MailSettings("127.0.0.1", port, security, "v@example.org", timeout=5)).send(
                "b@example.org", "s", "t", "<p>h</p>"
            )
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["ana@example.org"]]


async def test_the_code_mail_is_written_in_the_members_language(
    verification: VerificationService, mailer: FakeMailer
) -> None:
    await verification.apply(GUILD, 1, application(), server_name="CISIP", language="zh-CN")
    chinese = mailer.sent[-1][1]
    assert chinese.startswith(f"您在 CISIP 的 CISIP 验证码是 {mailer.code()} 。")
    assert "Your CISIP verification code" not in chinese
    await verification.apply(GUILD, 2, application(email="bo@uni.example.edu"), server_name="CISIP")
    assert mailer.sent[-1][1].startswith(f"Your CISIP verification code for CISIP is {mailer.code()}.")
    assert "验证码" not in mailer.sent[-1][1]


def test_reminder_days_take_a_chinese_keyboards_commas() -> None:
    from bot.services.membership import parse_reminder_days

    assert parse_reminder_days("30, 7") == (30, 7)
    assert parse_reminder_days("7，30") == (30, 7)
    assert parse_reminder_days("60、30，7") == (60, 30, 7)
