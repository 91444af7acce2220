"""/setup show says whether Discord shows the staff commands to the staff role, as far as Discord
lets the bot know (GET .../guilds/{guild}/commands/permissions), with the clicks that fix it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from cogs.admin._visibility import RegisteredCommand, role_sees
from tests.cogs.admin.test_setup_and_status import field
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member, Role

pytestmark = pytest.mark.e2e

STAFF_COMMANDS = ["calendar", "members", "park-admin", "report-admin", "setup", "workshop-admin"]
EVERY = "/calendar, /members, /park-admin, /report-admin, /setup, and /workshop-admin"
CLICKS = (
    "To fix it: Server Settings > Integrations > CISIP Bot > Manage, then click each of these commands "
    "and allow {role} under Roles & Members"
)


async def set_up(cisip: BotHarness, *, permissions: int = 0, locale: str = "en-US") -> tuple[Member, Role]:
    """An admin (Manage Server) and the staff role, chosen with /setup role."""
    discord = cisip.discord
    admin = discord.add_member(
        "sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)], locale=locale
    )
    staff = discord.add_role("Staff", permissions=permissions)
    await discord.slash(admin, "setup role", purpose="staff", role=staff)
    return admin, staff


async def shown(cisip: BotHarness, admin: Member) -> dict[str, Any]:
    reply = await cisip.discord.slash(admin, "setup show")
    assert reply.ephemeral and reply.embeds, reply
    return reply.embeds[0]


async def staff_line(cisip: BotHarness, admin: Member) -> str:
    return field(await shown(cisip, admin), "Staff commands")


async def test_without_overwrites_the_line_names_every_staff_command_and_the_clicks(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    # No staff role: nothing to say.
    embed = await shown(cisip, admin)
    assert "Staff commands" not in [f["name"] for f in embed["fields"]]

    staff = discord.add_role("Staff")
    await discord.slash(admin, "setup role", purpose="staff", role=staff)
    assert await staff_line(cisip, admin) == (
        f"⚠️ Discord does not show {EVERY} to {staff.mention}: they need Manage Server. "
        + CLICKS.format(role=staff.mention)
        + " (allowing it for the whole app is not enough)."
    )


async def test_an_app_level_allow_still_leaves_manage_server_and_command_level_allows_show_them(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin, staff = await set_up(cisip)
    # Discord: an app-level allow works together with each command's default permissions.
    discord.set_command_permission(staff, True)
    assert EVERY in await staff_line(cisip, admin)

    for name in STAFF_COMMANDS[:-1]:
        discord.set_command_permission(staff, True, command=name)
    assert "Discord does not show /workshop-admin to" in await staff_line(cisip, admin)
    discord.set_command_permission(staff, True, command="workshop-admin")
    assert await staff_line(cisip, admin) == f"✅ {staff.mention} can see every staff command"

    # A command-level overwrite for the role wins over @everyone's, and a deny hides it.
    discord.set_command_permission(discord.guild.everyone, True, command="setup")
    discord.set_command_permission(staff, False, command="setup")
    assert "Discord does not show /setup to" in await staff_line(cisip, admin)
    # Without the role's own, the @everyone overwrite applies to the role's members too.
    discord.set_command_permission(staff, None, command="setup")
    assert await staff_line(cisip, admin) == f"✅ {staff.mention} can see every staff command"


async def test_a_staff_role_with_manage_server_sees_them_unless_an_overwrite_denies(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin, staff = await set_up(cisip, permissions=Perm.MANAGE_GUILD)
    assert await staff_line(cisip, admin) == f"✅ {staff.mention} can see every staff command"

    discord.set_command_permission(staff, True)
    discord.set_command_permission(staff, False, command="setup")
    assert await staff_line(cisip, admin) == (
        f"⚠️ Discord does not show /setup to {staff.mention}: an overwrite denies them. "
        + CLICKS.format(role=staff.mention)
        + "."
    )
    # An app-level deny for @everyone hides every command from a role that has no overwrite of its own.
    discord.set_command_permission(staff, None)
    discord.set_command_permission(discord.guild.everyone, False)
    assert EVERY in await staff_line(cisip, admin)

    # Administrator sees every command, whatever the overwrites.
    discord.edit_role(staff, permissions=Perm.ADMINISTRATOR)
    assert await staff_line(cisip, admin) == f"✅ {staff.mention} can see every staff command"


async def test_when_discord_does_not_tell_the_line_is_left_out_without_an_error(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin, _ = await set_up(cisip)
    route = "/applications/{application_id}/guilds/{guild_id}/commands/permissions"

    discord.refuse_command_permissions()
    embed = await shown(cisip, admin)
    assert "Staff commands" not in [f["name"] for f in embed["fields"]]
    assert field(embed, "Roles")  # the rest of the settings are there
    assert [r.status for r in discord.em.requests_to("GET", route)][-1] == 403

    discord.refuse_command_permissions(False)
    discord.faults.hang("GET", "/applications/*/guilds/*/commands/permissions")
    embed = await shown(cisip, admin)
    assert "Staff commands" not in [f["name"] for f in embed["fields"]]


async def test_the_line_reads_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin, staff = await set_up(cisip, locale="zh-CN")
    reply = await discord.slash(admin, "setup show")
    line = field(reply.embeds[0], "工作人员命令")
    assert line == (
        f"⚠️ Discord 不向 {staff.mention} 显示 /calendar、/members、/park-admin、/report-admin、/setup和"
        "/workshop-admin：这些命令需要“管理服务器”权限。"
        "解决方法：在“服务器设置 > 整合 > CISIP Bot > 管理”中，"
        f"逐一点击这些命令，并在“身份组和成员”下允许 {staff.mention}（只对整个应用允许是不够的）。"
    )
    for name in STAFF_COMMANDS:
        discord.set_command_permission(staff, True, command=name)
    reply = await discord.slash(admin, "setup show")
    assert field(reply.embeds[0], "工作人员命令") == f"✅ {staff.mention} 能看到所有工作人员命令"


async def test_the_emulator_serves_one_command_s_permissions_as_discord_does(cisip: BotHarness) -> None:
    discord = cisip.discord
    staff = discord.add_role("Staff")
    setup = next(c for c in discord.commands() if c["name"] == "setup")
    base = f"{discord.api_base_url}/applications/{discord.application_id}/guilds/{discord.guild.id}/commands"
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{base}/{setup['id']}/permissions") as response:
            assert response.status == 404
            assert (await response.json())["code"] == 10066  # Unknown application command permissions
        discord.set_command_permission(staff, False, command="setup")
        async with http.get(f"{base}/{setup['id']}/permissions") as response:
            assert await response.json() == {
                "id": setup["id"],
                "application_id": str(discord.application_id),
                "guild_id": str(discord.guild.id),
                "permissions": [{"id": str(staff.id), "type": 1, "permission": False}],
            }
        async with http.get(f"{base}/permissions") as response:
            assert [entry["id"] for entry in await response.json()] == [setup["id"]]


def test_command_level_overwrites_override_the_app_level_and_the_default_permissions() -> None:
    guild, app, role = 10, 20, 30
    setup = RegisteredCommand(1, "setup", Perm.MANAGE_GUILD)

    def sees(overwrites: dict[int, dict[int, bool]], permissions: int = 0) -> bool:
        return role_sees(
            setup, overwrites, guild_id=guild, application_id=app, role_id=role, permissions=permissions
        )

    assert not sees({})
    assert sees({}, Perm.MANAGE_GUILD)
    assert not sees({app: {role: True}})
    assert sees({1: {role: True}, app: {role: False}})
    assert not sees({1: {role: False}}, Perm.MANAGE_GUILD)
    assert not sees({app: {guild: False}}, Perm.MANAGE_GUILD)
    assert sees({1: {guild: True}})
    assert not sees({1: {guild: True, role: False}})
    assert sees({1: {role: False}}, Perm.ADMINISTRATOR)
    assert not role_sees(
        RegisteredCommand(2, "locked", 0), {}, guild_id=guild, application_id=app, role_id=role, permissions=0
    )
