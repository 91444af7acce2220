"""Staff commands are hidden from members by one default, and a member-facing command holds none.

Discord applies ``default_member_permissions`` to top-level commands only: a staff subcommand in a
group members use would show to everyone. So every command the bot guards with ``staff_only`` (on
itself, on its group, or through a staff-only option) lives in a top-level command whose every
subcommand is staff's, registered with ``STAFF_DEFAULT_PERMISSIONS``; every other top-level command
is registered with none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from discord import app_commands

from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, needs_staff
from bot.ui.references import Reference
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STAFF_DEFAULT = str(STAFF_DEFAULT_PERMISSIONS.value)

Leaf = app_commands.Command[Any, ..., Any]


def leaves(node: Leaf | app_commands.Group) -> Iterator[Leaf]:
    if isinstance(node, app_commands.Group):
        for child in node.commands:
            yield from leaves(child)
    else:
        yield node


def has_staff_option(command: Leaf) -> bool:
    """An option whose autocomplete answers staff only (``Reference(..., staff_only=True)``)."""
    transformers = [getattr(parameter, "_annotation", None) for parameter in command._params.values()]
    return any(isinstance(found, Reference) and found.staff_only for found in transformers)


def synced_staff_paths(command: dict[str, Any]) -> Iterator[str]:
    """Paths under a registered command whose description says they are staff's."""

    def walk(node: dict[str, Any], path: str) -> Iterator[str]:
        if str(node.get("description", "")).startswith("Staff"):
            yield path
        for option in node.get("options") or []:
            if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
                yield from walk(option, f"{path} {option['name']}")

    yield from walk(command, command["name"])


async def test_every_staff_command_is_hidden_by_the_one_default_and_no_member_group_holds_one(
    cisip: BotHarness,
) -> None:
    registered = {command["name"]: command for command in cisip.discord.commands() if command["type"] == 1}
    tree = {command.name: command for command in cisip.bot.tree.get_commands()}
    assert set(registered) == set(tree)
    assert str(Perm.MANAGE_GUILD) == STAFF_DEFAULT

    hidden: set[str] = set()
    for name, command in tree.items():
        subcommands = list(leaves(command))
        staff = {leaf.qualified_name for leaf in subcommands if needs_staff(leaf) or has_staff_option(leaf)}
        checked = {leaf.qualified_name for leaf in subcommands if needs_staff(leaf)}
        permissions = registered[name]["default_member_permissions"]
        if staff:
            hidden.add(name)
            # The whole top-level command is staff's, hidden by the one default, checked by the bot.
            assert checked == {leaf.qualified_name for leaf in subcommands}, (name, staff, checked)
            assert permissions is not None and str(permissions) == STAFF_DEFAULT, (name, permissions)
            assert registered[name].get("contexts") == [0] or not registered[name].get("dm_permission"), name
        else:
            assert permissions is None, f"/{name} is hidden but holds no staff command"
        for path in synced_staff_paths(registered[name]):
            assert name in hidden, f"/{path} is described as staff's but /{name} is shown to members"

    assert {"setup", "members", "calendar", "park-admin", "workshop-admin", "report-admin"} <= hidden
    assert not {"park", "workshop", "report", "verify", "status"} & hidden
    # The detection is not vacuous: staff-only options and descriptions are found where they are.
    park_admin = tree["park-admin"]
    assert isinstance(park_admin, app_commands.Group)
    edit = park_admin.get_command("edit")
    assert isinstance(edit, app_commands.Command) and has_staff_option(edit)
    assert "park-admin add" in set(synced_staff_paths(registered["park-admin"]))


async def test_the_moved_staff_commands_answer_staff_and_refuse_members(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    mallory = discord.add_member("mallory")
    refused = "Only CISIP staff can do this: it needs the staff role set with /setup, or Manage Server."
    # A server admin may show a hidden command to anyone: the bot still checks who asks.
    for command, options in (
        ("park-admin remove", {"name": "hsinchu-science-park"}),
        ("workshop-admin create", {"capacity": 5}),
        ("report-admin deliveries", {"report": "1"}),
    ):
        reply = await discord.slash(mallory, command, **options)
        assert reply.ephemeral and reply.content == refused, (command, reply.content)
        assert reply.modal is None
    # Autocomplete of a moved option still answers staff, and nobody else.
    countries = await discord.autocomplete(sam, "park-admin add", "country", "kaz", region="Central Asia")
    assert "KZ" in [choice["value"] for choice in countries]
    assert await discord.autocomplete(mallory, "park-admin edit", "name", "hsinchu") == []
    parks = await discord.autocomplete(sam, "park-admin edit", "name", "hsinchu")
    assert parks[0]["name"].startswith("Hsinchu")
    opened = await discord.slash(sam, "workshop-admin create", capacity=5)
    assert opened.modal is not None
