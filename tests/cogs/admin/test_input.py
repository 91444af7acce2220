"""/setup against careless and hostile input, end to end: a role or channel missing from the
interaction's resolved data is refused before the command runs, the zone is cleaned by the service,
and the zone autocomplete answers staff only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry, GuildSettings
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e


def admin_of(cisip: BotHarness) -> Member:
    discord = cisip.discord
    return discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])


async def stored_settings(cisip: BotHarness) -> GuildSettings | None:
    async with cisip.bot.db.session() as session:
        return await session.get(GuildSettings, cisip.discord.guild.id)


async def audit_actions(cisip: BotHarness) -> list[str]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(AuditEntry.action))).all())


async def test_a_role_missing_from_the_resolved_data_is_refused_and_nothing_is_saved(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    staff = discord.add_role("Staff", mentionable=True)
    reply = await cisip.discord.slash_unchecked(
        admin, "setup role", {"purpose": "staff", "role": staff}, role=None
    )
    assert reply.ephemeral
    assert (
        reply.content
        == "Discord did not send the role picked for `role` (was it just deleted?): pick it again."
    )
    assert await stored_settings(cisip) is None
    assert await audit_actions(cisip) == []


async def test_a_channel_missing_from_the_resolved_data_is_refused_and_nothing_is_saved(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    values = {"purpose": "welcome", "channel": discord.channel("general")}
    reply = await cisip.discord.slash_unchecked(admin, "setup channel", values, channel=None)
    assert reply.ephemeral
    assert reply.content == (
        "Discord did not send the channel picked for `channel` (was it just deleted?): pick it again."
    )
    assert await stored_settings(cisip) is None


async def test_a_zone_is_cleaned_and_an_oversized_one_refused(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    command = next(c for c in discord.commands() if c["name"] == "setup")
    zone = next(o for sub in command["options"] if sub["name"] == "timezone" for o in sub["options"])
    assert (zone["min_length"], zone["max_length"]) == (1, 64)

    too_long = await cisip.discord.slash_unchecked(
        admin, "setup timezone", {"zone": "UTC"}, zone="Europe/Berlin" * 500
    )
    assert too_long.content == "The option `zone` takes at most 64 characters."
    blank = await discord.slash(admin, "setup timezone", zone="\u200b\u200b")
    assert blank.content == "The time zone cannot be empty."
    assert await stored_settings(cisip) is None

    reply = await discord.slash(admin, "setup timezone", zone="\u200basia/shanghai\u202e")
    assert reply.content == "Time zone set to Asia/Shanghai."
    row = await stored_settings(cisip)
    assert row is not None and row.timezone == "Asia/Shanghai"


async def test_the_zone_autocomplete_answers_staff_only(cisip: BotHarness) -> None:
    discord = cisip.discord
    mallory = discord.add_member("mallory")
    assert await discord.autocomplete(mallory, "setup timezone", "zone", "shang") == []
    choices = await discord.autocomplete(admin_of(cisip), "setup timezone", "zone", "shang")
    assert choices[0]["value"] == "Asia/Shanghai"
