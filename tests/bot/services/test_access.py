"""The rules every capability asks, each with one answer: who is staff, who is a verified member,
which role may be pinged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db.database import Database
from bot.errors import DomainError
from bot.i18n import translate
from bot.scheduler import MovableClock
from bot.services.access import Person, RoleFacts, StaffRule, ping_refusal
from bot.services.container import Services
from bot.services.verification import validate_application

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GUILD = 1
STAFF_ROLE, VERIFIED_ROLE, OTHER_ROLE = 10, 11, 12
OWNER = 99


def test_staff_are_owners_managers_of_the_server_or_holders_of_the_staff_role() -> None:
    rule = StaffRule(frozenset({OWNER}), STAFF_ROLE)
    assert rule.admits(Person(OWNER, None))  # owners everywhere, even in a DM
    assert rule.admits(Person(5, GUILD, manages_server=True))
    assert rule.admits(Person(5, GUILD, frozenset({STAFF_ROLE})))
    assert not rule.admits(Person(5, GUILD, frozenset({OTHER_ROLE})))
    assert not rule.admits(Person(5, None, frozenset({STAFF_ROLE})))  # no server, no staff role
    assert not StaffRule(frozenset(), None).admits(Person(5, GUILD, frozenset({STAFF_ROLE})))


@pytest.fixture
def services(database: Database, tmp_path: Path) -> Services:
    settings = Settings(
        discord_token=None,
        database_url="sqlite+aiosqlite://",
        data_dir=tmp_path,
        owner_ids=frozenset({OWNER}),
    )
    return Services.build(settings, database, MovableClock(NOW, ticking=False))


async def approved_member(services: Services, user_id: int) -> None:
    application = validate_application(
        "Ana Silva", "Example University", f"u{user_id}@uni.example.edu", "Brazil", "park"
    )
    outcome = await services.verification.apply(GUILD, user_id, application, server_name="CISIP")
    await services.memberships.approve(outcome.membership.id, OWNER)


async def test_the_member_gate_has_one_answer(services: Services) -> None:
    memberships = services.memberships
    await approved_member(services, 3)

    # No roles set up: staff and approved members count, nobody else; the refusal says what is missing.
    assert await memberships.is_verified_member(Person(5, GUILD, manages_server=True))
    assert await memberships.is_verified_member(Person(3, GUILD))
    assert not await memberships.is_verified_member(Person(4, GUILD, frozenset({VERIFIED_ROLE})))
    with pytest.raises(DomainError) as refused:
        await memberships.require_verified_member(Person(4, GUILD))
    assert "no verified role is set up" in translate(refused.value.message)

    await services.guild_settings.set_role(GUILD, "verified", VERIFIED_ROLE)
    await services.guild_settings.set_role(GUILD, "staff", STAFF_ROLE)
    assert await memberships.is_verified_member(Person(4, GUILD, frozenset({VERIFIED_ROLE})))  # given by hand
    assert await memberships.is_verified_member(Person(6, GUILD, frozenset({STAFF_ROLE})))
    assert await memberships.is_verified_member(Person(3, GUILD))  # roles not given yet
    assert not await memberships.is_verified_member(Person(7, GUILD, frozenset({OTHER_ROLE})))
    assert not await memberships.is_verified_member(Person(3, None))  # outside the server
    with pytest.raises(DomainError) as refused:
        await memberships.require_verified_member(Person(7, GUILD))
    assert (
        translate(refused.value.message) == "This is for verified CISIP members: press Verify to become one."
    )

    # Loaded once for a whole server (a fan-out), the gate answers the same.
    gate = await memberships.gate(GUILD)
    for person in (Person(3, GUILD), Person(4, GUILD, frozenset({VERIFIED_ROLE})), Person(7, GUILD)):
        assert gate.admits(person) == await memberships.is_verified_member(person)


async def test_revoked_and_expired_members_are_not_verified(services: Services) -> None:
    await approved_member(services, 3)
    await services.memberships.revoke(GUILD, 3, OWNER, "left")
    assert not await services.memberships.is_verified_member(Person(3, GUILD))


def role(**changes: object) -> RoleFacts:
    values: dict[str, object] = {
        "id": 20,
        "label": "@Parks",
        "is_everyone": False,
        "managed": False,
        "mentionable": True,
    }
    values.update(changes)
    return RoleFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "may_mention_every_role", "refusal"),
    [
        (role(), False, None),
        (role(mentionable=False), True, None),
        (role(mentionable=False), False, "I cannot ping @Parks in #news: make the role mentionable"),
        (role(is_everyone=True), True, "The bot never pings @everyone: choose a role."),
        (role(managed=True), True, "@Parks belongs to an integration and cannot be pinged"),
    ],
)
def test_which_role_may_be_pinged(
    facts: RoleFacts, may_mention_every_role: bool, refusal: str | None
) -> None:
    found = ping_refusal(facts, may_mention_every_role=may_mention_every_role, where="#news")
    if refusal is None:
        assert found is None
    else:
        assert found is not None and translate(found.message, None, **found.params).startswith(refusal)
