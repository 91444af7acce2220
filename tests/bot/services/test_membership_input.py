"""Hostile input to the membership and verification services (no Discord): every text they accept
is cleaned by its field (``bot.fields``) before any rule looks at it, every number is checked, and a
refusal stores nothing. Services are also called by the CLI and imports, so nothing here relies on
Discord or on the cog having checked first."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models_members import MemberOrganization, Membership
from bot.db.models_parks import Park
from bot.errors import DomainError, NotFound
from bot.scheduler import MovableClock, Scheduler
from bot.services.access import AccessService
from bot.services.guild_settings import GuildSettingsService
from bot.services.membership import MembershipPolicy, MembershipService, member_nickname
from bot.services.verification import Application, VerificationService, validate_application
from tests.bot.services.test_verification import FakeMailer

START = datetime(2027, 1, 31, 8, 0, tzinfo=UTC)
GUILD = 10**17
STAFF = 42

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
HANGUL_FILLER = "\u3164\u3164\u3164"
BIDI = "\u202e\u2066"
HUGE = "9" * 40
LONG = "x" * 6000

APPLICATION = {
    "full_name": "Ana Silva",
    "organization": "Example University",
    "email": "ana@uni.example.edu",
    "country": "Portugal",
    "member_type": "research",
}


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


async def rows(database: Database, model: Any) -> list[Any]:
    async with database.session() as session:
        return list((await session.scalars(select(model))).all())


def refusal(error: pytest.ExceptionInfo[DomainError]) -> str:
    return str(error.value)


# -- the application form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", ZERO_WIDTH, "The name cannot be empty."),
        ("full_name", HANGUL_FILLER, "The name cannot be empty."),
        ("full_name", BIDI + "\x00", "The name cannot be empty."),
        ("full_name", "A" + ZERO_WIDTH, "The name must be at least 2 characters long."),
        ("full_name", LONG, "The name can be at most 100 characters long, not 6,000."),
        ("organization", ZERO_WIDTH, "The organization cannot be empty."),
        ("organization", "\u2800\u2800", "The organization cannot be empty."),
        ("organization", LONG, "The organization can be at most 100 characters long, not 6,000."),
        ("country", ZERO_WIDTH + " ", "The country cannot be empty."),
        ("country", HANGUL_FILLER, "The country cannot be empty."),
        ("country", "P" * 61, "The country can be at most 60 characters long, not 61."),
        ("email", ZERO_WIDTH, "The email address cannot be empty."),
        ("email", LONG, "The email address can be at most 254 characters long, not 6,000."),
        ("email", "ana\x00@", "'ana@' is not a valid email address: check it and try again."),
        ("member_type", "alien", "Choose your member type from the list."),
        ("member_type", ["park"], "Choose your member type from the list."),
    ],
)
def test_the_form_refuses_invisible_and_impossible_values(field: str, value: Any, message: str) -> None:
    with pytest.raises(DomainError) as error:
        validate_application(**{**APPLICATION, field: value})
    assert refusal(error) == message


def test_the_form_keeps_what_people_see() -> None:
    app = validate_application(
        full_name=f"{BIDI}Ana\x00 {ZERO_WIDTH}Silva\u202c",
        organization=" Example\tUniversity\n",
        email=f" Ana{ZERO_WIDTH}@UNI.example.edu\x00",
        country="Portugal\u200f",
        member_type="research",
    )
    assert app == Application(
        "Ana Silva", "Example University", "ana@uni.example.edu", "Portugal", "research"
    )
    # Joiners inside a word are kept (they shape the text); Chinese and accents survive.
    kept = validate_application(**{**APPLICATION, "full_name": "李\u200d伟", "country": "Cabo Verde"})
    assert kept.full_name == "李\u200d伟"
    assert validate_application(**{**APPLICATION, "full_name": "Jose\u0301"}).full_name == "José"


async def test_an_application_built_without_the_form_is_cleaned_or_refused(
    verification: VerificationService, database: Database
) -> None:
    """The CLI (or a test) may build an Application itself: the service cleans it again."""
    raw = Application(ZERO_WIDTH, "Example University", "ana@uni.example.edu", "Portugal", "research")
    with pytest.raises(DomainError, match=re.escape("The name cannot be empty.")):
        await verification.apply(GUILD, 1, raw, server_name="CISIP")
    assert await rows(database, Membership) == []
    dirty = Application("Ana\x00 Silva\u202e", "Org\u200b", "ANA@uni.example.edu", "PT\x00", "research")
    await verification.apply(GUILD, 1, dirty, server_name="CISIP")
    [row] = await rows(database, Membership)
    assert (row.full_name, row.organization, row.email, row.country) == (
        "Ana Silva",
        "Org",
        "ana@uni.example.edu",
        "PT",
    )


# -- the code form ---------------------------------------------------------------------------------


async def test_the_code_form_takes_anything_typed(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    await verification.apply(GUILD, 1, validate_application(**APPLICATION), server_name="CISIP")
    right = mailer.code()
    for nothing in (ZERO_WIDTH, " ", HANGUL_FILLER, "\x00"):
        with pytest.raises(DomainError, match=re.escape("The code cannot be empty.")):
            await verification.check_code(GUILD, 1, nothing)
    with pytest.raises(
        DomainError, match=re.escape("The code can be at most 10 characters long, not 6,000.")
    ):
        await verification.check_code(GUILD, 1, LONG)
    # Refusals of the form itself are not wrong tries.
    row = await memberships.get(GUILD, 1)
    assert row is not None and row.code_attempts == 0
    for wrong, left in (("٣٣٣٣٣٣", 4), ("²²²²²²", 3), (HUGE[:10], 2)):
        with pytest.raises(DomainError) as error:
            await verification.check_code(GUILD, 1, wrong)
        assert error.value.params == {"left": left}
    # A Chinese keyboard's full-width digits, spaces and stray invisible characters are forgiven.
    typed = " ".join(chr(ord(digit) - ord("0") + ord("０")) for digit in right[:3]) + "\u200b" + right[3:]
    outcome = await verification.check_code(GUILD, 1, typed)
    assert outcome.step == "verified"


# -- staff decisions -------------------------------------------------------------------------------


async def pending(verification: VerificationService, mailer: FakeMailer, user_id: int = 1) -> Membership:
    email = f"user{user_id}@uni.example.edu"
    await verification.apply(
        GUILD, user_id, validate_application(**{**APPLICATION, "email": email}), server_name="CISIP"
    )
    return (await verification.check_code(GUILD, user_id, mailer.code())).membership


async def test_a_reject_reason_is_cleaned_or_refused_and_nothing_changes_on_a_refusal(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    row = await pending(verification, mailer)
    for reason, message in [
        (ZERO_WIDTH, "The reason cannot be empty."),
        (HANGUL_FILLER, "The reason cannot be empty."),
        ("x" * 501, "The reason can be at most 500 characters long, not 501."),
        (LONG, "The reason can be at most 500 characters long, not 6,000."),
    ]:
        with pytest.raises(DomainError) as error:
            await memberships.reject(row.id, STAFF, reason)
        assert refusal(error) == message
        current = await memberships.get(GUILD, 1)
        assert current is not None and current.status == "pending" and current.reason is None
    rejected = await memberships.reject(row.id, STAFF, f"{BIDI}Not a\x00 member\r\n\r\n\r\n\r\norganization ")
    assert rejected.reason == "Not a member\n\norganization"


async def test_a_revoke_reason_is_optional_but_never_invisible(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    row = await pending(verification, mailer)
    await memberships.approve(row.id, STAFF)
    with pytest.raises(DomainError, match=re.escape("The reason cannot be empty.")):
        await memberships.revoke(GUILD, 1, STAFF, ZERO_WIDTH)
    with pytest.raises(DomainError, match="at most 500 characters"):
        await memberships.revoke(GUILD, 1, STAFF, LONG)
    current = await memberships.get(GUILD, 1)
    assert current is not None and current.status == "approved"
    revoked = await memberships.revoke(GUILD, 1, STAFF, "left\x00 the park")
    assert (revoked.status, revoked.reason) == ("revoked", "left the park")


async def test_a_question_for_the_member_is_cleaned(
    verification: VerificationService, mailer: FakeMailer, memberships: MembershipService
) -> None:
    row = await pending(verification, mailer)
    with pytest.raises(DomainError, match=re.escape("The question cannot be empty.")):
        await memberships.question_about(row.id, ZERO_WIDTH)
    with pytest.raises(DomainError, match="The question can be at most 500 characters long"):
        await memberships.question_about(row.id, LONG)
    found, question = await memberships.question_about(row.id, f"{BIDI}Which\x00 park?\n")
    assert (found.id, question) == (row.id, "Which park?")


@pytest.mark.parametrize("number", [0, -1, 2**63, 10**30])
async def test_an_application_number_of_any_size_is_one_that_is_gone(
    memberships: MembershipService, number: int
) -> None:
    gone = re.escape("This application no longer exists (the member may have erased their data).")
    with pytest.raises(NotFound, match=gone):
        await memberships.get_by_id(number)
    with pytest.raises(NotFound, match=gone):
        await memberships.approve(number, STAFF)
    with pytest.raises(NotFound, match=gone):
        await memberships.reject(number, STAFF, "no")
    with pytest.raises(NotFound, match=gone):
        await memberships.question_about(number, "why?")


def test_nicknames_built_from_names_fit_discord() -> None:
    def nickname(name: str, organization: str) -> str:
        return member_nickname(Membership(full_name=name, organization=organization))

    assert nickname("Nora", "Tech Park") == "Nora · Tech Park"
    for name, organization in [
        ("N" * 100, "O" * 100),
        ("李" * 100, "中关村科技园区" * 14),
        ("Nora Abcdefghijklmnopqrstu", "Tech Park"),
        ("N" * 29, "Tech Park"),  # cut at the separator: no dangling "·"
        ("Ana" + " " * 40, "Org"),
    ]:
        nick = nickname(name, organization)
        assert 1 <= len(nick) <= 32, nick
        assert not nick.endswith((" …", "·…")), nick
    assert nickname("Nora Abcdefghijklmnopqrstu", "Tech Park") == "Nora Abcdefghijklmnopqrstu · Te…"
    assert nickname("N" * 29, "Tech Park") == "N" * 29 + "…"


# -- member organizations --------------------------------------------------------------------------


@pytest.fixture
async def parks(database: Database) -> None:
    async with database.transaction() as session:
        for slug, name, local in [
            ("zhongguancun", "Zhongguancun Science Park", "中关村科技园区"),
            ("tuspark", "Tsinghua University Science Park", "清华科技园"),
            ("twin-a", "Twin Park", ""),
            ("twin-b", "Twin Park", ""),
        ]:
            session.add(
                Park(
                    slug=slug,
                    name=name,
                    local_name=local,
                    country="CN",
                    region="East Asia",
                    created_at=START,
                    updated_at=START,
                )
            )
        session.add(
            Park(
                slug="gone",
                name="Gone Park",
                country="CN",
                region="East Asia",
                created_at=START,
                updated_at=START,
                removed_at=START,
            )
        )


@pytest.mark.usefixtures("parks")
@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("zhongguancun", "zhongguancun"),  # what the directory resolves every park option to
        (" ZhongGuanCun\u200b ", "zhongguancun"),
        (f"{BIDI}tus\x00park", "tuspark"),
    ],
)
async def test_an_organization_s_park_is_a_listed_park(
    memberships: MembershipService, typed: str, slug: str
) -> None:
    assert (await memberships.listed_park(typed)).slug == slug


@pytest.mark.usefixtures("parks")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (HUGE, f"No park matches '{HUGE}'."),
        ("12", "No park matches '12'."),
        ("gone", "No park matches 'gone'."),  # removed from the directory
        ("Zhongguancun Science Park", "No park matches 'zhongguancun science park'."),  # a name, not an id
        ("Robert'); DROP TABLE parks;--", "No park matches 'robert'); drop table parks;--'."),
        ("%", "No park matches '%'."),
        (ZERO_WIDTH, "The park cannot be empty."),
        ("\x00", "The park cannot be empty."),
        (LONG, "The park can be at most 200 characters long, not 6,000."),
    ],
)
async def test_any_other_park_is_refused_clearly(
    memberships: MembershipService, typed: str, message: str
) -> None:
    with pytest.raises(DomainError) as error:
        await memberships.listed_park(typed)
    assert refusal(error) == message


@pytest.mark.usefixtures("parks")
async def test_organizations_are_cleaned_or_refused_and_nothing_is_stored_on_a_refusal(
    memberships: MembershipService, database: Database
) -> None:
    for name, domain, park, message in [
        (ZERO_WIDTH, "example.org", None, "The organization cannot be empty."),
        (HANGUL_FILLER, "example.org", None, "The organization cannot be empty."),
        (LONG, "example.org", None, "The organization can be at most 100 characters long, not 6,000."),
        ("Example", ZERO_WIDTH, None, "The domain cannot be empty."),
        ("Example", "@" + ZERO_WIDTH + "a.b", None, "The domain must be at least 4 characters long."),
        ("Example", LONG, None, "The domain can be at most 253 characters long, not 6,000."),
        (
            "Example",
            "exa mple.org",
            None,
            "'exa mple.org' is not an email domain: give one like tsinghua.edu.cn.",
        ),
        ("Example", "example.org", HUGE, f"No park matches '{HUGE}'."),
        ("Example", "example.org", ZERO_WIDTH, "The park cannot be empty."),
        ("Example", "example.org", LONG, "The park can be at most 200 characters long, not 6,000."),
    ]:
        with pytest.raises(DomainError) as error:
            await memberships.add_organization(GUILD, name, domain, park)
        assert refusal(error) == message
    assert await rows(database, MemberOrganization) == []

    org = await memberships.add_organization(
        GUILD, f"{BIDI}Tsinghua\x00 University{ZERO_WIDTH}", " @Tsing\u200bhua.EDU.cn\x00", "tuspark"
    )
    assert (org.name, org.domain, org.park_slug) == ("Tsinghua University", "tsinghua.edu.cn", "tuspark")
    with pytest.raises(DomainError, match=re.escape("The domain tsinghua.edu.cn is already registered.")):
        await memberships.add_organization(GUILD, "Again", "TSINGHUA.edu.cn\u200b", None)
    for typed, message in [
        (ZERO_WIDTH, "The domain cannot be empty."),
        (LONG, "The domain can be at most 253 characters long, not 6,000."),
        (HUGE, f"No organization has the domain {HUGE}."),
    ]:
        with pytest.raises(DomainError) as error:
            await memberships.remove_organization(GUILD, typed)
        assert refusal(error) == message
    removed = await memberships.remove_organization(GUILD, "@TSINGHUA.edu.cn\x00")
    assert removed.domain == "tsinghua.edu.cn"
    assert await rows(database, MemberOrganization) == []


# -- the membership year and member-type roles -----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"months": 0}, "The months must be from 1 to 120."),
        ({"months": 121}, "The months must be from 1 to 120."),
        ({"months": 10**30}, "The months must be from 1 to 120."),
        ({"months": float("nan")}, "The months must be a whole number."),
        ({"months": 1.5}, "The months must be a whole number."),
        ({"months": "12"}, "The months must be a whole number."),
        ({"grace_days": -1}, "The grace days must be from 0 to 365."),
        ({"grace_days": 2**64}, "The grace days must be from 0 to 365."),
        ({"reminder_days": ZERO_WIDTH}, "The reminders cannot be empty."),
        ({"reminder_days": LONG}, "The reminders can be at most 64 characters long, not 6,000."),
        (
            {"reminder_days": "30,0"},
            "Reminders: up to 5 day counts from 1 to 365, such as 30,7 (not '30,0').",
        ),
        ({"reminder_days": "٣٠"}, "Reminders: up to 5 day counts from 1 to 365, such as 30,7 (not '٣٠')."),
        ({"reminder_days": "1,2,3,4,5,6"}, "Reminders: up to 5 day counts from 1 to 365, such as 30,7"),
        # One bad value refuses the whole change: the good one is not stored either.
        ({"months": 6, "reminder_days": "soon"}, "Reminders: up to 5 day counts"),
    ],
)
async def test_the_membership_year_refuses_impossible_settings(
    memberships: MembershipService, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError) as error:
        await memberships.set_policy(GUILD, **changes)
    assert refusal(error).startswith(message)
    assert await memberships.policy_for(GUILD) == MembershipPolicy()


async def test_the_membership_year_takes_cleaned_reminders(memberships: MembershipService) -> None:
    policy = await memberships.set_policy(GUILD, reminder_days=f"{BIDI}30\x00，７{ZERO_WIDTH}", months=6)
    assert (policy.reminder_days, policy.months) == ((30, 7), 6)


async def test_the_process_default_may_hold_more_reminders_than_staff_may_type(
    database: Database, clock: MovableClock
) -> None:
    settings = GuildSettingsService(database, clock)
    memberships = MembershipService(
        database,
        clock,
        Scheduler(database, clock),
        MembershipPolicy(reminder_days=(60, 30, 14, 7, 3, 1)),
        guild_settings=settings,
        access=AccessService(settings),
    )
    changed = await memberships.set_policy(GUILD, months=6)
    assert changed.reminder_days == (60, 30, 14, 7, 3, 1)
    assert (await memberships.policy_for(GUILD)).months == 6


async def test_member_type_roles_check_the_type_and_the_role(memberships: MembershipService) -> None:
    for member_type, role_id, message in [
        ("alien", 5, "Choose your member type from the list."),
        ("park", 0, "The role must be from 1 to 9,223,372,036,854,775,807."),
        ("park", 2**64, "The role must be from 1 to 9,223,372,036,854,775,807."),
    ]:
        with pytest.raises(DomainError) as error:
            await memberships.set_type_role(GUILD, member_type, role_id)
        assert refusal(error) == message
    assert await memberships.type_roles(GUILD) == {}
    await memberships.set_type_role(GUILD, "park", 2**63 - 1)
    assert await memberships.type_roles(GUILD) == {"park": 2**63 - 1}
